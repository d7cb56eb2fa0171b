/// Parses and validates EdgeLedger configurations (TOML) into the configuration model.
///
/// ```swift
/// let config = try ConfigLoader.parse(toml: text, environment: ["MQTT_PW": "…"])
/// ```
///
/// Reading a file and the process environment is I/O and lives beside the other system calls
/// (`ConfigLoader.load(path:)` in EdgeLedgerSystem). Relative file paths inside a configuration
/// (keys, database, TLS files, the anchoring command) resolve against `baseDirectory` (the
/// directory of the configuration file when loaded from one), or stay relative when it is `nil`.
///
/// Every function throws ``ConfigError`` listing every problem of the document with its key
/// path (TOML syntax errors with line and column), and never traps on malformed input.
public enum ConfigLoader {
    /// Largest configuration file accepted (1 MiB).
    public static let maximumFileSize = 1 << 20

    // MARK: Agent

    /// Parses and validates an agent configuration given as TOML text.
    public static func parse(
        toml: String, environment: [String: String] = [:], baseDirectory: String? = nil
    ) throws(ConfigError) -> AgentConfiguration {
        let document = try self.document(toml: toml)
        return try AgentConfiguration(from: document, environment: environment, baseDirectory: baseDirectory)
    }

    // MARK: Reference upstream

    /// Parses and validates a reference upstream configuration given as TOML text.
    public static func parseUpstream(
        toml: String, environment: [String: String] = [:], baseDirectory: String? = nil
    ) throws(ConfigError) -> UpstreamConfiguration {
        let document = try self.document(toml: toml)
        return try UpstreamConfiguration(from: document, environment: environment, baseDirectory: baseDirectory)
    }

    // MARK: Documents

    /// Parses TOML text into a generic ``ConfigValue`` tree without validating the schema.
    public static func document(toml: String) throws(ConfigError) -> ConfigValue {
        try TOMLDocument.parse(toml, limit: maximumFileSize)
    }
}
