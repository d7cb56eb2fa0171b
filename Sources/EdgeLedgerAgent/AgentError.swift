/// The agent cannot start or run: what happened and what to do.
public struct AgentError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var hint: String?

    public init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }

    public var description: String {
        if let hint { "\(message) (\(hint))" } else { message }
    }
}
