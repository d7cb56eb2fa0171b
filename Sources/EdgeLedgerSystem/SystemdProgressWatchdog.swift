import Synchronization

/// Sends systemd watchdog pings only while every one of several loops makes progress.
///
/// Each loop calls ``progress(_:)`` with its name every time it turns. A `WATCHDOG=1` goes out
/// (paced by ``SystemdNotifier/watchdog()``) only once every named loop has reported since the
/// previous ping. If any loop hangs (a stuck SQLite write, a dead MQTT callback), pings stop
/// and systemd restarts the service after `WatchdogSec=`; a timer that pings regardless would
/// hide exactly those failures.
///
/// ```swift
/// let watchdog = SystemdProgressWatchdog(notifier: notifier, sources: ["ingest", "sealer"])
/// // in the ingest loop:  watchdog.progress("ingest")
/// // in the sealer loop:  watchdog.progress("sealer")
/// ```
public final class SystemdProgressWatchdog: Sendable {
    /// The notifier that sends the pings.
    public let notifier: SystemdNotifier
    /// The loops that must all report progress between two pings.
    public let sources: Set<String>
    private let reported: Mutex<Set<String>>

    /// A watchdog that pings through `notifier` while every loop in `sources` reports progress.
    public init(notifier: SystemdNotifier, sources: some Sequence<String>) {
        self.notifier = notifier
        self.sources = Set(sources)
        self.reported = Mutex([])
    }

    /// Records that loop `source` turned; sends `WATCHDOG=1` when every source has reported
    /// since the last ping and the notifier's pacing allows one.
    ///
    /// - Returns: `true` when a ping was sent.
    @discardableResult
    public func progress(_ source: String) -> Bool {
        guard notifier.isWatchdogEnabled else { return false }
        return reported.withLock { seen -> Bool in
            seen.insert(source)
            // The datagram is sent without blocking, so holding the lock meanwhile is cheap.
            guard seen.isSuperset(of: sources), notifier.watchdog() else { return false }
            seen.removeAll(keepingCapacity: true)
            return true
        }
    }

    /// The sources that have not reported since the last ping (for a diagnostic log line).
    public var waitingFor: Set<String> {
        reported.withLock { sources.subtracting($0) }
    }
}
