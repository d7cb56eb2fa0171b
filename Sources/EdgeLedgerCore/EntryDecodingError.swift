/// Bytes that are not a canonical format-v1 ``Entry``: what is wrong and at which byte offset.
///
/// The description reads like "truncated topic: declared 12 bytes, 3 remain at offset 20".
public struct EntryDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The class of problem, for programs; ``message`` says it for people.
    public enum Kind: Sendable, Hashable {
        /// The input ends inside a field.
        case truncated
        /// The first byte is not a version this decoder reads.
        case unsupportedVersion
        /// Flag bits 3–7 are not zero.
        case reservedFlags
        /// QoS bits hold 3.
        case invalidQoS
        /// The topic length is 0.
        case emptyTopic
        /// The topic is not valid UTF-8.
        case topicNotUTF8
        /// The topic contains a NUL byte.
        case topicContainsNUL
        /// The declared payload would make the entry larger than 65,535 bytes.
        case tooLarge
        /// Bytes follow the payload.
        case trailingBytes
    }

    /// The class of problem.
    public let kind: Kind
    /// Byte offset in the input where the problem was found.
    public let offset: Int
    /// What is wrong, in words.
    public let message: String

    /// Creates an error of `kind` found at byte `offset`.
    public init(_ kind: Kind, at offset: Int, _ message: String) {
        self.kind = kind
        self.offset = offset
        self.message = message
    }

    public var description: String { "\(message) at offset \(offset)" }
}
