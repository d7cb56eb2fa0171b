import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore
import EdgeLedgerSystem
import Logging
import ServiceLifecycle
import Synchronization

/// Runs this instance's share of the fleet's collectors (a `Service`): every
/// `storage.registry_interval` it reads the gateway registry (enrolled, changed, disabled
/// gateways; the witness follows it too), renews this instance's collection leases and takes free
/// or expired ones up to its fair share, then starts a collector for each gateway it holds and
/// stops the collectors of gateways it lost, that were disabled or whose settings changed.
///
/// A collector writes under its lease: when another instance took the gateway over (this one
/// paused past the lease time, or lost the database), the store refuses the write and the
/// collector is stopped at the next round. On a clean stop the leases are released, so the other
/// instances take the gateways over at once.
public final class CollectorSupervisor: Service, Sendable {
    /// This instance's name in leases.
    public let instanceID: String
    private let store: CollectorStore
    private let witness: Witness
    private let configuration: UpstreamConfiguration
    private let makeCollector: @Sendable (GatewayConfiguration, Int64) throws -> GatewayCollector
    private let metrics: UpstreamMetrics?
    private let logger: Logger
    private let running = Mutex<[Int64: Running]>([:])

    private struct Running: Sendable {
        let collector: GatewayCollector
        let revision: Int64
        let task: Task<Void, Never>
    }

    /// Prepares the supervisor; nothing runs until ``run()``.
    ///
    /// - Parameter makeCollector: builds the collector of an enrolled gateway (settings, row id).
    public init(
        instanceID: String, store: CollectorStore, witness: Witness, configuration: UpstreamConfiguration,
        metrics: UpstreamMetrics?, logger: Logger = Logger(label: "edge-ledger.fleet"),
        makeCollector: @escaping @Sendable (GatewayConfiguration, Int64) throws -> GatewayCollector
    ) {
        self.instanceID = instanceID
        self.store = store
        self.witness = witness
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
        self.makeCollector = makeCollector
    }

    /// The origins whose collectors run on this instance now.
    public var collecting: [String] { running.withLock { $0.values.map(\.collector.origin).sorted() } }

    /// Enrolls the configuration file's `[[gateways]]` (or updates their settings), then
    /// supervises until graceful shutdown or cancellation.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await self.supervise()
        }
        let stopping = running.withLock { list in
            defer { list.removeAll() }
            return Array(list.values)
        }
        for entry in stopping { entry.task.cancel() }
        for entry in stopping { await entry.task.value }
        do {
            try await store.releaseLeases(holder: instanceID)
        } catch {
            logger.warning("cannot release this instance's leases (they expire by themselves): \(error)")
        }
    }

    private func supervise() async {
        for gateway in configuration.gateways {
            do {
                try await store.enroll(gateway, update: true)
            } catch {
                logger.error("cannot enroll [[gateways]] \(gateway.origin) from the configuration file: \(error)")
            }
        }
        var fingerprint: Int64? = nil
        var registry: [Int64: RegisteredGateway] = [:]
        var lastProblem: String? = nil
        while !Task.isCancelled {
            do {
                let current = try await store.registryFingerprint()
                if current != fingerprint {
                    let entries = try await store.registeredGateways()
                    registry = Dictionary(uniqueKeysWithValues: entries.map { ($0.id, $0) })
                    applyToWitness(entries)
                    metrics?.track(gateways: entries.filter(\.enabled).map(\.origin))
                    fingerprint = current
                }
                let leases = try await store.renewLeases(holder: instanceID, duration: configuration.storage.lease)
                reconcile(leases: leases, registry: registry)
                if lastProblem != nil { logger.notice("the gateway registry is readable again") }
                lastProblem = nil
            } catch {
                let problem = "\(error)"
                if problem != lastProblem {
                    logger.error("cannot read the gateway registry or renew leases (retrying): \(problem)")
                }
                lastProblem = problem
            }
            try? await Task.sleep(for: configuration.storage.registryInterval)
        }
    }

    /// The witness accepts every enabled gateway's checkpoints (on every instance, whoever
    /// collects it).
    private func applyToWitness(_ entries: [RegisteredGateway]) {
        var logs: [WitnessedLog] = []
        for entry in entries where entry.enabled {
            do {
                logs.append(try WitnessedLog(gateway: entry.configuration))
            } catch {
                logger.error("gateway \(entry.origin) is not witnessed: its verifier keys are unusable: \(error)")
            }
        }
        witness.setLogs(logs)
    }

    /// Starts the collectors of the gateways this instance holds and stops the others.
    private func reconcile(leases: [Int64: CollectorLease], registry: [Int64: RegisteredGateway]) {
        var stop: [Running] = []
        var start: [(RegisteredGateway, CollectorLease)] = []
        running.withLock { list in
            for (id, entry) in list {
                let wanted = registry[id]
                if let lease = leases[id], let wanted, wanted.enabled, wanted.revision == entry.revision {
                    entry.collector.lease = lease
                } else {
                    stop.append(entry)
                    list[id] = nil
                }
            }
            for (id, lease) in leases where list[id] == nil {
                if let entry = registry[id], entry.enabled, entry.mode == .pull { start.append((entry, lease)) }
            }
        }
        for entry in stop {
            entry.task.cancel()
            logger.info("stopped collecting", metadata: ["gateway": "\(entry.collector.origin)"])
        }
        for (entry, lease) in start {
            let collector: GatewayCollector
            do {
                collector = try makeCollector(entry.configuration, entry.id)
            } catch {
                logger.error("cannot collect \(entry.origin): \(error)")
                continue
            }
            collector.lease = lease
            let task = Task<Void, Never> { _ = try? await collector.run() }
            running.withLock { $0[entry.id] = Running(collector: collector, revision: entry.revision, task: task) }
            logger.info(
                "collecting", metadata: ["gateway": "\(entry.origin)", "lease_token": "\(lease.token)"])
        }
    }
}
