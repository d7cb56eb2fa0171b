import ArgumentParser
import EdgeLedgerCore
import EdgeLedgerSystem
import EdgeLedgerUpstream

/// `edge-ledger-upstream gateways …`: the gateway registry, changed while instances run (each
/// picks a change up within `storage.registry_interval`).
struct UpstreamGatewaysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateways",
        abstract: "Enroll, list, show, disable, enable gateways and rotate their keys (no restart).",
        subcommands: [Add.self, List.self, Show.self, Disable.self, Enable.self, RotateKey.self])

    struct Options: ParsableArguments {
        @Option(name: .shortAndLong, help: "The upstream configuration file.")
        var config: String = "/etc/edge-ledger/upstream.toml"
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Enroll a gateway (from the file `edge-ledger enroll` writes, or from options).",
            discussion: """
                The file is one [[gateways]] entry of upstream.toml (docs/CONFIGURATION.md), validated by \
                the same rules. Options given with --from override the file's keys. Enrolling an origin \
                that is already enrolled is an error unless --update is given. A file with several \
                [[gateways]] entries enrolls each of them (all are validated first; then --origin, --url \
                and --verifier-key may not be given).
                """)
        @OptionGroup var options: Options
        @Option(help: "A [[gateways]] entry (TOML) to enroll, e.g. what `edge-ledger enroll` printed.")
        var from: String?
        @Option(help: "The gateway log's origin.") var origin: String?
        @Option(help: "The gateway's API URL (pull mode).") var url: String?
        @Option(name: .customLong("verifier-key"), help: "A verifier key of the gateway's checkpoints (repeatable).")
        var verifierKeys: [String] = []
        @Option(
            name: .customLong("witness-client"),
            help: "A token name or certificate subject allowed to submit the gateway's checkpoints (repeatable).")
        var witnessClients: [String] = []
        @Option(name: .customLong("token-env"), help: "Environment variable holding the token for pulling.")
        var tokenEnv: String?
        @Option(
            help:
                "pull (the upstream pulls from url) or push (the gateway pushes); default: the entry's mode, else pull."
        )
        var mode: String?
        @Flag(help: "Replace the settings of an origin that is already enrolled.") var update = false

        func run() async throws {
            var text = ""
            if let from {
                do {
                    text = try ConfigFile.text(at: from, limit: Self.maximumFileSize)
                } catch {
                    StandardError.line("edge-ledger-upstream: cannot read \(from): \(error)")
                    throw ExitCode(1)
                }
            }
            if origin != nil || url != nil || !verifierKeys.isEmpty,
                case .table(let root) = try? ConfigLoader.document(toml: text),
                case .array(let items) = root["gateways"],
                items.count > 1
            {
                StandardError.line(
                    "edge-ledger-upstream: --origin, --url and --verifier-key cannot apply to the "
                        + "\(items.count) entries of \(from ?? "")")
                throw ExitCode(64)
            }
            // The options replace the file's keys, and are validated with them.
            var overrides: [String: ConfigValue] = [:]
            if let origin { overrides["origin"] = .string(origin) }
            if let url { overrides["url"] = .string(url) }
            if !verifierKeys.isEmpty { overrides["verifier_keys"] = .array(verifierKeys.map { .string($0) }) }
            if !witnessClients.isEmpty { overrides["witness_clients"] = .array(witnessClients.map { .string($0) }) }
            if let tokenEnv { overrides["token_env"] = .string(tokenEnv) }
            if let mode {
                guard RegisteredGateway.Mode(rawValue: mode) != nil else {
                    StandardError.line("edge-ledger-upstream: --mode must be pull or push")
                    throw ExitCode(64)
                }
                overrides["mode"] = .string(mode)
            }
            let gateways: [GatewayConfiguration]
            do {
                gateways = try ConfigLoader.parseGateways(
                    toml: text, overrides: overrides, environment: ConfigLoader.processEnvironment,
                    baseDirectory: from.map { ConfigFile.directory(of: $0) }, limit: Self.maximumFileSize)
            } catch {
                StandardError.line("edge-ledger-upstream: the gateway's settings are not valid:\n\(error)")
                throw ExitCode(65)
            }
            let update = self.update
            try await UpstreamCLI.withStore(options.config) { store in
                var unchanged = 0
                for gateway in gateways {
                    let (entry, changed) = try await store.enroll(gateway, update: update)
                    if gateways.count == 1 {
                        print(
                            changed
                                ? "enrolled \(entry.origin) (id \(entry.id), \(entry.mode.rawValue))"
                                : "\(entry.origin) is enrolled with these settings already")
                    } else if !changed {
                        unchanged += 1
                    }
                }
                if gateways.count > 1 {
                    let pushing = gateways.filter { $0.mode == .push }.count
                    print(
                        "enrolled \(gateways.count - unchanged) gateways (\(gateways.count - pushing) pull, \(pushing) push)"
                            + (unchanged > 0 ? "; \(unchanged) were enrolled with these settings already" : ""))
                }
            }
        }

        /// A file of several entries may be larger than a configuration file (~250 bytes each).
        static let maximumFileSize = 64 << 20
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the enrolled gateways.")
        @OptionGroup var options: Options

        func run() async throws {
            try await UpstreamCLI.withStore(options.config) { store in
                let entries = try await store.registeredGateways()
                let states = Dictionary(
                    try await store.gatewayStates().map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
                print("ORIGIN\tMODE\tENABLED\tVERIFIED\tACKED\tCOLLECTED BY")
                for entry in entries {
                    let state = states[entry.id]
                    print(
                        "\(entry.origin)\t\(entry.mode.rawValue)\t\(entry.enabled ? "yes" : "no")\t"
                            + "\(state?.verifiedSize ?? 0)\t\(state?.ackedSize ?? 0)\t\(state?.lease?.holder ?? "-")")
                }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one enrolled gateway: settings and state.")
        @OptionGroup var options: Options
        @Argument(help: "The gateway log's origin.") var origin: String

        func run() async throws {
            let origin = self.origin
            try await UpstreamCLI.withStore(options.config) { store in
                guard let entry = try await store.registeredGateway(origin: origin) else {
                    StandardError.line("edge-ledger-upstream: no gateway \(origin) is enrolled")
                    throw ExitCode(1)
                }
                let state = try await store.gatewayState(origin: origin)
                print(
                    "# id \(entry.id), mode \(entry.mode.rawValue), \(entry.enabled ? "enabled" : "DISABLED"), "
                        + "revision \(entry.revision)")
                if let at = entry.enrolledAt { print("# enrolled \(RFC3339.string(nanoseconds: at))") }
                if let state {
                    print(
                        "# verified size \(state.verifiedSize), staged \(state.stagedSize), acknowledged \(state.ackedSize)"
                    )
                    if let lease = state.lease { print("# lease: \(lease.holder), token \(lease.token)") }
                }
                print("[[gateways]]")
                print(entry.configuration.toml, terminator: "")
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop collecting and witnessing a gateway (its data stays; enable resumes).")
        @OptionGroup var options: Options
        @Argument(help: "The gateway log's origin.") var origin: String

        func run() async throws {
            let origin = self.origin
            try await UpstreamCLI.withStore(options.config) { store in
                try await store.setEnabled(origin: origin, false)
                print("disabled \(origin)")
            }
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Resume collecting and witnessing a gateway.")
        @OptionGroup var options: Options
        @Argument(help: "The gateway log's origin.") var origin: String

        func run() async throws {
            let origin = self.origin
            try await UpstreamCLI.withStore(options.config) { store in
                try await store.setEnabled(origin: origin, true)
                print("enabled \(origin)")
            }
        }
    }

    struct RotateKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-key",
            abstract: "Add a gateway's new verifier key and/or remove an old one.",
            discussion: """
                Rotate in two steps: --add the new key while the gateway still signs with the old one, \
                switch the gateway to the new key, then --remove the old one.
                """)
        @OptionGroup var options: Options
        @Argument(help: "The gateway log's origin.") var origin: String
        @Option(help: "A verifier key to add (repeatable).") var add: [String] = []
        @Option(help: "A verifier key to remove (repeatable).") var remove: [String] = []

        func run() async throws {
            guard !add.isEmpty || !remove.isEmpty else {
                StandardError.line("edge-ledger-upstream: give --add KEY and/or --remove KEY")
                throw ExitCode(64)
            }
            let (origin, add, remove) = (self.origin, self.add, self.remove)
            try await UpstreamCLI.withStore(options.config) { store in
                let entry = try await store.rotateKeys(origin: origin, add: add, remove: remove)
                print("\(origin): \(entry.configuration.verifierKeys.count) verifier key(s) now")
                for key in entry.configuration.verifierKeys { print("  \(key)") }
            }
        }
    }
}
