/// A secret taken from the configuration (a password or token), resolved from the file or
/// the environment. Its `description` never shows the value, so a configuration can be logged.
public struct ConfigSecret: Sendable, Equatable, CustomStringConvertible {
    /// Where a secret came from.
    public enum Source: Sendable, Equatable {
        /// Written in the configuration file.
        case inline
        /// Read from the named environment variable (`*_env` keys).
        case environment(String)
    }

    /// The secret itself.
    public var value: String
    /// Where it came from.
    public var source: Source

    /// Creates a secret.
    public init(value: String, source: Source = .inline) {
        self.value = value
        self.source = source
    }

    /// `<redacted>` plus the source, never the value.
    public var description: String {
        switch source {
        case .inline: "<redacted>"
        case .environment(let name): "<redacted, from $\(name)>"
        }
    }
}
