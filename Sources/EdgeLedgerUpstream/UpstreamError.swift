import EdgeLedgerCore

/// The upstream (its witness, collectors or store) cannot start: what is wrong, naming the
/// configuration key, and what to do when something useful can be said.
public struct UpstreamError: ExplainedError, Equatable {
    /// What is wrong.
    public var message: String
    /// What to do about it.
    public var hint: String?

    /// Creates an error.
    public init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }
}
