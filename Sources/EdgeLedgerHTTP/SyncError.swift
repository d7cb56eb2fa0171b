/// A sync component cannot start: what is wrong, naming the configuration key.
public struct SyncError: Error, CustomStringConvertible, Sendable {
    /// What is wrong.
    public var message: String

    /// Creates an error.
    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
