/// A `text/x.tlog.mirror-info` body (C2SP tlog-mirror, 202 and 409 answers to `add-entries`):
/// three lines, each ending with a newline — a valid pending tree size, the mirror's next entry
/// (decimal), and an opaque ticket (base64, possibly empty).
public struct MirrorInfo: Sendable, Hashable {
    /// The media type.
    public static let contentType = "text/x.tlog.mirror-info"

    /// The tree size of a valid pending checkpoint: the next request's `upload_end`.
    public var treeSize: UInt64
    /// The first entry the mirror lacks: the next request's `upload_start`.
    public var nextEntry: UInt64
    /// The ticket to send back.
    public var ticket: [UInt8]

    /// A body from its parts.
    public init(treeSize: UInt64, nextEntry: UInt64, ticket: [UInt8] = []) {
        self.treeSize = treeSize
        self.nextEntry = nextEntry
        self.ticket = ticket
    }

    /// The body.
    public var text: String { "\(treeSize)\n\(nextEntry)\n\(Base64.encode(ticket))\n" }

    /// Parses a body strictly: exactly three newline-terminated lines, decimals without leading
    /// zeros, standard base64.
    ///
    /// - Throws: ``MirrorUploadError`` naming the line that is wrong.
    public init(parsing body: some Collection<UInt8>) throws(MirrorUploadError) {
        let bytes = Array(body)
        guard bytes.last == 0x0a else { throw MirrorUploadError("a mirror-info body must end with a newline") }
        let lines = bytes.dropLast().split(separator: 0x0a, omittingEmptySubsequences: false)
        guard lines.count == 3 else {
            throw MirrorUploadError("a mirror-info body has \(lines.count) lines; it must have 3")
        }
        guard let size = DecimalNumber.parse(lines[0]) else {
            throw MirrorUploadError("mirror-info line 1 (tree size) is not a decimal number")
        }
        guard let next = DecimalNumber.parse(lines[1]) else {
            throw MirrorUploadError("mirror-info line 2 (next entry) is not a decimal number")
        }
        guard let ticket = lines[2].isEmpty ? [] : Base64.decode(utf8: Array(lines[2])) else {
            throw MirrorUploadError("mirror-info line 3 (ticket) is not base64")
        }
        self.init(treeSize: size, nextEntry: next, ticket: ticket)
    }
}
