/// A gateway's settings as the keys of one `[[gateways]]` entry: how the upstream's registry
/// stores an enrolled gateway (read back with ``ConfigLoader/parseGateway(toml:environment:baseDirectory:)``,
/// so the file and the registry are validated by the same rules).
extension GatewayConfiguration {
    /// The entry's keys as TOML (no table header); every setting is written, defaults included.
    public var toml: String {
        func string(_ text: String) -> String { JSONWriter.string(text) }
        func list(_ items: [String]) -> String { "[" + items.map(string).joined(separator: ", ") + "]" }
        var lines = ["origin = \(string(origin))"]
        // Written only for push, so that the registry's entries of pulled gateways keep their text.
        if mode == .push { lines.append("mode = \(string(mode.rawValue))") }
        if mode == .pull || !url.isEmpty { lines.append("url = \(string(url))") }
        lines += [
            "verifier_keys = \(list(verifierKeys))",
            "require_signatures = \(string(requireSignatures.rawValue))",
            "hash = \(string(hash.rawValue))",
        ]
        if let token {
            switch token.source {
            case .inline: lines.append("token = \(string(token.value))")
            case .environment(let name): lines.append("token_env = \(string(name))")
            }
        }
        lines += [
            "pull_interval = \(string(ConfigDuration.format(pullInterval)))",
            "timeout = \(string(ConfigDuration.format(timeout)))",
            "acknowledge = \(acknowledge)",
            "witness_clients = \(list(witnessClients))",
            "max_growth = \(maxGrowth)",
            "backoff = { initial = \(string(ConfigDuration.format(backoff.initial))), "
                + "max = \(string(ConfigDuration.format(backoff.max))) }",
        ]
        if let tls {
            var keys: [String] = []
            if let ca = tls.caFile { keys.append("ca_file = \(string(ca))") }
            if let cert = tls.certFile { keys.append("cert_file = \(string(cert))") }
            if let key = tls.keyFile { keys.append("key_file = \(string(key))") }
            lines.append("tls = { " + keys.joined(separator: ", ") + " }")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension ConfigLoader {
    /// Parses and validates one gateway's settings: the keys of a `[[gateways]]` entry at the top
    /// level (as ``GatewayConfiguration/toml`` writes them), or a document holding exactly one
    /// `[[gateways]]` entry (what `edge-ledger enroll` prints).
    public static func parseGateway(
        toml: String, environment: [String: String] = [:], baseDirectory: String? = nil
    ) throws(ConfigError) -> GatewayConfiguration {
        let gateways = try parseGateways(toml: toml, environment: environment, baseDirectory: baseDirectory)
        guard gateways.count == 1, let gateway = gateways.first else {
            throw ConfigError(path: "gateways", message: "expected one [[gateways]] entry, got \(gateways.count)")
        }
        return gateway
    }

    /// Parses and validates the gateways of a document: its `[[gateways]]` entries (any number),
    /// or, without any, the keys of one entry at the top level. Each key of `overrides` replaces
    /// that key in every entry before validation (the command line's options), so the entries and
    /// the overrides are checked by the same rules as the configuration file.
    ///
    /// - Parameter limit: the largest document accepted, in bytes.
    public static func parseGateways(
        toml: String, overrides: [String: ConfigValue] = [:], environment: [String: String] = [:],
        baseDirectory: String? = nil, limit: Int = maximumFileSize
    ) throws(ConfigError) -> [GatewayConfiguration] {
        guard case .table(var root) = try TOMLDocument.parse(toml, limit: limit) else { return [] }
        let context = ConfigContext(environment: environment, baseDirectory: baseDirectory)
        var gateways: [GatewayConfiguration] = []
        if case .array(let items) = root["gateways"] {
            root["gateways"] = .array(
                items.map { item in
                    guard case .table(let values) = item else { return item }
                    return .table(values.merging(overrides) { _, override in override })
                })
            let reader = ConfigTableReader.root(.table(root), context: context)
            gateways = reader.tableArray("gateways").map(GatewayConfiguration.init(reading:))
            reader.finish()
        } else {
            root.merge(overrides) { _, override in override }
            gateways = [GatewayConfiguration(reading: ConfigTableReader.root(.table(root), context: context))]
        }
        try context.check()
        return gateways
    }
}
