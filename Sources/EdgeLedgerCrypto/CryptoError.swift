/// A cryptographic operation failed: what happened, and what to do about it.
public struct CryptoError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What happened, e.g. "private key file is readable by others".
    public var message: String
    /// What the operator can do, e.g. "run chmod 600 on the file".
    public var hint: String?

    /// An error saying `message`, with an optional `hint` on what to do.
    public init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }

    /// The message, followed by the hint in parentheses when there is one.
    public var description: String {
        if let hint { "\(message) (\(hint))" } else { message }
    }
}
