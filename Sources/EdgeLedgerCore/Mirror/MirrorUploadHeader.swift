/// The header of a C2SP tlog-mirror `add-entries` request body, and the canonical sequence of
/// entry packages it determines:
///
/// ```
/// u16 origin length, origin, u64 upload_start, u64 upload_end, u16 ticket length, ticket
/// package 0, package 1, …     (a prefix of the canonical sequence)
/// ```
///
/// Package `i` carries the entries `[start, end)` with `start = max(upload_start,
/// rounded_start + 256·i)` and `end = min(upload_end, rounded_start + 256·(i+1))`, each with a
/// big-endian u16 length, then one byte `num_hashes` (at most 63) and that many hashes: the
/// subtree consistency proof of `[rounded_start + 256·i, end)` in the tree of `upload_end`
/// entries (``MirrorPackage``). All integers are big-endian.
public struct MirrorUploadHeader: Sendable, Hashable {
    /// Entries per package, and the alignment of packages (an entry bundle of C2SP tlog-tiles).
    public static let packageWidth: UInt64 = 256
    /// The most proof hashes a package may carry.
    public static let maxProofHashes = 63

    /// The origin of the log whose entries are uploaded.
    public var origin: String
    /// The first entry uploaded.
    public var uploadStart: UInt64
    /// The size of the pending checkpoint the packages' proofs are made against.
    public var uploadEnd: UInt64
    /// The mirror's opaque ticket (empty when the client has none).
    public var ticket: [UInt8]

    /// A header from its parts; `uploadStart` must not exceed `uploadEnd`.
    public init(origin: String, uploadStart: UInt64, uploadEnd: UInt64, ticket: [UInt8] = []) {
        self.origin = origin
        self.uploadStart = uploadStart
        self.uploadEnd = uploadEnd
        self.ticket = ticket
    }

    /// The number of packages in the canonical sequence (0 when `uploadStart == uploadEnd`).
    public var packageCount: UInt64 {
        guard uploadStart < uploadEnd else { return 0 }
        let roundedStart = uploadStart - uploadStart % Self.packageWidth
        // Counted without rounding `uploadEnd` up, which could overflow.
        let span = uploadEnd - roundedStart
        return span / Self.packageWidth + (span % Self.packageWidth == 0 ? 0 : 1)
    }

    /// The bounds of package `index` (`< packageCount`): its subtree starts at `subtreeStart`
    /// (a multiple of 256), and it carries the entries `[start, end)`.
    public func package(_ index: UInt64) -> (subtreeStart: UInt64, start: UInt64, end: UInt64) {
        precondition(index < packageCount, "package \(index) of \(packageCount)")
        let subtreeStart = uploadStart - uploadStart % Self.packageWidth + index * Self.packageWidth
        let start = max(uploadStart, subtreeStart)
        let end = uploadEnd - subtreeStart > Self.packageWidth ? subtreeStart + Self.packageWidth : uploadEnd
        return (subtreeStart, start, end)
    }

    /// The index of the package that holds entry `entry` (in `uploadStart..<uploadEnd`).
    public func packageIndex(of entry: UInt64) -> UInt64 {
        (entry - (uploadStart - uploadStart % Self.packageWidth)) / Self.packageWidth
    }

    /// The header's bytes.
    ///
    /// - Precondition: origin and ticket are at most 65,535 bytes.
    public var encoded: [UInt8] {
        let origin = Array(origin.utf8)
        precondition(origin.count <= Int(UInt16.max) && ticket.count <= Int(UInt16.max))
        var out: [UInt8] = []
        out.reserveCapacity(22 + origin.count + ticket.count)
        out.appendBigEndian(UInt16(origin.count))
        out += origin
        out.appendBigEndian(uploadStart)
        out.appendBigEndian(uploadEnd)
        out.appendBigEndian(UInt16(ticket.count))
        out += ticket
        return out
    }
}
