import Foundation

/// A throwaway PKI made with the `openssl` command: a CA, a server certificate for localhost
/// and client certificates, for the TLS and mutual-TLS tests.
struct TestPKI {
    let directory: URL

    static var available: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl") }

    init(directory: URL) throws {
        self.directory = directory
        try openssl(
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key",
            "-out", "ca.crt", "-subj", "/CN=EdgeLedger Test CA", "-days", "2",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        try "subjectAltName=DNS:localhost,IP:127.0.0.1\n".write(
            to: directory.appendingPathComponent("server.ext"), atomically: true, encoding: .utf8)
        try issue("server", subject: "/CN=localhost", extensions: "server.ext")
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Issues `<name>.crt` / `<name>.key` for `subject` (OpenSSL's slash form) from the CA.
    func issue(_ name: String, subject: String, extensions: String? = nil, ca: String = "ca") throws {
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

    /// A second, unrelated CA.
    func makeOtherCA(_ name: String) throws {
        try openssl(
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "\(name).key",
            "-out", "\(name).crt", "-subj", "/CN=Other CA", "-days", "2",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    }

    /// The DER bytes of `<name>.crt`.
    func der(_ name: String) throws -> [UInt8] {
        try openssl("x509", "-in", "\(name).crt", "-outform", "DER", "-out", "\(name).der")
        return Array(try Data(contentsOf: directory.appendingPathComponent("\(name).der")))
    }

    /// What `openssl x509 -noout -subject -nameopt RFC2253` prints for `<name>.crt`.
    func rfc2253Subject(_ name: String) throws -> String {
        let out = try openssl("x509", "-in", "\(name).crt", "-noout", "-subject", "-nameopt", "RFC2253")
        return String(out.trimmingCharacters(in: .newlines).dropFirst("subject=".count))
    }

    @discardableResult
    func openssl(_ args: String...) throws -> String { try openssl(args) }

    @discardableResult
    func openssl(_ args: [String]) throws -> String {
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
            throw TestPKIError(description: "openssl \(args.joined(separator: " ")) failed")
        }
        return String(decoding: data, as: UTF8.self)
    }
}

struct TestPKIError: Error, CustomStringConvertible {
    var description: String
}
