/// Decodes an `add-entries` request body (``MirrorUploadHeader``, then ``MirrorPackage``s) as its
/// bytes arrive: ``append(_:)`` what was received, then take items with ``next()`` until it
/// returns `nil` (more bytes needed). Each package is returned as soon as its last byte arrived,
/// so a mirror can verify and store it before the rest of the body is sent.
///
/// **Bounded (DESIGN 12).** Lengths and sizes in the body are claims: nothing is allocated by
/// them. The decoder holds at most the bytes of one incomplete entry plus the complete entries of
/// the current package, and refuses an origin, ticket, entry or package larger than its
/// ``Limits`` before reading it.
public struct MirrorUploadDecoder: Sendable {
    /// The largest fields the decoder accepts.
    public struct Limits: Sendable, Hashable {
        /// The longest origin, in bytes.
        public var maxOriginBytes: Int
        /// The longest ticket, in bytes.
        public var maxTicketBytes: Int
        /// The longest entry, in bytes (the format allows 65,535).
        public var maxEntryBytes: Int
        /// The most bytes of one package (entries with their lengths, `num_hashes`, the proof).
        public var maxPackageBytes: Int

        /// The largest package the format can express: 256 entries of 65,535 bytes and 63 hashes.
        public static let formatMaxPackageBytes = 256 * (2 + 65_535) + 1 + 63 * 32

        /// Limits; the defaults accept every entry the format allows.
        public init(
            maxOriginBytes: Int = 1024, maxTicketBytes: Int = 1024, maxEntryBytes: Int = 65_535,
            maxPackageBytes: Int = Limits.formatMaxPackageBytes
        ) {
            self.maxOriginBytes = maxOriginBytes
            self.maxTicketBytes = maxTicketBytes
            self.maxEntryBytes = maxEntryBytes
            self.maxPackageBytes = maxPackageBytes
        }
    }

    /// What ``next()`` returns.
    public enum Item: Sendable, Hashable {
        /// The header (always first, once).
        case header(MirrorUploadHeader)
        /// The next package of the canonical sequence.
        case package(MirrorPackage)
    }

    /// The limits in force.
    public let limits: Limits
    /// The header, once decoded.
    public private(set) var header: MirrorUploadHeader?
    /// The index of the next package to decode.
    public private(set) var nextPackage: UInt64 = 0
    /// Bytes of the items returned so far (the entries of an incomplete package not included).
    public var consumedBytes: UInt64 { consumed - UInt64(packageBytes) }

    /// Bytes read so far, including the entries of the current, incomplete package.
    private var consumed: UInt64 = 0

    private var buffer: [UInt8] = []
    private var offset = 0
    private var entries: [[UInt8]] = []
    private var packageBytes = 0

    /// A decoder with `limits`.
    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Whether every package of the canonical sequence was decoded.
    public var isComplete: Bool { header.map { nextPackage == $0.packageCount } ?? false }

    /// Whether bytes of an incomplete header or package are held (the body ended inside one).
    public var hasPartialItem: Bool { offset < buffer.count || !entries.isEmpty }

    /// Adds received bytes.
    public mutating func append(_ bytes: some Collection<UInt8>) {
        if offset > 0 {
            buffer.removeSubrange(0..<offset)
            offset = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete item, or `nil` when more bytes are needed (or every package was read).
    ///
    /// - Throws: ``MirrorUploadError`` when the body is malformed or exceeds a limit, or when
    ///   bytes follow the last package; the decoder must not be used after that.
    public mutating func next() throws(MirrorUploadError) -> Item? {
        guard let header else {
            guard let header = try decodeHeader() else { return nil }
            self.header = header
            return .header(header)
        }
        guard nextPackage < header.packageCount else {
            if offset < buffer.count {
                throw MirrorUploadError(
                    "\(buffer.count - offset) bytes follow the last package (at byte \(consumed))",
                    hint: "a request carries a prefix of the canonical package sequence and nothing else")
            }
            return nil
        }
        return try decodePackage(header).map { .package($0) }
    }

    // MARK: - Decoding

    private var available: Int { buffer.count - offset }

    private func integer(at position: Int, bytes: Int) -> UInt64 {
        var value: UInt64 = 0
        for i in 0..<bytes { value = value << 8 | UInt64(buffer[offset + position + i]) }
        return value
    }

    private mutating func consume(_ count: Int) {
        offset += count
        consumed += UInt64(count)
    }

    private mutating func decodeHeader() throws(MirrorUploadError) -> MirrorUploadHeader? {
        guard available >= 2 else { return nil }
        let originBytes = Int(integer(at: 0, bytes: 2))
        guard originBytes <= limits.maxOriginBytes else {
            throw MirrorUploadError(
                "the origin is \(originBytes) bytes long; at most \(limits.maxOriginBytes) are accepted")
        }
        guard originBytes > 0 else { throw MirrorUploadError("the origin is empty") }
        guard available >= 2 + originBytes + 18 else { return nil }
        let ticketBytes = Int(integer(at: 2 + originBytes + 16, bytes: 2))
        guard ticketBytes <= limits.maxTicketBytes else {
            throw MirrorUploadError(
                "the ticket is \(ticketBytes) bytes long; at most \(limits.maxTicketBytes) are accepted",
                hint: "send the ticket from the mirror's last mirror-info answer, or an empty one")
        }
        guard available >= 2 + originBytes + 18 + ticketBytes else { return nil }
        let originSlice = buffer[(offset + 2)..<(offset + 2 + originBytes)]
        guard let origin = String(validating: originSlice, as: UTF8.self) else {
            throw MirrorUploadError("the origin is not UTF-8")
        }
        let start = integer(at: 2 + originBytes, bytes: 8)
        let end = integer(at: 2 + originBytes + 8, bytes: 8)
        guard start <= end else {
            throw MirrorUploadError("upload_start \(start) is larger than upload_end \(end)")
        }
        let ticketAt = offset + 2 + originBytes + 18
        let ticket = Array(buffer[ticketAt..<(ticketAt + ticketBytes)])
        consume(2 + originBytes + 18 + ticketBytes)
        return MirrorUploadHeader(origin: origin, uploadStart: start, uploadEnd: end, ticket: ticket)
    }

    private mutating func decodePackage(_ header: MirrorUploadHeader) throws(MirrorUploadError) -> MirrorPackage? {
        let bounds = header.package(nextPackage)
        let count = Int(bounds.end - bounds.start)
        while entries.count < count {
            guard available >= 2 else { return nil }
            let length = Int(integer(at: 0, bytes: 2))
            guard length <= limits.maxEntryBytes else {
                throw MirrorUploadError(
                    "entry \(bounds.start + UInt64(entries.count)) is \(length) bytes long; at most "
                        + "\(limits.maxEntryBytes) are accepted")
            }
            try charge(2 + length, bounds)
            guard available >= 2 + length else { return nil }
            entries.append(Array(buffer[(offset + 2)..<(offset + 2 + length)]))
            packageBytes += 2 + length
            consume(2 + length)
        }
        guard available >= 1 else { return nil }
        let hashes = Int(buffer[offset])
        guard hashes <= MirrorUploadHeader.maxProofHashes else {
            throw MirrorUploadError(
                "package \(nextPackage) claims \(hashes) proof hashes; at most \(MirrorUploadHeader.maxProofHashes)")
        }
        try charge(1 + 32 * hashes, bounds)
        guard available >= 1 + 32 * hashes else { return nil }
        var proof: [Hash32] = []
        proof.reserveCapacity(hashes)
        for i in 0..<hashes {
            let at = offset + 1 + 32 * i
            proof.append(Hash32(bytes: buffer[at..<(at + 32)])!)
        }
        consume(1 + 32 * hashes)
        let package = MirrorPackage(
            index: nextPackage, subtreeStart: bounds.subtreeStart, start: bounds.start, end: bounds.end,
            entries: entries, proof: proof)
        entries = []
        packageBytes = 0
        nextPackage += 1
        return package
    }

    /// Refuses a package that would exceed ``Limits/maxPackageBytes`` with `more` bytes.
    private func charge(
        _ more: Int, _ bounds: (subtreeStart: UInt64, start: UInt64, end: UInt64)
    )
        throws(MirrorUploadError)
    {
        guard packageBytes + more <= limits.maxPackageBytes else {
            throw MirrorUploadError(
                "package \(nextPackage) (entries \(bounds.start)..<\(bounds.end)) exceeds "
                    + "\(limits.maxPackageBytes) bytes")
        }
    }
}

extension MirrorUploadDecoder {
    /// Decodes a whole body at once (tests, tools): the header and every package it holds.
    ///
    /// - Throws: ``MirrorUploadError`` when the body is malformed, exceeds a limit, or ends
    ///   inside the header or a package.
    public static func decode(
        _ body: some Collection<UInt8>, limits: Limits = Limits()
    ) throws(MirrorUploadError) -> (header: MirrorUploadHeader, packages: [MirrorPackage]) {
        var decoder = MirrorUploadDecoder(limits: limits)
        decoder.append(body)
        var packages: [MirrorPackage] = []
        while let item = try decoder.next() {
            if case .package(let package) = item { packages.append(package) }
        }
        guard let header = decoder.header, !decoder.hasPartialItem else {
            throw MirrorUploadError("the body ends inside \(decoder.header == nil ? "the header" : "a package")")
        }
        return (header, packages)
    }
}
