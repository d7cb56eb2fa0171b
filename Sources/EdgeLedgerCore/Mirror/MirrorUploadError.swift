/// A malformed or oversized `add-entries` request body or `mirror-info` answer (C2SP
/// tlog-mirror): HTTP 400 on the mirror.
public struct MirrorUploadError: ExplainedError, Equatable {
    /// What is wrong, naming the field and, for a body, the byte offset.
    public var message: String
    /// What to do about it, when something specific can be said.
    public var hint: String?

    /// Creates an error.
    public init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }
}
