/// A string is not a valid C2SP tlog-tiles tile or entry-bundle path.
///
/// Produced by ``TileID/init(parsingPath:)``; the message names the offending part of the path.
public struct TilePathError: ExplainedError, Equatable {
    /// The path that was rejected (truncated to 200 characters for very long input).
    public var path: String
    /// What is wrong with it, e.g. `width 0 is invalid: a partial tile has 1 to 255 hashes`.
    public var message: String
    /// No hint: the message says what is wrong with the input.
    public var hint: String? { nil }

    /// Creates an error for `path` with a message.
    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    /// `invalid tile path "<path>": <message>`, followed by the expected form.
    public var description: String {
        "invalid tile path \"\(path)\": \(message) (expected tile/<L>/<N>[.p/<W>] or tile/entries/<N>[.p/<W>], "
            + "e.g. tile/0/x001/x234/067 or tile/1/000.p/17)"
    }
}
