/// A reading that cannot become an ``Entry``: QoS out of range, a bad topic, an attribute that
/// does not fit its record, or too large.
///
/// Ingest should reject such a reading (and record why) instead of appending it.
public struct EntryValidationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The class of problem.
    public enum Kind: Sendable, Hashable {
        /// QoS above 2.
        case invalidQoS
        /// Empty topic.
        case emptyTopic
        /// Topic contains U+0000.
        case topicContainsNUL
        /// The encoded entry would exceed ``Entry/maximumEncodedSize``.
        case tooLarge
        /// An attribute cannot be encoded: an empty content type or Sparkplug device id, or a
        /// record over 65,535 bytes.
        case invalidAttribute
    }

    /// The class of problem.
    public let kind: Kind
    /// What is wrong, in words, e.g. "entry would be 70000 bytes, at most 65535 allowed; …".
    public let message: String

    /// Creates an error of `kind`.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
