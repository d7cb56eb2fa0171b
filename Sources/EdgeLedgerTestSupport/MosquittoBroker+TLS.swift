import Foundation

extension MosquittoBroker {
    /// A TLS listener: the broker's certificate and key, the CA its clients' certificates must
    /// chain to, and whether it requires one (mosquitto's `require_certificate`).
    public struct TLSListener: Sendable {
        /// PEM CA certificates that client certificates must chain to (`cafile`).
        public var caFile: String
        /// The broker's PEM certificate (`certfile`).
        public var certFile: String
        /// The broker's PEM key (`keyfile`).
        public var keyFile: String
        /// Refuse clients without a valid certificate (`require_certificate true`).
        public var requireCertificate: Bool

        /// A TLS listener with these files.
        public init(caFile: String, certFile: String, keyFile: String, requireCertificate: Bool = true) {
            self.caFile = caFile
            self.certFile = certFile
            self.keyFile = keyFile
            self.requireCertificate = requireCertificate
        }

        /// A listener with `pki`'s CA and the certificate `<server>.crt` / `<server>.key`.
        public init(pki: TestPKI, server: String = "server", requireCertificate: Bool = true) {
            self.init(
                caFile: pki.path("ca.crt"), certFile: pki.path("\(server).crt"), keyFile: pki.path("\(server).key"),
                requireCertificate: requireCertificate)
        }

        /// The listener's lines of `mosquitto.conf`. The files are copied into `directory`, readable
        /// by all: started as root, mosquitto reads them as its own user.
        func configuration(in directory: URL) throws -> String {
            var lines: [String] = []
            for (key, path) in [("cafile", caFile), ("certfile", certFile), ("keyfile", keyFile)] {
                let copy = directory.appendingPathComponent("tls-\(key).pem")
                try? FileManager.default.removeItem(at: copy)
                try FileManager.default.copyItem(atPath: path, toPath: copy.path)
                chmod(copy.path, 0o644)
                lines.append("\(key) \(copy.path)")
            }
            lines.append("require_certificate \(requireCertificate)")
            return "\n" + lines.joined(separator: "\n") + "\n"
        }
    }
}
