import EdgeLedgerCore
import EdgeLedgerSystem
import Logging
import ServiceLifecycle

/// The anchoring hook of the reference upstream (a `Service`): runs `anchor.command` once per
/// verified checkpoint with its ``AnchorDocument`` on stdin, from the durable queue in the
/// ``CollectorStore`` (a job is queued in the same transaction that records the checkpoint).
///
/// A job succeeds when the command exits 0 within `anchor.timeout`, or exits
/// `anchor.already_anchored_status` (default 3: "this id is already anchored with this hash", the
/// answer to a retry after an attempt that landed but was killed by its timeout); otherwise it is
/// retried with exponential backoff and jitter (`anchor.retry`), with the same id, surviving
/// restarts. The command gets the id, the hash and the attempt number in
/// `EDGE_LEDGER_ANCHOR_ID`, `EDGE_LEDGER_ANCHOR_HASH` and `EDGE_LEDGER_ANCHOR_ATTEMPT` besides the
/// document on stdin. With several instances, each job is claimed by one instance at a time.
/// Anchoring never blocks collection: collectors only insert jobs; this service works through
/// them on its own.
public final class Anchorer: Service, Sendable {
    /// The configuration.
    public let configuration: AnchorConfiguration
    private let store: CollectorStore
    private let logger: Logger
    private let wakeup = WakeupSignal()
    private let idlePoll: Duration
    private let metrics: UpstreamMetrics?
    private let instanceID: String

    /// - Parameters:
    ///   - idlePoll: the longest sleep between looks at the queue.
    ///   - metrics: where completed and failed attempts are counted.
    ///   - instanceID: the name this instance claims jobs under.
    public init(
        configuration: AnchorConfiguration, store: CollectorStore, idlePoll: Duration = .seconds(60),
        logger: Logger = Logger(label: "edge-ledger.anchor"), metrics: UpstreamMetrics? = nil,
        instanceID: String = "local"
    ) {
        self.instanceID = instanceID
        self.configuration = configuration
        self.store = store
        self.idlePoll = idlePoll
        self.logger = logger
        self.metrics = metrics
    }

    /// Look at the queue now (a checkpoint was verified).
    public func nudge() { wakeup.signal() }

    /// Works through the queue until cancelled or graceful shutdown.
    public func run() async throws {
        guard configuration.isEnabled else {
            try? await gracefulShutdown()
            return
        }
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.runDueJobs()
                let now = SystemClock.nowNanoseconds()
                var wait = self.idlePoll
                if let next = try? await self.store.nextAnchorAttempt() {
                    wait = min(wait, .nanoseconds(max(0, next - now)))
                }
                if wait > .zero { await self.wakeup.wait(timeout: wait) }
            }
        }
    }

    /// Runs every job that is due; returns how many succeeded.
    @discardableResult
    public func runDueJobs() async -> Int {
        guard configuration.isEnabled else { return 0 }
        let jobs: [AnchorJob]
        do {
            // Claimed for longer than the jobs can take to run one after the other.
            let claim = configuration.timeout * 64 + .seconds(60)
            jobs = try await store.dueAnchorJobs(
                now: SystemClock.nowNanoseconds(), limit: 64, holder: instanceID, claim: claim)
            if let pending = try? await store.pendingAnchorJobs() { metrics?.anchorPending.record(pending) }
        } catch {
            logger.error("cannot read the anchoring queue: \(error)")
            return 0
        }
        var succeeded = 0
        for job in jobs {
            if Task.isCancelled { break }
            if await run(job) { succeeded += 1 }
        }
        return succeeded
    }

    private func run(_ job: AnchorJob) async -> Bool {
        let metadata: Logger.Metadata = ["id": "\(job.anchorID)", "attempt": "\(job.attempts + 1)"]
        let failure: String
        do {
            var environment = configuration.childEnvironment { name in getenv(name).map { String(cString: $0) } }
            environment += [
                "EDGE_LEDGER_ANCHOR_ID=\(job.anchorID)", "EDGE_LEDGER_ANCHOR_ATTEMPT=\(job.attempts + 1)",
            ]
            if let root = job.root { environment.append("EDGE_LEDGER_ANCHOR_HASH=\(root.hex)") }
            let result = try await CommandRunner.run(
                configuration.command, stdin: Array(job.document.utf8), timeout: configuration.timeout,
                environment: environment)
            let already = !result.timedOut && result.status == configuration.alreadyAnchoredStatus
            if !result.timedOut && result.status == 0 || already {
                try await store.completeAnchorJob(id: job.id, at: SystemClock.nowNanoseconds())
                metrics?.anchored.increment()
                if already {
                    metrics?.anchorAlready.increment()
                    logger.info(
                        "checkpoint was anchored already, with this hash (an earlier attempt landed)",
                        metadata: metadata)
                } else {
                    logger.info("anchored checkpoint", metadata: metadata)
                }
                return true
            }
            let output = result.output.split(whereSeparator: \.isNewline).joined(separator: " | ")
            failure =
                result.timedOut
                ? "timed out after \(ConfigDuration.format(configuration.timeout)) and was killed"
                : "exited with status \(result.status)" + (output.isEmpty ? "" : ": \(output.prefix(500))")
        } catch is CancellationError {
            return false  // shutting down; the job stays queued
        } catch {
            failure = "\(error)"
        }
        metrics?.anchorFailures.increment()
        let delay = Backoff(configuration.retry).delay(afterFailures: job.attempts + 1)
        do {
            try await store.failAnchorJob(
                id: job.id, error: failure, nextAttemptAt: SystemClock.nowNanoseconds() + delay.nanosecondsClamped)
        } catch {
            logger.error("cannot reschedule the anchoring job: \(error)", metadata: metadata)
        }
        let message =
            "anchoring command \(configuration.command[0]) \(failure); retrying in \(ConfigDuration.format(delay))"
        if job.attempts == 0 {
            logger.warning("\(message)", metadata: metadata)
        } else {
            logger.debug("\(message)", metadata: metadata)
        }
        return false
    }
}
