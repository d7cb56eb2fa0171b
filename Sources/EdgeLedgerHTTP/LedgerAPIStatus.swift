import EdgeLedgerCore

/// Whether the agent is ready to do its job, for `GET /readyz` and `GET /status`.
public struct LedgerReadiness: Sendable, Equatable {
    /// Why the agent is not ready, one short line each (e.g. "MQTT broker not connected",
    /// "store not writable: SQLITE_FULL …"); empty when it is ready.
    public var problems: [String]
    /// Conditions an operator should see that do not make the agent unready (e.g. "warning:
    /// unacknowledged journal damage …"), one line each; `/readyz` lists them after its first line.
    public var warnings: [String]
    /// Whether the agent is connected to its MQTT broker; `nil` when the reporter has none.
    public var brokerConnected: Bool?
    /// The Sparkplug B host state, when the agent has `sparkplug_b` topics (informational: gaps
    /// never make the agent unready).
    public var sparkplug: SparkplugStatus?

    /// Creates a readiness answer.
    public init(
        problems: [String] = [], warnings: [String] = [], brokerConnected: Bool? = nil,
        sparkplug: SparkplugStatus? = nil
    ) {
        self.problems = problems
        self.warnings = warnings
        self.brokerConnected = brokerConnected
        self.sparkplug = sparkplug
    }

    /// True when there is no problem.
    public var isReady: Bool { problems.isEmpty }

    /// Ready.
    public static let ready = LedgerReadiness()
}

/// The agent's view of itself that the HTTP API reports: readiness (broker connected, store
/// writable, quota not exhausted, …). Implemented by the agent; the API only asks.
public protocol LedgerAPIStatus: Sendable {
    /// The current readiness. Called for every `GET /readyz`; should be cheap.
    func readiness() async -> LedgerReadiness
    /// Brings gauges that are read from elsewhere (the store) up to date; called before every
    /// `GET /metrics` answer. Should be cheap. Does nothing by default.
    func refreshMetrics() async
}

extension LedgerAPIStatus {
    public func refreshMetrics() async {}
}

/// A ``LedgerAPIStatus`` made from a closure.
public struct LedgerAPIStatusClosure: LedgerAPIStatus {
    private let body: @Sendable () async -> LedgerReadiness
    private let refresh: @Sendable () async -> Void

    /// Answers readiness with `body`; `refresh` runs before each `/metrics` answer.
    public init(
        refresh: @escaping @Sendable () async -> Void = {}, _ body: @escaping @Sendable () async -> LedgerReadiness
    ) {
        self.body = body
        self.refresh = refresh
    }

    public func readiness() async -> LedgerReadiness { await body() }

    public func refreshMetrics() async { await refresh() }
}
