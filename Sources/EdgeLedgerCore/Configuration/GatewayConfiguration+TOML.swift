/// A gateway's settings as the keys of one `[[gateways]]` entry: how the upstream's registry
/// stores an enrolled gateway (read back with ``ConfigLoader/parseGateway(toml:environment:baseDirectory:)``,
/// so the file and the registry are validated by the same rules).
extension GatewayConfiguration {
    /// The entry's keys as TOML (no table header); every setting is written, defaults included.
    public var toml: String {
        func string(_ text: String) -> String { JSONWriter.string(text) }
        func list(_ items: [String]) -> String { "[" + items.map(string).joined(separator: ", ") + "]" }
        var lines = [
            "origin = \(string(origin))",
            "url = \(string(url))",
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
    /// Parses and validates one gateway's settings: the keys of a `[[gateways]]` entry as a TOML
    /// document (as ``GatewayConfiguration/toml`` writes them).
    public static func parseGateway(
        toml: String, environment: [String: String] = [:], baseDirectory: String? = nil
    ) throws(ConfigError) -> GatewayConfiguration {
        let document = try self.document(toml: toml)
        let context = ConfigContext(environment: environment, baseDirectory: baseDirectory)
        let gateway = GatewayConfiguration(reading: ConfigTableReader.root(document, context: context))
        try context.check()
        return gateway
    }
}
