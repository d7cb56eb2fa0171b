import EdgeLedgerCore
import EdgeLedgerSystem
import Logging
import Metrics
import NIOCore
import Synchronization

/// Decides which connections an HTTP listener serves, so that no client can starve the others.
///
/// - A client address (an IPv4 address, an IPv6 /64) holds at most
///   ``ConnectionLimits/maxConnectionsPerClient`` connections; more are closed at once.
/// - At most ``Limits/maxConnections`` connections are served. Beyond that, up to
///   ``ConnectionLimits/reservedProbes`` more are admitted as *probes* (one per client address)
///   that may only ask for `/healthz`, `/readyz`, `/status` or `/metrics`; others are closed at once.
///   Connections are always accepted (never left in the listen backlog), so health checks from
///   another address get through while one client holds its share.
/// - Deadlines (``ConnectionDeadlineHandler``) bound how long a connection may take to send a
///   request head and body.
///
/// `edge_ledger_http_connections_refused_total{listener, reason}` counts closed connections
/// (`per_client`, `capacity`, `probe_path`) and `edge_ledger_http_deadline_cuts_total{listener,
/// deadline}` connections cut at a deadline (`header`, `body`).
public final class ConnectionGuard: Sendable {
    /// What a new connection may do.
    public enum Admission: Sendable, Equatable {
        /// A normal connection.
        case served
        /// A reserved connection: health and metrics requests only.
        case probe
        /// Closed: the client holds its share already.
        case refusedPerClient
        /// Closed: every connection, reserved ones included, is in use.
        case refusedCapacity
    }

    /// The effective limits of one listener.
    public struct Limits: Sendable, Equatable {
        /// Time allowed for a request head after accept (or after the previous response).
        public var headerTimeout: Duration
        /// Time allowed for a request body after its head.
        public var bodyTimeout: Duration
        /// Normal connections at once.
        public var maxConnections: Int
        /// Connections per client address.
        public var maxConnectionsPerClient: Int
        /// Probe connections beyond ``maxConnections``.
        public var reservedProbes: Int
        /// Paths (with the listener's prefix) a probe connection may ask for.
        public var probePaths: Set<String>

        /// Limits from `[http]` settings.
        public init(_ limits: ConnectionLimits, requestTimeout: Duration, prefix: String) {
            self.headerTimeout = limits.headerTimeout
            self.bodyTimeout = requestTimeout
            self.maxConnections = limits.maxConnections
            self.maxConnectionsPerClient = limits.maxConnectionsPerClient
            self.reservedProbes = ConnectionLimits.reservedProbes
            let trimmed = prefix.hasSuffix("/") ? String(prefix.dropLast()) : prefix
            self.probePaths = Set(["healthz", "readyz", "status", "metrics"].map { "\(trimmed)/\($0)" })
        }
    }

    private struct State {
        var perClient: [String: Int] = [:]
        var probesByClient: [String: Int] = [:]
        var served = 0
        var probes = 0
    }

    /// The limits in force (after ``fitting(_:descriptorLimit:logger:listener:)``).
    public let limits: Limits
    private let state = Mutex(State())
    private let refusedPerClient: Counter
    private let refusedCapacity: Counter
    private let refusedProbePath: Counter
    private let headerCuts: Counter
    private let bodyCuts: Counter

    /// A guard for the listener named `listener` (`api` or `witness`), counting into `factory`
    /// (the bootstrapped `MetricsSystem` when `nil`).
    public init(limits: Limits, listener: String, metricsFactory: (any MetricsFactory)? = nil) {
        self.limits = limits
        func counter(_ name: String, _ key: String, _ value: String) -> Counter {
            let dimensions = [("listener", listener), (key, value)]
            if let metricsFactory { return Counter(label: name, dimensions: dimensions, factory: metricsFactory) }
            return Counter(label: name, dimensions: dimensions)
        }
        let refused = "edge_ledger_http_connections_refused_total"
        let cuts = "edge_ledger_http_deadline_cuts_total"
        refusedPerClient = counter(refused, "reason", "per_client")
        refusedCapacity = counter(refused, "reason", "capacity")
        refusedProbePath = counter(refused, "reason", "probe_path")
        headerCuts = counter(cuts, "deadline", "header")
        bodyCuts = counter(cuts, "deadline", "body")
    }

    /// Decides about a new connection from `client` and counts it when admitted; call
    /// ``release(client:admission:)`` when an admitted connection closes.
    public func admit(client: String) -> Admission {
        let admission = state.withLock { s -> Admission in
            if s.perClient[client, default: 0] >= limits.maxConnectionsPerClient { return .refusedPerClient }
            if s.served < limits.maxConnections {
                s.served += 1
                s.perClient[client, default: 0] += 1
                return .served
            }
            if s.probes < limits.reservedProbes, s.probesByClient[client, default: 0] == 0 {
                s.probes += 1
                s.probesByClient[client] = 1
                s.perClient[client, default: 0] += 1
                return .probe
            }
            return .refusedCapacity
        }
        switch admission {
        case .refusedPerClient: refusedPerClient.increment()
        case .refusedCapacity: refusedCapacity.increment()
        case .served, .probe: break
        }
        return admission
    }

    /// Forgets a connection admitted by ``admit(client:)``.
    public func release(client: String, admission: Admission) {
        state.withLock { s in
            switch admission {
            case .served: s.served -= 1
            case .probe:
                s.probes -= 1
                s.probesByClient[client] = nil
            case .refusedPerClient, .refusedCapacity: return
            }
            let left = s.perClient[client, default: 1] - 1
            s.perClient[client] = left > 0 ? left : nil
        }
    }

    /// Connections admitted and not yet released (normal, probe).
    public var openConnections: (served: Int, probes: Int) { state.withLock { ($0.served, $0.probes) } }

    package func countProbePathRefused() { refusedProbePath.increment() }
    package func countHeaderCut() { headerCuts.increment() }
    package func countBodyCut() { bodyCuts.increment() }

    /// The key connections are counted under: an IPv4 address, an IPv6 /64 (one host usually
    /// holds a whole /64), or `local` for a Unix socket.
    public static func clientKey(_ address: SocketAddress?) -> String {
        switch address {
        case .v4(let v4)?:
            return v4.host
        case .v6(let v6)?:
            let bytes = withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
            if bytes.prefix(10).allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff {
                return bytes[12...].map(String.init).joined(separator: ".")  // IPv4-mapped
            }
            return Hex.encode(Array(bytes.prefix(8))) + "::/64"
        default:
            return "local"
        }
    }

    /// `limits` lowered, when needed, so that every connection the listener may hold fits in
    /// half of the process's descriptor limit (`RLIMIT_NOFILE`): the other half stays for the
    /// store, journal, outgoing connections and the anchoring command. A lowered limit is logged
    /// at warning with the key to change.
    public static func fitting(
        _ limits: Limits, descriptorLimit: Int? = ConnectionGuard.descriptorLimit(), logger: Logger,
        listener: String,
        hint: String = "raise LimitNOFILE= (systemd) or ulimit -n, or lower http.max_connections"
    ) -> Limits {
        guard let descriptorLimit else { return limits }
        let budget = max(16, descriptorLimit / 2)
        var fitted = limits
        fitted.reservedProbes = min(limits.reservedProbes, budget / 8)
        fitted.maxConnections = min(limits.maxConnections, budget - fitted.reservedProbes)
        fitted.maxConnectionsPerClient = min(limits.maxConnectionsPerClient, fitted.maxConnections)
        if fitted.maxConnections < limits.maxConnections {
            logger.warning(
                "http.max_connections lowered to fit the descriptor limit",
                metadata: [
                    "listener": "\(listener)", "configured": "\(limits.maxConnections)",
                    "max_connections": "\(fitted.maxConnections)", "nofile_limit": "\(descriptorLimit)",
                    "hint": "\(hint)",
                ])
        }
        return fitted
    }

    /// The soft `RLIMIT_NOFILE` of this process, `nil` when unlimited or unknown.
    public static func descriptorLimit() -> Int? {
        var limit = rlimit()
        #if canImport(Glibc)
            let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        #else
            let resource = RLIMIT_NOFILE
        #endif
        guard getrlimit(resource, &limit) == 0, limit.rlim_cur != rlim_t.max else { return nil }
        return Int(clamping: limit.rlim_cur)
    }
}
