import EdgeLedgerCore

/// Loading configuration files: the file's text (``ConfigFile``) and this process's environment
/// (for `*_env` secrets), handed to the pure parser in EdgeLedgerCore. Relative paths inside
/// a configuration resolve against the directory of its file.
extension ConfigLoader {
    /// The environment of this process, for `*_env` secrets.
    public static var processEnvironment: [String: String] { ProcessEnvironment.current() }

    /// Reads, parses and validates the agent configuration at `path`.
    public static func load(
        path: String, environment: [String: String] = processEnvironment
    ) throws(ConfigError) -> AgentConfiguration {
        let text = try ConfigFile.text(at: path, limit: maximumFileSize)
        return try parse(toml: text, environment: environment, baseDirectory: ConfigFile.directory(of: path))
    }

    /// Reads, parses and validates the reference upstream's configuration at `path`.
    public static func loadUpstream(
        path: String, environment: [String: String] = processEnvironment
    ) throws(ConfigError) -> UpstreamConfiguration {
        let text = try ConfigFile.text(at: path, limit: maximumFileSize)
        return try parseUpstream(toml: text, environment: environment, baseDirectory: ConfigFile.directory(of: path))
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
}
