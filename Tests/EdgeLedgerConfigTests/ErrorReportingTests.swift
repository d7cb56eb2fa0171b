import EdgeLedgerCore
import Testing

/// Every class of configuration error names the key path and the problem.
@Suite struct ErrorReportingTests {
    private let minimal = ConfigFixture.minimalAgent

    @Test func minimalConfigIsValid() {
        #expect(ConfigFixture.agentIssues(minimal) == [])
    }

    @Test func wrongTypeNamesKeyAndExpectation() {
        let issues = ConfigFixture.agentIssues(
            minimal + """

                [[mqtt.topics]]
                filter = "factory/+/raw"
                qos = "two"
                """)
        #expect(issues == ["mqtt.topics[1].qos: expected an integer 0...2, got \"two\""])
    }

    @Test func unknownKeySuggestsClosest() {
        let issues = ConfigFixture.agentIssues(
            minimal + """

                [storage]
                durabilty = "power"
                """)
        #expect(issues == ["storage.durabilty: unknown key (did you mean \"durability\"?)"])
    }

    @Test func unknownKeysEverywhere() {
        let issues = ConfigFixture.agentIssues(
            "colour = \"blue\"\n" + minimal
                + """

                [[mqtt.topics]]
                filter = "factory/+/raw"
                fromat = "raw"
                [storag]
                path = "x"
                [mqtt.reconnect]
                intial = "2s"
                """)
        #expect(
            issues == [
                "mqtt.reconnect.intial: unknown key (did you mean \"initial\"?)",
                "mqtt.topics[1].fromat: unknown key (did you mean \"format\"?)",
                "colour: unknown key",
                "storag: unknown key (did you mean \"storage\"?)",
            ])
    }

    @Test func outOfRange() {
        let issues = ConfigFixture.agentIssues(
            minimal + """

                [ingest]
                max_payload_bytes = "64KiB"
                [seal]
                max_entries = 0
                """)
        #expect(
            issues == [
                "ingest.max_payload_bytes: expected a size 1...60000 bytes, got \"64KiB\" (65536 bytes)",
                "seal.max_entries: expected an integer 1...1000000, got 0",
            ])
    }

    @Test func missingRequiredKeys() {
        let issues = ConfigFixture.agentIssues("")
        #expect(
            issues == [
                "identity.origin: required key is missing",
                "keys.signing: at least one [[keys.signing]] entry with algorithm = \"ed25519\" is required",
                "mqtt.client_id: required key is missing",
                "mqtt.topics: at least one [[mqtt.topics]] entry is required",
            ])
    }

    @Test(arguments: [
        ("a/#/b", "\"#\" must be the last level"),
        ("a/b#", "\"#\" must occupy a whole level"),
        ("a/+b/c", "\"+\" must occupy a whole level"),
        ("", "must not be empty"),
        ("$share//a/b", "a shared subscription needs a group name: $share/<group>/<filter>"),
        ("$share/g+/a/b", "the share group name must not contain \"+\" or \"#\""),
        ("$share/g", "a shared subscription needs a filter after the group: $share/<group>/<filter>"),
        ("$share/g/a/#/b", "\"#\" must be the last level"),
    ])
    func badTopicFilter(filter: String, reason: String) {
        let issues = ConfigFixture.agentIssues(
            minimal + """

                [[mqtt.topics]]
                filter = "\(filter)"
                """)
        if filter.isEmpty {
            #expect(issues == ["mqtt.topics[1].filter: must not be empty"])
        } else {
            #expect(issues == ["mqtt.topics[1].filter: invalid MQTT topic filter \"\(filter)\": \(reason)"])
        }
    }

    @Test func overlappingTopicFilters() {
        let issues = ConfigFixture.agentIssues(
            minimal + """

                [[mqtt.topics]]
                filter = "factory/#"
                format = "raw"
                """)
        #expect(
            issues == [
                "mqtt.topics[1].filter: overlaps mqtt.topics[0].filter (\"factory/+/telemetry\"): a reading matching both would be delivered twice"
            ])
    }

    @Test(arguments: [
        ("\"10\"", "expected a duration such as \"500ms\", \"10s\", \"5m\", \"2h\" or \"30d\", got \"10\""),
        ("10", "expected a duration string with a unit such as \"500ms\", \"10s\", \"5m\", \"2h\" or \"30d\", got 10"),
        ("\"-5s\"", "a duration cannot be negative, got \"-5s\""),
        ("\"1.5s\"", "expected a duration such as \"500ms\", \"10s\", \"5m\", \"2h\" or \"30d\", got \"1.5s\""),
        ("\"2h\"", "expected a duration 10ms...1h, got \"2h\""),
        ("\"5ms\"", "expected a duration 10ms...1h, got \"5ms\""),
    ])
    func badDuration(value: String, message: String) {
        let issues = ConfigFixture.agentIssues(minimal + "\n[seal]\ninterval = \(value)\n")
        #expect(issues == ["seal.interval: \(message)"])
    }

    @Test(arguments: [
        ("-1", "a size cannot be negative, got -1"),
        ("\"-1KiB\"", "a size cannot be negative, got \"-1KiB\""),
        (
            "\"lots\"",
            "expected a size in bytes (an integer) or a string such as \"512KiB\", \"64MiB\" or \"1GiB\", got \"lots\""
        ),
        (
            "\"1.5GiB\"",
            "expected a size in bytes (an integer) or a string such as \"512KiB\", \"64MiB\" or \"1GiB\", got \"1.5GiB\""
        ),
        ("\"100KiB\"", "expected 0 (no quota) or at least 1MiB, got 102400 bytes"),
        ("true", "expected a size such as 65536 or \"64MiB\", got true"),
    ])
    func badSize(value: String, message: String) {
        let issues = ConfigFixture.agentIssues(minimal + "\n[storage]\nquota = \(value)\n")
        #expect(issues == ["storage.quota: \(message)"])
    }

    @Test func badChoiceListsOptions() {
        let issues = ConfigFixture.agentIssues(
            minimal + """

                [storage]
                durability = "disk"
                [log]
                level = "verbose"
                """)
        #expect(
            issues == [
                "storage.durability: expected \"process\" or \"power\", got \"disk\"",
                "log.level: expected one of \"trace\", \"debug\", \"info\", \"notice\", \"warning\", \"error\", \"critical\", got \"verbose\"",
            ])
    }

    @Test func passwordAndPasswordEnvBothSet() {
        let toml = minimal.replacingFirst(
            "client_id = \"gw-12\"",
            with: "client_id = \"gw-12\"\nusername = \"u\"\npassword = \"p\"\npassword_env = \"MQTT_PASSWORD\"")
        #expect(
            ConfigFixture.agentIssues(toml, environment: ["MQTT_PASSWORD": "x"]) == [
                "mqtt.password: set either password or password_env, not both"
            ])
    }

    @Test func missingEnvironmentVariableIsNamed() {
        let toml = minimal.replacingFirst(
            "client_id = \"gw-12\"", with: "client_id = \"gw-12\"\nusername = \"u\"\npassword_env = \"MQTT_PASSWORD\"")
        #expect(
            ConfigFixture.agentIssues(toml, environment: [:]) == [
                "mqtt.password_env: environment variable MQTT_PASSWORD is not set"
            ])
        #expect(
            ConfigFixture.agentIssues(toml, environment: ["MQTT_PASSWORD": ""]) == [
                "mqtt.password_env: environment variable MQTT_PASSWORD is empty"
            ])
    }

    @Test func tomlSyntaxErrorHasLineAndColumn() throws {
        do {
            _ = try ConfigLoader.parse(toml: "[identity]\norigin = \"x\"\nbroken = [1, 2\n", environment: [:])
            Issue.record("expected a syntax error")
        } catch {
            #expect(error.issues.count == 1)
            let issue = try #require(error.issues.first)
            #expect(issue.line == 3 || issue.line == 4)
            #expect(issue.column != nil)
            #expect(issue.message.hasPrefix("TOML syntax error: "))
            #expect(error.description.hasPrefix("line \(issue.line!), column \(issue.column!): TOML syntax error: "))
        }
        do {
            _ = try ConfigLoader.parse(toml: "a = 1\na = 2\n", environment: [:])
            Issue.record("expected a duplicate key error")
        } catch {
            #expect(error.issues.first?.line == 2)
        }
    }

    @Test func allErrorsOfADocumentAreReported() {
        let issues = ConfigFixture.agentIssues(
            """
            [identity]
            origin = "has space"
            hash = "md5"

            [[keys.signing]]
            path = "keys/p256.key"
            algorithm = "p256"

            [mqtt]
            client_id = "gw"
            port = 70000
            [[mqtt.topics]]
            filter = "a/#/b"
            qos = 3

            [http]
            listen = "0.0.0.0:8080"
            [[http.tokens]]
            name = "dc 1"
            token_sha256 = "abc"
            """)
        #expect(
            issues == [
                "identity.origin: not a valid C2SP origin: \"has space\" contains white space (U+0020)",
                "identity.hash: expected \"sha256\" or \"sm3\", got \"md5\"",
                "keys.signing: at least one key must have algorithm = \"ed25519\" (C2SP verifiers need it)",
                "mqtt.port: expected an integer 1...65535, got 70000",
                "mqtt.topics[0].filter: invalid MQTT topic filter \"a/#/b\": \"#\" must be the last level",
                "mqtt.topics[0].qos: expected an integer 0...2, got 3",
                "http.listen: 0.0.0.0:8080 is not a loopback address and [http.tls] is not set: tokens and entries would travel in plaintext; add [http.tls] or set allow_plaintext = true",
                "http.tokens[0].name: expected 1...64 characters from A-Z a-z 0-9 . _ -, got \"dc 1\"",
                "http.tokens[0].token_sha256: expected 64 hex digits (the SHA-256 of the token, e.g. from `printf %s TOKEN | sha256sum`), got \"abc\"",
            ])
    }

    @Test func wrongShapes() {
        let issues = ConfigFixture.agentIssues(
            """
            identity = "x"
            [keys]
            signing = { path = "k.pem" }
            [mqtt]
            client_id = "gw"
            topics = ["factory/#"]
            """)
        #expect(
            issues == [
                "identity: expected a table, got \"x\"",
                "identity.origin: required key is missing",
                "keys.signing: expected an array of tables ([[keys.signing]]), got a table",
                "mqtt.topics[0]: expected a table, got \"factory/#\"",
            ])
    }

    @Test func crossSectionChecks() {
        let issues = ConfigFixture.agentIssues(
            minimal + """

                [storage]
                overflow = "drop-oldest-acked"
                [storage.retention]
                prune_payloads = true
                [[upstreams]]
                name = "dc-1"
                url = "https://witness.example"
                verify = false
                required_for_retention = true
                [[upstreams]]
                name = "dc-1"
                witness = false
                client_subject = "CN=dc-1"
                """)
        #expect(
            issues == [
                "upstreams[0].required_for_retention: upstream \"dc-1\" could never acknowledge: add a [[http.tokens]] entry named \"dc-1\" or set client_subject",
                "upstreams[1].name: duplicate upstream name \"dc-1\" (also upstreams[0])",
                "upstreams[1].client_subject: requires http.tls.client_ca_file (mutual TLS)",
            ])
        let noRequired = ConfigFixture.agentIssues(minimal + "\n[storage.retention]\nprune_payloads = true\n")
        #expect(
            noRequired == [
                "storage.retention.prune_payloads: pruning needs at least one [[upstreams]] entry with required_for_retention = true, or payloads nobody holds would be lost"
            ])
    }

    @Test func upstreamConfigErrors() {
        #expect(ConfigFixture.upstreamIssues(ConfigFixture.minimalUpstream) == [])
        let issues = ConfigFixture.upstreamIssues(
            """
            [witness]
            name = "w"
            [[gateways]]
            origin = "gw"
            url = "ftp://gw"
            verifier_keys = ["other+a1b2c3d4+AZ3Nxyjfu1ShJLG0b8sXXt+qJkqHqIvX8J2sMvSzw/0m", "gw+zz+AA=="]
            pull_interval = "0s"
            [anchor]
            command = "anchor.sh"
            """)
        #expect(
            issues == [
                "witness.key_file: required key is missing",
                "gateways[0].url: expected an http:// or https:// URL, got \"ftp://gw\"",
                "gateways[0].verifier_keys[0]: verifier key is for \"other\", expected the origin \"gw\"",
                "gateways[0].verifier_keys[1]: invalid verifier key \"gw+zz+AA==\": verifier key: key ID \"zz\" is not 8 hex digits",
                "gateways[0].pull_interval: expected a duration 1s...1d, got \"0s\"",
                "anchor.command: expected an array of strings (the argument vector, no shell), e.g. [\"/usr/local/bin/anchor\", \"--contract\", \"evidence\"], got \"anchor.sh\"",
            ])
    }

    @Test func fleetSettings() throws {
        let witness = "[witness]\nname = \"w\"\nkey_file = \"w.key\"\n"
        #expect(
            ConfigFixture.upstreamIssues(
                witness + "[store]\nurl = \"mysql://db/x\"\nlease = \"1s\"\n[storage]\npath = \"x.db\"\n") == [
                    "store: [store] and [storage] are the same table: keep one",
                    "store.url: must be a PostgreSQL connection URI (postgres://user@host:5432/database)",
                    "store.lease: expected a duration 2s...1h, got \"1s\"",
                ])
        #expect(
            ConfigFixture.upstreamIssues(witness + "[http]\nadmin_clients = [\"ops\"]\n") == [
                "http.admin_clients[0]: no [[http.tokens]] entry is named \"ops\" (a certificate subject has the form CN=...)"
            ])
        let config = try ConfigLoader.parseUpstream(
            toml: witness + "[store]\nurl_env = \"DB\"\nconnections = 16\ninstance_id = \"dc1-a\"\n",
            environment: ["DB": "postgres://u@db:5432/up"])
        #expect(config.storage.url?.value == "postgres://u@db:5432/up" && config.storage.isPostgres)
        #expect(config.storage.connections == 16 && config.storage.instanceID == "dc1-a")
        #expect(config.gateways.isEmpty, "gateways may all come from the registry")
        // A gateway's settings round-trip through the registry's TOML.
        let gateway = try ConfigLoader.parseUpstream(toml: ConfigFixture.minimalUpstream).gateways[0]
        #expect(try ConfigLoader.parseGateway(toml: gateway.toml) == gateway)
        var rich = gateway
        rich.url = "https://gw.example:8443/api"
        rich.token = ConfigSecret(value: "GW_TOKEN", source: .environment("GW_TOKEN"))
        rich.tls = TLSClientConfiguration(caFile: "/etc/ca \"q\".pem", certFile: "/c.pem", keyFile: "/k.pem")
        rich.witnessClients = ["CN=gw-1,O=Plant 7", "gw-token"]
        rich.pullInterval = .milliseconds(2500)
        rich.requireSignatures = .any
        rich.maxGrowth = 4096
        rich.acknowledge = false
        let back = try ConfigLoader.parseGateway(toml: rich.toml, environment: ["GW_TOKEN": "GW_TOKEN"])
        #expect(back == rich, "\(rich.toml)")
        // Push mode: written only when set, the URL optional with it and required without it.
        #expect(!gateway.toml.contains("mode ="), "a pulled gateway's entry keeps its text")
        var pushed = gateway
        pushed.mode = .push
        pushed.url = ""
        #expect(pushed.toml.contains("mode = \"push\"") && !pushed.toml.contains("url ="))
        #expect(try ConfigLoader.parseGateway(toml: pushed.toml) == pushed)
        do {
            _ = try ConfigLoader.parseGateway(toml: pushed.toml.replacingOccurrences(of: "\"push\"", with: "\"pull\""))
            Issue.record("a pulled gateway without url was accepted")
        } catch {
            #expect("\(error)".contains("url"), "\(error)")
        }
    }

    @Test func gatewayEntriesWithOverrides() throws {
        let one = try ConfigLoader.parseUpstream(toml: ConfigFixture.minimalUpstream).gateways[0]
        let second = one.toml.replacingOccurrences(of: one.url, with: "http://second.example:8080")
        let file = "# two entries\n[[gateways]]\n" + one.toml + "\n[[gateways]]\n" + second
        let parsed = try ConfigLoader.parseGateways(toml: file, overrides: ["witness_clients": .array([.string("gw")])])
        #expect(parsed.map(\.url) == [one.url, "http://second.example:8080"])
        #expect(parsed.allSatisfy { $0.witnessClients == ["gw"] })
        // The overrides are checked by the same rules, under each entry's path.
        do {
            _ = try ConfigLoader.parseGateways(toml: file, overrides: ["url": .string("ftp://x")])
            Issue.record("an invalid override was accepted")
        } catch {
            #expect(error.issues.map(\.path) == ["gateways[0].url", "gateways[1].url"])
        }
        #expect(throws: ConfigError.self) { try ConfigLoader.parseGateway(toml: file) }
        #expect(try ConfigLoader.parseGateway(toml: "[[gateways]]\n" + one.toml) == one)
    }

    @Test func nonTableRootAndOddKeysDoNotCrash() {
        #expect(
            ConfigFixture.agentIssues("\"weird key\" = 1\n" + minimal).first == "\"weird key\": unknown key")
        let err = Result { () throws(ConfigError) in try AgentConfiguration(from: .array([])) }
        guard case .failure(let error) = err else {
            Issue.record("expected failure")
            return
        }
        #expect(
            error.issues.first?.description == "expected a table at the top level of the document, got an empty array")
    }
}

extension String {
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = firstRange(of: target) else { return self }
        var copy = self
        copy.replaceSubrange(range, with: replacement)
        return copy
    }
}
