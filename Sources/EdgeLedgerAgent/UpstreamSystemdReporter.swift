import EdgeLedgerStore
import Synchronization

/// Tells systemd how `edge-ledger upstream` is doing, from outside the node's service group:
///
/// - ``serverRunning(port:gateways:)``, given to `UpstreamNode.make(onServerRunning:)`, sends
///   `READY=1` once the store is open (the node is made) and the witness's HTTP listener is bound;
/// - ``run(store:_:)`` runs the node, gives it ``shuttingDown()`` (which sends `STOPPING=1`) to
///   call when its service group starts shutting down, and meanwhile, every
///   ``probeInterval``, reads every gateway's state from the store: each read that succeeds sends
///   `WATCHDOG=1` (paced by the notifier), and a changed result a `STATUS=` line.
///
/// The watchdog proves that the store answers: a writer stuck on a stalled disk holds the
/// store's connection, the read waits behind it, the pings stop and systemd restarts the node.
/// It does not prove that each collector's loop turns (a collector waiting on an unreachable
/// gateway is not a fault).
///
/// Without `$NOTIFY_SOCKET` nothing is sent and ``run(store:_:)`` only runs the node.
public final class UpstreamSystemdReporter: Sendable {
    /// Where notifications go.
    public let notifier: SystemdNotifier
    /// How often the store is probed: half the watchdog interval (so that a ping is due at every
    /// other probe at the latest), at most ``statusInterval``.
    public let probeInterval: Duration
    /// How often the `STATUS=` line is refreshed when there is no watchdog.
    public static let statusInterval: Duration = .seconds(30)
    private let probes: Atomic<Int>
    private let port: Atomic<Int>

    /// A reporter sending through `notifier`.
    public init(notifier: SystemdNotifier) {
        self.notifier = notifier
        self.probeInterval = min(notifier.watchdogInterval.map { $0 / 2 } ?? Self.statusInterval, Self.statusInterval)
        self.probes = Atomic(0)
        self.port = Atomic(0)
    }

    /// Store probes that completed so far.
    public var completedProbes: Int { probes.load(ordering: .relaxed) }

    /// `READY=1` with a status naming the port: the witness listens.
    public func serverRunning(port: Int, gateways: Int) {
        self.port.store(port, ordering: .relaxed)
        notifier.ready(status: "witnessing \(gateways) gateway\(gateways == 1 ? "" : "s") on port \(port)")
    }

    /// `STOPPING=1`: the node's service group started shutting down.
    public func shuttingDown() {
        notifier.stopping(status: "stopping: finishing requests and pulls")
    }

    /// Runs `node` (the upstream node's `run(onShutdown:)`, given ``shuttingDown()``) until it
    /// returns, reporting as described above.
    public func run(
        store: CollectorStore, _ node: @Sendable (_ onShutdown: @escaping @Sendable () -> Void) async throws -> Void
    ) async throws {
        guard notifier.isEnabled else {
            try await node {}
            return
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await self.probe(store: store) }
            try await node { self.shuttingDown() }
            group.cancelAll()
        }
    }

    /// Reads the gateways' states every ``probeInterval`` until cancelled; each read that
    /// succeeds sends a paced `WATCHDOG=1`; a changed result (or error) a `STATUS=` line.
    func probe(store: CollectorStore) async {
        var lastStatus = ""
        while !Task.isCancelled {
            let status: String
            do {
                let states = try store.gatewayStates()
                let verified = states.reduce(UInt64(0)) { $0 &+ $1.verifiedSize }
                let port = self.port.load(ordering: .relaxed)
                status =
                    "witnessing \(states.count) gateway\(states.count == 1 ? "" : "s")"
                    + (port > 0 ? " on port \(port)" : "") + "; \(verified) entries verified"
                probes.add(1, ordering: .relaxed)
                notifier.watchdog()
            } catch {
                // An answer, but not a healthy one: no ping, so a store that keeps failing ends in
                // a watchdog restart like a stuck one.
                status = "store read failed: \(error)"
            }
            if status != lastStatus {
                notifier.status(status)
                lastStatus = status
            }
            try? await Task.sleep(for: probeInterval)
        }
    }
}
