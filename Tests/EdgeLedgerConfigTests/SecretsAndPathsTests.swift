import EdgeLedgerCore
import EdgeLedgerSystem
import EdgeLedgerTestSupport
import Testing

/// Secrets from the environment, and relative paths against the configuration's directory.
@Suite struct SecretsAndPathsTests {
    @Test func environmentSecretsResolve() throws {
        let toml =
            ConfigFixture.minimalAgent.replacingFirst(
                "client_id = \"gw-12\"",
                with: "client_id = \"gw-12\"\nusername = \"ledger\"\npassword_env = \"MQTT_PW\"")
                + """

                [[http.tokens]]
                name = "dc-1"
                token_env = "DC1_TOKEN"

                [[upstreams]]
                name = "dc-1"
                url = "https://witness.example/dc-1/"
                token_env = "DC1_PUSH"
                verify = false
                required_for_retention = true
                """
        let config = try ConfigLoader.parse(
            toml: toml, environment: ["MQTT_PW": "s3cret", "DC1_TOKEN": "pull-token", "DC1_PUSH": "push-token"])
        #expect(config.mqtt.username == "ledger")
        #expect(config.mqtt.password == ConfigSecret(value: "s3cret", source: .environment("MQTT_PW")))
        #expect(config.mqtt.password?.description == "<redacted, from $MQTT_PW>")
        #expect(
            config.http.tokens == [
                HTTPTokenConfiguration(
                    name: "dc-1",
                    credential: .plaintext(ConfigSecret(value: "pull-token", source: .environment("DC1_TOKEN"))))
            ])
        #expect(config.upstreams[0].token?.value == "push-token")
        #expect(config.upstreams[0].url == "https://witness.example/dc-1")
        #expect(config.upstreams[0].requiredForRetention)
    }

    @Test func inlineSecretAndHashedToken() throws {
        let toml =
            ConfigFixture.minimalAgent.replacingFirst(
                "client_id = \"gw-12\"", with: "client_id = \"gw-12\"\nusername = \"u\"\npassword = \"pw\"")
                + """

                [[http.tokens]]
                name = "dc-1"
                token_sha256 = "C91CBBEDF8C712E8E2B7517DDECA8FE4FDE839EBD8339E0B2001363002B37712"
                """
        let config = try ConfigLoader.parse(toml: toml, environment: [:])
        #expect(config.mqtt.password == ConfigSecret(value: "pw", source: .inline))
        #expect(
            config.http.tokens[0].credential
                == .sha256Hex("c91cbbedf8c712e8e2b7517ddeca8fe4fde839ebd8339e0b2001363002b37712"))
    }

    @Test func plaintextTokenInFileIsRefused() {
        let issues = ConfigFixture.agentIssues(
            ConfigFixture.minimalAgent + "\n[[http.tokens]]\nname = \"a\"\ntoken = \"x\"\n")
        #expect(
            issues == ["http.tokens[0].token: write the token's hash as token_sha256, or take the token from token_env"]
        )
    }

    @Test func relativePathsResolveAgainstConfigDirectory() throws {
        let dirFolder = try TemporaryFolder(prefix: "edge-ledger-config")
        let dir = dirFolder.path
        let toml =
            ConfigFixture.minimalAgent
                + """

                [[keys.signing]]
                path = "./keys/p256.key"
                algorithm = "p256"

                [[keys.signing]]
                path = "/opt/keys/sm2.key"
                algorithm = "sm2"

                [mqtt.tls]
                ca_file = "tls/ca.pem"

                [storage]
                path = "data/ledger.db"
                """
        ConfigFixture.write(toml, to: dir + "/agent.toml")
        let config = try ConfigLoader.load(path: dir + "/agent.toml", environment: [:])
        #expect(
            config.keys.signing.map(\.path) == [dir + "/keys/ed25519.key", dir + "/keys/p256.key", "/opt/keys/sm2.key"])
        #expect(config.mqtt.tls?.caFile == dir + "/tls/ca.pem")
        #expect(config.mqtt.port == 8883)
        #expect(config.storage.path == dir + "/data/ledger.db")

        // Without a base directory (parse from text), paths stay as written.
        let unresolved = try ConfigLoader.parse(toml: toml, environment: [:])
        #expect(unresolved.storage.path == "data/ledger.db")
        let based = try ConfigLoader.parse(toml: toml, environment: [:], baseDirectory: "/etc/edge-ledger/")
        #expect(based.storage.path == "/etc/edge-ledger/data/ledger.db")
    }

    @Test func upstreamRelativePathsAndCommand() throws {
        let dirFolder = try TemporaryFolder(prefix: "edge-ledger-config")
        let dir = dirFolder.path
        let toml =
            ConfigFixture.minimalUpstream + """

                [anchor]
                command = ["scripts/anchor.sh", "--id", "x"]
                [storage]
                path = "upstream.db"
                """
        ConfigFixture.write(toml, to: dir + "/upstream.toml")
        let config = try ConfigLoader.loadUpstream(path: dir + "/upstream.toml", environment: [:])
        #expect(config.witness.keyFile == dir + "/keys/witness.pem")
        #expect(config.anchor.command == [dir + "/scripts/anchor.sh", "--id", "x"])
        #expect(config.storage.path == dir + "/upstream.db")
        #expect(config.gateways[0].url == "http://127.0.0.1:8080")
    }

    @Test func missingOrUnreadableFileIsAClearError() throws {
        do {
            _ = try ConfigLoader.load(path: "/nonexistent/edge-ledger.toml", environment: [:])
            Issue.record("expected an error")
        } catch {
            #expect(error.description == "cannot open /nonexistent/edge-ledger.toml: no such file")
        }
        let emptyFolder = try TemporaryFolder(prefix: "edge-ledger-config")
        let empty = emptyFolder.path
        do {
            _ = try ConfigLoader.load(path: empty, environment: [:])
            Issue.record("expected an error")
        } catch {
            #expect(error.description.hasSuffix("is a directory, not a configuration file"))
        }
        let dirFolder = try TemporaryFolder(prefix: "edge-ledger-config")
        let dir = dirFolder.path
        ConfigFixture.write(bytes: Array("a = 1\nb = \"".utf8) + [0xFF, 0x22], to: dir + "/latin1.toml")
        do {
            _ = try ConfigLoader.load(path: dir + "/latin1.toml", environment: [:])
            Issue.record("expected an error")
        } catch {
            #expect(error.description == "line 2: \(dir)/latin1.toml is not valid UTF-8 text")
        }
    }
}
