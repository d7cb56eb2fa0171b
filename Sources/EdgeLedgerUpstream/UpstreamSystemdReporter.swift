import EdgeLedgerSystem
import Synchronization

/// Tells systemd how `edge-ledger-upstream` is doing, through three hooks of the node:
///
/// - ``serverRunning(port:gateways:)``, given to `UpstreamNode.make(onServerRunning:)`, sends
///   `READY=1` once the store is open (the node is made) and the witness's HTTP listener is bound;
/// - ``storeProbed(_:)``, given to `UpstreamNode.make(onStoreProbe:)`, is called after each read
///   of the gateways' states by the node's readiness probe (every ``probeInterval``): a read that
///   succeeds sends `WATCHDOG=1` (paced by the notifier), and a changed result a `STATUS=` line;
/// - ``shuttingDown()``, given to `UpstreamNode.run(onShutdown:)`, sends `STOPPING=1` when the
///   node's service group starts shutting down.
///
/// The watchdog proves that the store answers: a writer stuck on a stalled disk holds the
/// store's connection, the read waits behind it, the pings stop and systemd restarts the node.
/// It does not prove that each collector's loop turns (a collector waiting on an unreachable
/// gateway is not a fault).
///
/// Without `$NOTIFY_SOCKET` every hook is a cheap no-op.
public final class UpstreamSystemdReporter: Sendable {
    /// Where notifications go.
    public let notifier: SystemdNotifier
    /// How often the node should probe its store: half the watchdog interval (so that a ping is
    /// due at every other probe at the latest), at most the readiness probe's default interval.
    public let probeInterval: Duration
    private let port: Atomic<Int>
    private let lastStatus: Mutex<String>

    /// A reporter sending through `notifier`.
    public init(notifier: SystemdNotifier) {
        self.notifier = notifier
        let readiness = UpstreamReadiness.defaultInterval
        self.probeInterval = min(notifier.watchdogInterval.map { $0 / 2 } ?? readiness, readiness)
        self.port = Atomic(0)
        self.lastStatus = Mutex("")
    }

    /// `READY=1` with a status naming the port: the witness listens.
    public func serverRunning(port: Int, gateways: Int) {
        self.port.store(port, ordering: .relaxed)
        notifier.ready(status: "witnessing \(gateways) gateway\(gateways == 1 ? "" : "s") on port \(port)")
    }

    /// `STOPPING=1`: the node's service group started shutting down.
    public func shuttingDown() {
        notifier.stopping(status: "stopping: finishing requests and pulls")
    }

    /// One read of the gateways' states finished: `WATCHDOG=1` when it succeeded (a failing store
    /// gets no ping, so one that keeps failing ends in a watchdog restart like a stuck one), and
    /// a `STATUS=` line when the result differs from the last one.
    public func storeProbed(_ result: Result<[CollectorGatewayState], any Error>) {
        let status: String
        switch result {
        case .success(let states):
            let verified = states.reduce(UInt64(0)) { $0 &+ $1.verifiedSize }
            let port = self.port.load(ordering: .relaxed)
            status =
                "witnessing \(states.count) gateway\(states.count == 1 ? "" : "s")"
                + (port > 0 ? " on port \(port)" : "") + "; \(verified) entries verified"
            notifier.watchdog()
        case .failure(let error):
            status = "store read failed: \(error)"
        }
        let changed = lastStatus.withLock { last in
            defer { last = status }
            return last != status
        }
        if changed { notifier.status(status) }
    }
}
