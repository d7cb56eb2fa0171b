import EdgeLedgerCore
import Logging
import Synchronization

/// The log handler of both executables: one line per event on stderr (journald adds the time), as
/// `level label: message key=value ...` or as one JSON object per line; the level can change
/// at run time (SIGHUP reload).
public struct EdgeLedgerLogHandler: LogHandler {
    /// Output format.
    public enum Format: Sendable { case text, json }

    /// The level shared by every handler (changed by reloads).
    public static let sharedLevel = Mutex<Logger.Level>(.info)
    private static let format = Mutex<Format>(.text)

    private let label: String
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    public var logLevel: Logger.Level {
        get { Self.sharedLevel.withLock { $0 } }
        set { Self.sharedLevel.withLock { $0 = newValue } }
    }

    /// Installs the handler for the whole process (once, at start).
    public static func bootstrap(level: Logger.Level, format: Format) {
        sharedLevel.withLock { $0 = level }
        Self.format.withLock { $0 = format }
        LoggingSystem.bootstrap { EdgeLedgerLogHandler(label: $0) }
    }

    /// Installs the handler as `[log]` configures it (`levelOverride`, from `--log-level`, wins
    /// over `log.level`), and logs the configuration's `warnings` with the returned logger: how
    /// both executables start.
    public static func bootstrap<Warning: CustomStringConvertible>(
        _ log: LogConfiguration, levelOverride: String?, label: String, warnings: [Warning]
    ) -> Logger {
        let level = Logger.Level(rawValue: levelOverride ?? log.level.rawValue) ?? .info
        bootstrap(level: level, format: log.format == .json ? .json : .text)
        let logger = Logger(label: label)
        for warning in warnings {
            logger.warning("configuration: \(warning)")
        }
        return logger
    }

    init(label: String) {
        self.label = label
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { $1 } }
        if let extra = event.metadata { all.merge(extra) { $1 } }
        let line: String
        switch Self.format.withLock({ $0 }) {
        case .text:
            let fields = all.sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.quoteIfNeeded("\($0.value)"))" }
            line =
                "\(event.level) \(label): \(event.message)"
                + (fields.isEmpty ? "" : " " + fields.joined(separator: " "))
        case .json:
            var parts = [
                "\"level\":\(JSONWriter.string("\(event.level)"))", "\"logger\":\(JSONWriter.string(label))",
                "\"msg\":\(JSONWriter.string("\(event.message)"))",
            ]
            for (k, v) in all.sorted(by: { $0.key < $1.key }) {
                parts.append("\(JSONWriter.string(k)):\(JSONWriter.string("\(v)"))")
            }
            line = "{" + parts.joined(separator: ",") + "}"
        }
        // One write(2) per line: lines from different threads never interleave.
        StandardError.line(line)
    }

    static func quoteIfNeeded(_ s: String) -> String {
        s.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" }) ? JSONWriter.string(s) : s
    }
}
