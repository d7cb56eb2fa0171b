import EdgeLedgerCore

/// The agent cannot start or run: what happened and what to do.
public struct AgentError: ExplainedError {
    public var message: String
    public var hint: String?

    public init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }
}
