import EdgeLedgerCore

/// A cryptographic operation failed: what happened, and what to do about it.
public struct CryptoError: ExplainedError, Equatable {
    /// What happened, e.g. "private key file is readable by others".
    public var message: String
    /// What the operator can do, e.g. "run chmod 600 on the file".
    public var hint: String?

    /// An error saying `message`, with an optional `hint` on what to do.
    public init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }
}
