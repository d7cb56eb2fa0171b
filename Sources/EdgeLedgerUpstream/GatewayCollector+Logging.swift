import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerHTTP
import EdgeLedgerStore
import EdgeLedgerSystem
import Logging
import ServiceLifecycle
import Synchronization

/// What a pull is worth logging.
extension GatewayCollector {
    func logOutcome(_ report: PullReport) {
        let problem: String?
        var failures = 0
        switch report.outcome {
        case .refused(let why): problem = "refused: " + why
        case .rejected(let why): problem = "rejected: " + why
        case .unreachable(let why): problem = "unreachable: " + why
        case .failed(let why): problem = "failed: " + why
        case .noCheckpoint, .upToDate, .verified: problem = nil
        }
        let previous = memory.withLock { m -> String? in
            let previous = m.problem
            m.problem = problem
            if case .unreachable = report.outcome { m.failures += 1 } else { m.failures = 0 }
            failures = m.failures
            return previous
        }
        var metadata: Logger.Metadata = ["verified": "\(report.verifiedSize)"]
        if let size = report.checkpointSize { metadata["checkpoint"] = "\(size)" }
        switch report.outcome {
        case .verified:
            let seconds = Double(report.duration.nanosecondsClamped) / 1e9
            metadata["entries"] = "\(report.fetchedEntries)"
            metadata["verifying_seconds"] = "\((Double(report.verifying.nanosecondsClamped) / 1e6).rounded() / 1000)"
            metadata["seconds"] = "\((seconds * 1000).rounded() / 1000)"
            if seconds > 0 { metadata["entries_per_second"] = "\(Int(Double(report.fetchedEntries) / seconds))" }
            logger.info("verified and stored a new checkpoint", metadata: metadata)
        case .noCheckpoint, .upToDate:
            if previous != nil { logger.notice("gateway reachable again", metadata: metadata) }
        case .refused(let why):
            if problem != previous {
                logger.error("REFUSED what the gateway served: \(why)", metadata: metadata)
            } else {
                logger.debug("still refusing: \(why)", metadata: metadata)
            }
        case .rejected(let why):
            if problem != previous { logger.error("gateway rejected the request: \(why)", metadata: metadata) }
        case .unreachable(let why):
            if !(previous?.hasPrefix("unreachable: ") ?? false) {
                logger.warning(
                    "gateway unreachable: \(why); retrying with backoff up to \(ConfigDuration.format(gateway.backoff.max))",
                    metadata: metadata)
            } else {
                logger.debug(
                    "gateway still unreachable: \(why)", metadata: metadata.merging(["failures": "\(failures)"]) { $1 })
            }
        case .failed(let why) where report.raced:
            logger.notice("\(why); pulling again in \(ConfigDuration.format(gateway.pullInterval))", metadata: metadata)
        case .failed(let why):
            if problem != previous { logger.error("collection failed: \(why)", metadata: metadata) }
        }
    }
}
