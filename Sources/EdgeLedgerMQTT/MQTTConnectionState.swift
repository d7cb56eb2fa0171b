/// Where the connection to the broker stands. Reported once per change.
public enum MQTTConnectionState: Sendable, Equatable, CustomStringConvertible {
    /// Trying to connect (first attempt, or after a loss with backoff).
    case connecting
    /// Connected and subscribed; readings flow.
    case connected
    /// Not connected; `reason` says why; the client retries after `retryIn` seconds.
    case disconnected(reason: String, retryIn: Double)
    /// Stopped on request; no more reconnects.
    case stopped

    public var description: String {
        switch self {
        case .connecting: "connecting"
        case .connected: "connected"
        case .disconnected(let reason, let retryIn): "disconnected (\(reason)); retrying in \(retryIn)s"
        case .stopped: "stopped"
        }
    }

    /// True only in `.connected`.
    public var isConnected: Bool { self == .connected }
}
