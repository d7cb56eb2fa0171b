import CZlib
import EdgeLedgerCore

/// Inflates a gzip stream (`Content-Encoding: gzip`) piece by piece, refusing to produce more
/// than a fixed number of bytes in total: a small compressed body that claims to expand to
/// gigabytes (a "zip bomb") stops at the limit, having allocated at most one output chunk.
///
/// Not thread-safe; one per request body. zlib's stream state is freed by ``finish()`` or when
/// the inflater is released.
public final class GzipInflater {
    private var stream = z_stream()
    private var open = false
    /// The most bytes the whole stream may inflate to.
    public let maxOutputBytes: Int
    /// Bytes produced so far.
    public private(set) var outputBytes = 0
    /// Whether the gzip trailer was read (the stream is complete).
    public private(set) var isFinished = false

    /// An inflater for one gzip stream of at most `maxOutputBytes` inflated bytes.
    ///
    /// - Throws: ``GzipError`` when zlib cannot be initialised.
    public init(maxOutputBytes: Int) throws(GzipError) {
        self.maxOutputBytes = maxOutputBytes
        guard czlib_inflate_init_gzip(&stream) == Z_OK else {
            throw GzipError("cannot initialise zlib to inflate a gzip body")
        }
        open = true
    }

    deinit {
        if open { inflateEnd(&stream) }
    }

    /// Inflates `input` (the next compressed bytes), calling `output` with each inflated piece
    /// (at most 64 KiB each, valid only during the call).
    ///
    /// - Throws: ``GzipError`` when the data is not gzip, is corrupt, continues after the end of
    ///   the stream, or inflates beyond ``maxOutputBytes``; whatever `output` throws.
    public func inflate<E: Error>(
        _ input: some Collection<UInt8>, output: (UnsafeRawBufferPointer) throws(E) -> Void
    ) throws -> Void {
        guard !input.isEmpty else { return }
        guard !isFinished else { throw GzipError("bytes follow the end of the gzip stream") }
        var bytes = Array(input)
        let chunk = 65_536
        let out = UnsafeMutablePointer<UInt8>.allocate(capacity: chunk)
        defer { out.deallocate() }
        try bytes.withUnsafeMutableBufferPointer { inBuffer in
            stream.next_in = inBuffer.baseAddress
            stream.avail_in = UInt32(inBuffer.count)
            defer {
                stream.next_in = nil
                stream.avail_in = 0
            }
            while true {
                let room = min(chunk, maxOutputBytes - outputBytes + 1)
                stream.next_out = out
                stream.avail_out = UInt32(room)
                let status = CZlib.inflate(&stream, Z_NO_FLUSH)
                let produced = room - Int(stream.avail_out)
                if produced > 0 {
                    outputBytes += produced
                    guard outputBytes <= maxOutputBytes else {
                        throw GzipError(
                            "the gzip body inflates to more than \(maxOutputBytes) bytes",
                            hint: "send smaller requests (at most 32 packages each)")
                    }
                    try output(UnsafeRawBufferPointer(start: out, count: produced))
                }
                switch status {
                case Z_STREAM_END:
                    isFinished = true
                    guard stream.avail_in == 0 else { throw GzipError("bytes follow the end of the gzip stream") }
                    return
                case Z_OK:
                    if stream.avail_in == 0 && stream.avail_out > 0 { return }
                case Z_BUF_ERROR:
                    // No progress possible: all input consumed and nothing more to write.
                    return
                default:
                    let reason = stream.msg.map { String(cString: $0) } ?? "error \(status)"
                    throw GzipError("the gzip body is corrupt: \(reason)")
                }
            }
        }
    }

    /// Releases zlib's state; returns whether the stream ended properly (its trailer was read).
    @discardableResult
    public func finish() -> Bool {
        if open {
            inflateEnd(&stream)
            open = false
        }
        return isFinished
    }
}

/// A gzip body could not be inflated, or inflated beyond its bound (HTTP 400 or 413).
public struct GzipError: ExplainedError, Equatable {
    /// What went wrong.
    public var message: String
    /// What to do about it.
    public var hint: String?

    /// Creates an error.
    public init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }
}
