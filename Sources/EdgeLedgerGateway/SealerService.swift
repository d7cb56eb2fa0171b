import EdgeLedgerSystem
import Logging
import ServiceLifecycle

/// Seals every `interval`, or sooner once `maxEntries` are pending, and a last time on shutdown.
///
/// In the agent's `ServiceGroup` it is listed before ``IngestService``, so on shutdown ingest
/// stops first and the final seal covers every reading that was acknowledged.
public struct SealerService: Service {
    private let sealer: Sealer
    private let interval: Duration
    private let maxEntries: Int
    private let logger: Logger
    private let watchdog: SystemdProgressWatchdog?
    /// How often the pending count is looked at between interval seals.
    private static let pollStep: Duration = .milliseconds(100)

    /// - Parameter watchdog: told of progress after each turn of the loop (a seal that hangs
    ///   stops the pings).
    public init(
        sealer: Sealer, interval: Duration, maxEntries: Int, logger: Logger, watchdog: SystemdProgressWatchdog? = nil
    ) {
        self.watchdog = watchdog
        self.sealer = sealer
        self.interval = interval
        self.maxEntries = maxEntries
        self.logger = logger
    }

    public func run() async throws {
        var lastSeal = ContinuousClock.now
        var failures = 0
        while !Task.isShuttingDownGracefully {
            do {
                try await Task.sleep(for: min(Self.pollStep, interval))
            } catch {
                break  // cancelled
            }
            watchdog?.progress("sealer")
            let due = ContinuousClock.now - lastSeal >= interval
            guard due || sealer.pendingCount >= UInt64(maxEntries) else { continue }
            lastSeal = ContinuousClock.now
            do {
                try sealer.seal()
                if failures > 0 { logger.notice("sealing works again", metadata: ["failed_attempts": "\(failures)"]) }
                failures = 0
            } catch {
                failures += 1
                // Once per streak at error level; the entries stay pending and the next seal covers them.
                if failures == 1 {
                    logger.error("cannot seal a checkpoint; will retry", metadata: ["error": "\(error)"])
                }
            }
        }
        do {
            if let result = try sealer.seal() {
                logger.info("sealed final checkpoint", metadata: ["size": "\(result.checkpoint.size)"])
            }
        } catch {
            logger.error("cannot seal the final checkpoint", metadata: ["error": "\(error)"])
            throw error
        }
    }
}
