/// One answer of the monitoring endpoints: the body and how it may be cached.
public struct ServedObject: Sendable {
    /// What kind of object it is (for metrics and headers).
    public enum Kind: String, Sendable, CaseIterable {
        /// `<origin hash>/checkpoint`.
        case checkpoint
        /// A hash tile.
        case tile
        /// An entry bundle.
        case bundle
    }

    /// Where the bytes came from: the ``LogServingMetrics/Name/reads`` label `source`.
    public enum Source: String, Sendable, CaseIterable {
        /// A file under `storage.tiles_dir` (checked against the digest it was written with).
        case file
        /// Built from the store, verified and written as a file by this read.
        case built
        /// Read from the store (the checkpoint and partial tiles at the right edge).
        case store
    }

    /// `Cache-Control` of full tiles and bundles: they never change.
    public static let immutable = "public, max-age=31536000, immutable"
    /// `Cache-Control` of the checkpoint and of partial tiles and bundles.
    public static let noCache = "no-cache"

    /// The kind.
    public var kind: Kind
    /// Where it came from.
    public var source: Source
    /// The body, compressed when ``contentEncoding`` says so.
    public var body: [UInt8]
    /// `Content-Type`.
    public var contentType: String
    /// `Cache-Control`: ``immutable`` or ``noCache``.
    public var cacheControl: String
    /// `Content-Encoding`: `gzip`, or `nil` for the identity.
    public var contentEncoding: String?

    /// Creates an answer.
    public init(
        kind: Kind, source: Source, body: [UInt8], contentType: String, cacheControl: String,
        contentEncoding: String? = nil
    ) {
        self.kind = kind
        self.source = source
        self.body = body
        self.contentType = contentType
        self.cacheControl = cacheControl
        self.contentEncoding = contentEncoding
    }
}
