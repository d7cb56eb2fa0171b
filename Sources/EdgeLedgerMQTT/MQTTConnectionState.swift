import EdgeLedgerCore

/// Where the connection to the broker stands. Reported once per change, and while the same
/// failure repeats, as a periodic ``retrying(reason:retryIn:attempts:sinceNanoseconds:)`` reminder.
public enum MQTTConnectionState: Sendable, Equatable, CustomStringConvertible {
    /// Trying to connect (first attempt, or after a loss with backoff).
    case connecting
    /// Connected and subscribed; readings flow.
    case connected
    /// Not connected; `reason` says why; the client retries after `retryIn` seconds.
    case disconnected(reason: String, retryIn: Double)
    /// Still not connected, for the same `reason` as the last ``disconnected(reason:retryIn:)``:
    /// a reminder every `MQTTClientOptions.retryReportInterval` seconds, with the failed
    /// `attempts` since the connection was last up and when they began (Unix nanoseconds).
    case retrying(reason: String, retryIn: Double, attempts: Int, sinceNanoseconds: Int64)
    /// Stopped on request; no more reconnects.
    case stopped

    public var description: String {
        switch self {
        case .connecting: "connecting"
        case .connected: "connected"
        case .disconnected(let reason, let retryIn): "disconnected (\(reason)); retrying in \(retryIn)s"
        case .retrying(let reason, let retryIn, let attempts, let since):
            "still retrying, next attempt in \(retryIn)s: \(reason) (\(attempts) failed attempts since "
                + "\(RFC3339.dateTime(seconds: since / 1_000_000_000))Z)"
        case .stopped: "stopped"
        }
    }

    /// True only in `.connected`.
    public var isConnected: Bool { self == .connected }
}
