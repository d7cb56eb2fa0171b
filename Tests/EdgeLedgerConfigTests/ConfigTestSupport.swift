import EdgeLedgerCore
import EdgeLedgerSystem
import Testing

/// Shared fixtures for the configuration tests.
enum ConfigFixture {
    /// The repository root, from this file's location.
    static let repositoryRoot: String = {
        var path = #filePath
        for _ in 0..<3 {
            guard let slash = path.lastIndex(of: "/") else { break }
            path = String(path[..<slash])
        }
        return path
    }()

    /// The smallest valid agent configuration.
    static let minimalAgent = """
        [identity]
        origin = "factory.example/plant-7/gw-12"

        [[keys.signing]]
        path = "keys/ed25519.key"

        [mqtt]
        client_id = "gw-12"

        [[mqtt.topics]]
        filter = "factory/+/telemetry"
        """

    /// The smallest valid upstream configuration.
    static let minimalUpstream = """
        [witness]
        name = "witness.example/dc-1"
        key_file = "keys/witness.pem"

        [[gateways]]
        origin = "factory.example/plant-7/gw-12"
        url = "http://127.0.0.1:8080/"
        verifier_keys = ["factory.example/plant-7/gw-12+a1b2c3d4+AZ3Nxyjfu1ShJLG0b8sXXt+qJkqHqIvX8J2sMvSzw/0m"]
        """

    /// Parses an agent configuration and returns the error's issue lines (empty on success).
    static func agentIssues(
        _ toml: String, environment: [String: String] = [:], sourceLocation: SourceLocation = #_sourceLocation
    ) -> [String] {
        do {
            _ = try ConfigLoader.parse(toml: toml, environment: environment)
            return []
        } catch {
            #expect(!error.issues.isEmpty, sourceLocation: sourceLocation)
            #expect(error.description == error.issues.map(\.description).joined(separator: "\n"))
            return error.issues.map(\.description)
        }
    }

    /// Parses a document (no schema) and returns the error's issue lines (empty on success).
    static func documentIssues(_ toml: String) -> [String] {
        do {
            _ = try ConfigLoader.document(toml: toml)
            return []
        } catch {
            return error.issues.map(\.description)
        }
    }

    /// Parses an upstream configuration and returns the issue lines (empty on success).
    static func upstreamIssues(_ toml: String, environment: [String: String] = [:]) -> [String] {
        do {
            _ = try ConfigLoader.parseUpstream(toml: toml, environment: environment)
            return []
        } catch {
            return error.issues.map(\.description)
        }
    }

    /// The whole text file at `path`.
    static func readText(_ path: String) throws -> String {
        guard let file = fopen(path, "r") else { throw ConfigError(path: "", message: "cannot open \(path)") }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        while true {
            let c = fgetc(file)
            if c == EOF { break }
            bytes.append(UInt8(c))
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Writes raw `bytes` to `path`.
    static func write(bytes: [UInt8], to path: String) {
        let file = fopen(path, "w")
        #expect(file != nil)
        _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        fclose(file)
    }

    /// Writes `text` to `path`.
    static func write(_ text: String, to path: String) {
        let file = fopen(path, "w")
        #expect(file != nil)
        fputs(text, file)
        fclose(file)
    }
}
