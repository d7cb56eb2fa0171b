import EdgeLedgerCore
import EdgeLedgerSparkplug
import EdgeLedgerSystem
import Logging
import Synchronization

/// The agent as a Sparkplug B host application: keeps each edge node's state
/// (``SparkplugHostState``) from the readings of `sparkplug_b` topics, counts and logs every gap,
/// and sends the `Node Control/Rebirth` NCMD when one calls for it (`[sparkplug]`).
///
/// Called on the MQTT network thread by ``IngestPipeline``, which records each gap as an entry.
/// Sending the command only queues it in libmosquitto (``MQTTClient/publish(topic:payload:qos:retain:)``):
/// nothing here waits for a socket, so ingest never stalls on it.
public final class SparkplugHost: Sendable {
    /// Queues a command on the agent's broker connection; returns why it could not, or `nil`.
    public typealias CommandSender = @Sendable (_ topic: String, _ payload: [UInt8]) -> String?

    private struct Counters {
        var gaps: [SparkplugGap.Kind: Int] = [:]
        var rebirthRequests = 0
        var redelivered = 0
        var lastGap: String?
    }

    private let state: Mutex<SparkplugHostState>
    private let counters = Mutex(Counters())
    private let sender = Mutex<CommandSender?>(nil)
    private let metrics: SparkplugMetrics?
    private let logBudget: LogBudget
    private let logger: Logger

    /// Creates a host with no node known (every node's first message without a birth is a gap).
    ///
    /// - Parameter logBudget: limits the gap warnings (the process's shared budget; one of its
    ///   own when `nil`).
    public init(
        configuration: SparkplugConfiguration, metrics: SparkplugMetrics? = nil, logBudget: LogBudget? = nil,
        logger: Logger
    ) {
        self.state = Mutex(
            SparkplugHostState(
                rebirthEnabled: configuration.rebirth, rebirthMinInterval: configuration.rebirthMinInterval))
        self.metrics = metrics
        self.logBudget = logBudget ?? LogBudget(logger: logger)
        self.logger = logger
    }

    /// Sets how rebirth commands leave (the agent's MQTT client, once it exists).
    public func connect(sender: @escaping CommandSender) {
        self.sender.withLock { $0 = sender }
    }

    /// Applies a reloaded `[sparkplug]` table; the nodes' state is kept.
    public func update(configuration: SparkplugConfiguration) {
        state.withLock {
            $0.configure(rebirthEnabled: configuration.rebirth, rebirthMinInterval: configuration.rebirthMinInterval)
        }
    }

    /// Takes one decoded message into account; returns the gap it revealed (counted, logged and,
    /// when called for, answered with a rebirth command), which the caller records as an entry.
    public func observe(_ message: SparkplugMessage, now: Int64) -> SparkplugGap? {
        let observation = state.withLock { $0.observe(message, now: now) }
        if observation.redelivered {
            counters.withLock { $0.redelivered += 1 }
            metrics?.redelivered.increment()
        }
        guard var gap = observation.gap else { return nil }
        if let node = observation.rebirth {
            let command = SparkplugEncoder.rebirthCommand(timestamp: UInt64(max(0, now) / 1_000_000))
            let failure: String? =
                if let send = sender.withLock({ $0 }) {
                    send(node.commandTopic, command)
                } else {
                    "the broker connection is not set up yet"
                }
            if let failure {
                gap.rebirthRequested = false
                _ = logBudget.log(
                    .warning, kind: "sparkplug-rebirth", "cannot send the Sparkplug rebirth command",
                    metadata: ["node": "\(node)", "topic": "\(node.commandTopic)", "error": "\(failure)"],
                    logger: logger)
            } else {
                metrics?.rebirthRequests.increment()
            }
        }
        let summary =
            "\(gap.node)\(gap.deviceID.map { "/\($0)" } ?? ""): \(gap.explanation) at \(RFC3339.string(nanoseconds: now))"
        counters.withLock {
            $0.gaps[gap.kind, default: 0] += 1
            if gap.rebirthRequested { $0.rebirthRequests += 1 }
            $0.lastGap = summary
        }
        metrics?.gaps(gap.kind).increment()
        _ = logBudget.log(
            .warning, kind: "sparkplug-gap", "Sparkplug gap recorded: \(gap.explanation)",
            metadata: [
                "kind": "\(gap.kind.rawValue)", "node": "\(gap.node)", "topic": "\(gap.topic)",
                "rebirth_requested": "\(gap.rebirthRequested)",
            ], logger: logger)
        return gap
    }

    /// The summary for the status document.
    public var status: SparkplugStatus {
        let (nodes, alive) = state.withLock { ($0.nodeCount, $0.aliveCount) }
        return counters.withLock {
            SparkplugStatus(
                nodes: nodes, alive: alive,
                gaps: Dictionary(uniqueKeysWithValues: $0.gaps.map { ($0.key.rawValue, $0.value) }),
                rebirthRequests: $0.rebirthRequests, redelivered: $0.redelivered, lastGap: $0.lastGap)
        }
    }
}
