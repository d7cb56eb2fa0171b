import Foundation

/// A throwaway PKI made with the `openssl` command: a CA, a server certificate for localhost
/// and client certificates, for the TLS and mutual-TLS tests.
public struct TestPKI: Sendable {
    /// Where the keys and certificates are.
    public let directory: URL

    /// Whether `/usr/bin/openssl` is there.
    public static var available: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl") }

    /// Makes the CA (`ca.crt`) and a server certificate for localhost and 127.0.0.1
    /// (`server.crt`, `server.key`) in `directory`.
    public init(directory: URL) throws {
        self.directory = directory
        try openssl(
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key",
            "-out", "ca.crt", "-subj", "/CN=EdgeLedger Test CA", "-days", "2",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        try "subjectAltName=DNS:localhost,IP:127.0.0.1\n".write(
            to: directory.appendingPathComponent("server.ext"), atomically: true, encoding: .utf8)
        try issue("server", subject: "/CN=localhost", extensions: "server.ext")
    }

    /// The path of `name` in ``directory``.
    public func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Issues `<name>.crt` / `<name>.key` for `subject` (OpenSSL's slash form) from the CA.
    public func issue(_ name: String, subject: String, extensions: String? = nil, ca: String = "ca") throws {
        try openssl(
            "req", "-utf8", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
            "\(name).key", "-out", "\(name).csr", "-subj", subject)
        var args = [
            "x509", "-req", "-in", "\(name).csr", "-CA", "\(ca).crt", "-CAkey", "\(ca).key", "-CAcreateserial",
            "-out", "\(name).crt", "-days", "2",
        ]
        if let extensions { args += ["-extfile", extensions] }
        try openssl(args)
    }

    /// Issues `<name>.crt` / `<name>.key` for `subject` from the CA `ca`, valid from `notBefore` to
    /// `notAfter` (`YYYYMMDDHHMMSSZ`, UTC): an expired or a not-yet-valid certificate, without a
    /// fake clock (`openssl x509 -days` only counts forward from now; `openssl ca` takes dates).
    public func issue(_ name: String, subject: String, notBefore: String, notAfter: String, ca: String = "ca") throws {
        let config = """
            [ca]
            default_ca = test_ca
            [test_ca]
            database = \(ca)-index.txt
            new_certs_dir = .
            certificate = \(ca).crt
            private_key = \(ca).key
            rand_serial = yes
            default_md = sha256
            policy = any_name
            unique_subject = no
            [any_name]
            commonName = supplied

            """
        try config.write(to: directory.appendingPathComponent("\(ca)-ca.cnf"), atomically: true, encoding: .utf8)
        let index = directory.appendingPathComponent("\(ca)-index.txt")
        if !FileManager.default.fileExists(atPath: index.path) { try Data().write(to: index) }
        try openssl(
            "req", "-utf8", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
            "\(name).key", "-out", "\(name).csr", "-subj", subject)
        try openssl(
            "ca", "-config", "\(ca)-ca.cnf", "-batch", "-notext", "-startdate", notBefore, "-enddate", notAfter,
            "-in", "\(name).csr", "-out", "\(name).crt")
    }

    /// A second, unrelated CA.
    public func makeOtherCA(_ name: String) throws {
        try openssl(
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "\(name).key",
            "-out", "\(name).crt", "-subj", "/CN=Other CA", "-days", "2",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    }

    /// The DER bytes of `<name>.crt`.
    public func der(_ name: String) throws -> [UInt8] {
        try openssl("x509", "-in", "\(name).crt", "-outform", "DER", "-out", "\(name).der")
        return Array(try Data(contentsOf: directory.appendingPathComponent("\(name).der")))
    }

    /// What `openssl x509 -noout -subject -nameopt RFC2253` prints for `<name>.crt`.
    public func rfc2253Subject(_ name: String) throws -> String {
        let out = try openssl("x509", "-in", "\(name).crt", "-noout", "-subject", "-nameopt", "RFC2253")
        return String(out.trimmingCharacters(in: .newlines).dropFirst("subject=".count))
    }

    /// Runs `openssl` in ``directory``; its standard output.
    @discardableResult
    public func openssl(_ args: String...) throws -> String { try openssl(args) }

    /// Runs `openssl` in ``directory``; its standard output.
    @discardableResult
    public func openssl(_ args: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = args
        process.currentDirectoryURL = directory
        let out = Pipe()
        process.standardOutput = out
        process.standardError = Pipe()
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestSupportError("openssl \(args.joined(separator: " ")) failed")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
