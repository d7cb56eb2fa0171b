import EdgeLedgerCore

/// Loads and validates EdgeLedger configuration files (TOML).
///
/// ```swift
/// let config = try ConfigLoader.load(path: "/etc/edge-ledger/edge-ledger.toml")
/// ```
///
/// Relative file paths inside a configuration (keys, database, TLS files, the anchoring
/// command) resolve against the directory of the configuration file; with ``parse(toml:environment:baseDirectory:)``
/// they resolve against `baseDirectory`, or stay relative when it is `nil`.
///
/// Every function throws ``ConfigError`` listing every problem of the document with its key
/// path (TOML syntax errors with line and column), and never traps on malformed input.
public enum ConfigLoader {
    /// Largest configuration file accepted (1 MiB).
    public static let maximumFileSize = 1 << 20

    /// The environment of this process, for `*_env` secrets.
    public static var processEnvironment: [String: String] { ProcessEnvironment.current() }

    // MARK: Agent

    /// Reads, parses and validates the agent configuration at `path`.
    public static func load(
        path: String, environment: [String: String] = processEnvironment
    ) throws(ConfigError) -> AgentConfiguration {
        let text = try ConfigFile.text(at: path, limit: maximumFileSize)
        return try parse(toml: text, environment: environment, baseDirectory: ConfigFile.directory(of: path))
    }

    /// Parses and validates an agent configuration given as TOML text.
    public static func parse(
        toml: String, environment: [String: String] = processEnvironment, baseDirectory: String? = nil
    ) throws(ConfigError) -> AgentConfiguration {
        let document = try self.document(toml: toml)
        return try AgentConfiguration(from: document, environment: environment, baseDirectory: baseDirectory)
    }

    // MARK: Reference upstream

    /// Reads, parses and validates the reference upstream's configuration at `path`.
    public static func loadUpstream(
        path: String, environment: [String: String] = processEnvironment
    ) throws(ConfigError) -> UpstreamConfiguration {
        let text = try ConfigFile.text(at: path, limit: maximumFileSize)
        return try parseUpstream(toml: text, environment: environment, baseDirectory: ConfigFile.directory(of: path))
    }

    /// Parses and validates a reference upstream configuration given as TOML text.
    public static func parseUpstream(
        toml: String, environment: [String: String] = processEnvironment, baseDirectory: String? = nil
    ) throws(ConfigError) -> UpstreamConfiguration {
        let document = try self.document(toml: toml)
        return try UpstreamConfiguration(from: document, environment: environment, baseDirectory: baseDirectory)
    }

    /// The `keys.signing[i].path` values of the agent configuration at `path`, resolved like
    /// the agent resolves them, read from the document alone (no schema validation): lets
    /// `check-config` check the key files of a configuration that has other problems too.
    /// Entries without a string `path` are left out; unreadable or unparsable files give none.
    public static func signingKeyPaths(path: String) -> [(index: Int, path: String)] {
        guard let text = try? ConfigFile.text(at: path, limit: maximumFileSize),
            let parsed = try? Self.document(toml: text)
        else { return [] }
        return KeysConfiguration.signingKeyPaths(in: parsed, baseDirectory: ConfigFile.directory(of: path))
    }

    // MARK: Documents

    /// Parses TOML text into a generic ``ConfigValue`` tree without validating the schema.
    public static func document(toml: String) throws(ConfigError) -> ConfigValue {
        try TOMLDocument.parse(toml, limit: maximumFileSize)
    }
}
