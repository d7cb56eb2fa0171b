import Logging
import Synchronization

/// A log that tests can read: every line logged through ``logger(label:level:)`` is kept as
/// `level label: message key=value ...` (metadata sorted by key).
public final class CapturedLog: Sendable {
    private let storage = Mutex<[String]>([])

    /// An empty log.
    public init() {}

    /// A logger writing into this log at `level` and above.
    public func logger(label: String, level: Logger.Level = .info) -> Logger {
        var logger = Logger(label: label) { label in Handler(label: label, log: self) }
        logger.logLevel = level
        return logger
    }

    /// Every line so far.
    public var lines: [String] { storage.withLock { $0 } }

    /// The lines containing `text`.
    public func lines(containing text: String) -> [String] { lines.filter { $0.contains(text) } }

    /// The sum of the whole number after `key=` in every line containing `text` (e.g. the
    /// `suppressed=N` of every summary line).
    public func sum(of key: String, inLinesContaining text: String) -> Int {
        lines(containing: text).reduce(0) { total, line in
            guard let range = line.range(of: " \(key)=") else { return total }
            return total + (Int(line[range.upperBound...].prefix { $0.isNumber }) ?? 0)
        }
    }

    fileprivate func append(_ line: String) { storage.withLock { $0.append(line) } }

    private struct Handler: LogHandler {
        let label: String
        let log: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            var all = metadata
            if let extra = event.metadata { all.merge(extra) { $1 } }
            let fields = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            log.append(
                "\(event.level) \(label): \(event.message)"
                    + (fields.isEmpty ? "" : " " + fields.joined(separator: " ")))
        }
    }
}
