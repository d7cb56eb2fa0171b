import EdgeLedgerCore

/// The HTTP API cannot start: a TLS file, a token or the store is unusable.
///
/// `description` reads like "cannot read the TLS certificate /etc/edge-ledger/tls.crt: …; check
/// http.tls.cert_file".
public struct HTTPSetupError: ExplainedError, Equatable {
    /// What is wrong.
    public var message: String
    /// What to do about it, when something useful can be said.
    public var hint: String?

    /// Creates an error.
    public init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }

    /// The message and the hint, separated by a semicolon (these errors end up in log lines).
    public var description: String {
        if let hint { "\(message); \(hint)" } else { message }
    }
}
