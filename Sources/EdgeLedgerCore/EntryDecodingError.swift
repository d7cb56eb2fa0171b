/// Bytes that are not a canonical ``Entry`` (format v1 or v2): what is wrong and at which byte offset.
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
        /// Bytes follow the payload (v1) or the attribute block (v2).
        case trailingBytes
        /// A v2 entry's attribute block is empty (an entry without attributes is written as v1).
        case emptyAttributes
        /// An attribute record has a tag format v2 does not define.
        case unknownAttribute
        /// Attribute tags do not ascend (only user properties, tag 0x03, may repeat).
        case attributesOutOfOrder
        /// An attribute's value has the wrong size or content (e.g. a device time that is not
        /// 8 bytes, an empty content type, a Sparkplug message type outside 1…9).
        case invalidAttribute
        /// A text attribute (content type, user property, Sparkplug id) is not valid UTF-8.
        case attributeNotUTF8
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
