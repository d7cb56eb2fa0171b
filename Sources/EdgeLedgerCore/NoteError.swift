/// A signed note, checkpoint or note key was malformed or did not verify: what is wrong, and
/// what to do about it.
///
/// Messages name the offending line or field, e.g.
/// `signature line 2: base64 signature is invalid`.
public struct NoteError: ExplainedError, Equatable {
    /// What is wrong, e.g. "note does not end with a newline".
    public var message: String
    /// What the operator or caller can do about it, if anything useful can be said.
    public var hint: String?

    /// An error with `message` and an optional `hint`.
    public init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }
}
