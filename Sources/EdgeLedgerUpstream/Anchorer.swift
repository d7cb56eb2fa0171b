import EdgeLedgerCore
import EdgeLedgerSystem
import Logging
import ServiceLifecycle

/// The anchoring hook of the reference upstream (a `Service`): runs `anchor.command` once per
/// verified checkpoint with its ``AnchorDocument`` on stdin, from the durable queue in the
/// ``CollectorStore`` (a job is queued in the same transaction that records the checkpoint).
///
/// A job succeeds when the command exits 0 within `anchor.timeout`; otherwise it is retried
/// with exponential backoff and jitter (`anchor.retry`), surviving restarts. Anchoring never
/// blocks collection: collectors only insert jobs; this service works through them on its own.
public final class Anchorer: Service, Sendable {
    /// The configuration.
    public let configuration: AnchorConfiguration
    private let store: CollectorStore
    private let logger: Logger
    private let wakeup = WakeupSignal()
    private let idlePoll: Duration
    private let metrics: UpstreamMetrics?

    /// - Parameters:
    ///   - idlePoll: the longest sleep between looks at the queue.
    ///   - metrics: where completed and failed attempts are counted.
    public init(
        configuration: AnchorConfiguration, store: CollectorStore, idlePoll: Duration = .seconds(60),
        logger: Logger = Logger(label: "edge-ledger.anchor"), metrics: UpstreamMetrics? = nil
    ) {
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
            jobs = try await store.dueAnchorJobs(now: SystemClock.nowNanoseconds(), limit: 64)
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
        let metadata: Logger.Metadata = ["id": "\(job.origin)#\(job.size)", "attempt": "\(job.attempts + 1)"]
        let failure: String
        do {
            let environment = configuration.childEnvironment { name in getenv(name).map { String(cString: $0) } }
            let result = try await CommandRunner.run(
                configuration.command, stdin: Array(job.document.utf8), timeout: configuration.timeout,
                environment: environment)
            if result.status == 0 {
                try await store.completeAnchorJob(id: job.id, at: SystemClock.nowNanoseconds())
                metrics?.anchored.increment()
                logger.info("anchored checkpoint", metadata: metadata)
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
