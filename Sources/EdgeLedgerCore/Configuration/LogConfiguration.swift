/// Logging: level and output format (`[log]`).
public struct LogConfiguration: Sendable, Equatable {
    /// Log levels, as swift-log names them.
    public enum Level: String, Sendable, Equatable, CaseIterable {
        case trace, debug, info, notice, warning, error, critical
    }

    /// Output format.
    public enum Format: String, Sendable, Equatable, CaseIterable {
        /// Human-readable lines (journald adds the timestamp).
        case text
        /// One JSON object per line, for log shippers.
        case json
    }

    /// Lowest level written. Default `info`.
    public var level: Level
    /// Output format. Default `text`.
    public var format: Format

    /// Creates logging settings.
    public init(level: Level = .info, format: Format = .text) {
        self.level = level
        self.format = format
    }

    init(reading r: ConfigTableReader) {
        let d = LogConfiguration()
        self.init(
            level: r.choice("level", default: d.level, Level.allCases.map { ($0.rawValue, $0) }),
            format: r.choice("format", default: d.format, Format.allCases.map { ($0.rawValue, $0) }))
        r.finish()
    }
}
