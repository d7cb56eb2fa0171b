import EdgeLedgerTestSupport
import Foundation
import Testing

@Suite("check-config: the MQTT client certificate")
struct CLICheckConfigClientCertificateTests {
    /// A client certificate and key (`<cert>.crt`, `<key>.key` of a test PKI), and what
    /// check-config must warn about them (nothing: `nil`).
    struct Case: Sendable, CustomTestStringConvertible {
        var cert: String
        var key: String
        var warning: String?
        var testDescription: String { warning ?? "a valid certificate and its key" }
    }

    @Test(
        "check-config warns about an expired, not yet valid or mismatched client certificate",
        arguments: [
            Case(
                cert: "expired", key: "expired",
                warning: "mqtt.tls.cert_file: {dir}/expired.crt expired on 2020-01-02T00:00:00Z"),
            Case(
                cert: "future", key: "future",
                warning: "mqtt.tls.cert_file: {dir}/future.crt is not valid before 2099-01-01T00:00:00Z"),
            Case(
                cert: "client", key: "server",
                warning: "mqtt.tls.key_file: {dir}/server.key is not the private key of {dir}/client.crt"),
            Case(cert: "client", key: "client", warning: nil),
        ])
    func clientCertificateWarnings(_ c: Case) throws {
        let dir = try TemporaryFolder(prefix: "edge-ledger-cli")
        let pki = try TestPKI(directory: dir.url)
        try pki.issue("client", subject: "/CN=gw-1")
        try pki.issue("expired", subject: "/CN=gw-1", notBefore: "20200101000000Z", notAfter: "20200102000000Z")
        try pki.issue("future", subject: "/CN=gw-1", notBefore: "20990101000000Z", notAfter: "21000101000000Z")
        let setup = dir.file("gw")
        #expect(try EdgeLedgerBinary.run(["init", "--dir", setup]).code == 0)
        let config = setup + "/edge-ledger.toml"
        let tls = """

            [mqtt.tls]
            ca_file = "\(pki.path("ca.crt"))"
            cert_file = "\(pki.path("\(c.cert).crt"))"
            key_file = "\(pki.path("\(c.key).key"))"

            """
        try Files.write(config, try Files.text(config) + tls)
        let check = try EdgeLedgerBinary.run(["check-config", config])
        #expect(check.code == 0, "\(check.stderr)")
        let warnings = check.stderr.split(separator: "\n").filter { $0.contains("mqtt.tls.") }
        if let warning = c.warning {
            let expected = "warning: " + warning.replacingOccurrences(of: "{dir}", with: dir.path)
            #expect(warnings.count == 1 && warnings[0].hasPrefix(expected), "\(check.stderr)")
        } else {
            #expect(warnings.isEmpty, "\(check.stderr)")
        }
    }
}
