/// An error that says what happened and, when something useful can be said, what to do about it.
///
/// EdgeLedger's error types are small structs conforming to this protocol; programs read
/// ``message`` and ``hint`` separately (the CLI prints them as `error:` and `hint:` lines), people
/// read ``description``.
public protocol ExplainedError: Error, CustomStringConvertible, Sendable {
    /// What happened, naming the file, key, line or entry concerned.
    var message: String { get }
    /// What to do about it; `nil` when nothing specific can be said.
    var hint: String? { get }
}

extension ExplainedError {
    /// The message, followed by the hint in parentheses when there is one.
    public var description: String {
        if let hint { "\(message) (\(hint))" } else { message }
    }
}
