import CZlib

/// HTTP `gzip` content coding (RFC 1952) over the system zlib (`CZlib`): one-shot compression of
/// a response body, bounded decompression, and reading `Accept-Encoding`.
public enum Gzip {
    /// Compresses `bytes` into one gzip member at `level` (1 fastest ... 9 smallest; 6 is zlib's
    /// default). Returns `nil` only when zlib fails (out of memory).
    public static func compress(_ bytes: UnsafeRawBufferPointer, level: Int32 = 6) -> [UInt8]? {
        var stream = z_stream()
        guard czlib_deflate_init_gzip(&stream, level) == Z_OK else { return nil }
        defer { deflateEnd(&stream) }
        // zlib takes a null input pointer with a zero length.
        stream.next_in = bytes.baseAddress.map {
            UnsafeMutablePointer(mutating: $0.assumingMemoryBound(to: Bytef.self))
        }
        stream.avail_in = uInt(bytes.count)
        // The output grows with what deflate produces (a 64 MiB body of zeros is 64 KiB
        // compressed), 64 KiB at a time, never sized by the input.
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var status = Z_OK
        while status == Z_OK {
            let produced = chunk.withUnsafeMutableBytes { output -> Int in
                stream.next_out = output.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(output.count)
                status = deflate(&stream, Z_FINISH)
                return output.count - Int(stream.avail_out)
            }
            out.append(contentsOf: chunk[0..<produced])
        }
        return status == Z_STREAM_END ? out : nil
    }

    /// Compresses `bytes`; see ``compress(_:level:)-(UnsafeRawBufferPointer,_)``.
    public static func compress(_ bytes: [UInt8], level: Int32 = 6) -> [UInt8]? {
        bytes.withUnsafeBytes { compress($0, level: level) }
    }

    /// Decompresses one gzip member, refusing output beyond `limit` bytes (a claim never sizes an
    /// allocation: the output grows with what is actually inflated). Returns `nil` for malformed
    /// or truncated input, or when the output would exceed `limit`.
    public static func decompress(_ bytes: [UInt8], limit: Int) -> [UInt8]? {
        guard !bytes.isEmpty, let inflater = try? GzipInflater(maxOutputBytes: limit) else { return nil }
        var out: [UInt8] = []
        do {
            try inflater.inflate(bytes) { (piece: UnsafeRawBufferPointer) in out.append(contentsOf: piece) }
        } catch {
            return nil
        }
        return inflater.finish() ? out : nil
    }

    /// Whether an `Accept-Encoding` header value accepts `gzip` (or `*`) with a non-zero
    /// quality, e.g. `gzip, deflate, br` or `br;q=1.0, gzip;q=0.8`; `gzip;q=0` refuses it.
    public static func isAccepted(byAcceptEncoding header: String?) -> Bool {
        guard let header else { return false }
        var wildcard = false
        for item in header.split(separator: ",") {
            let parts = item.split(separator: ";")
            guard let first = parts.first else { continue }
            let coding = first.trimmingSpaces.lowercased()
            var quality = 1.0
            for parameter in parts.dropFirst() {
                let pair = parameter.trimmingSpaces.lowercased()
                if pair.hasPrefix("q=") { quality = Double(pair.dropFirst(2)) ?? 0 }
            }
            if coding == "gzip" || coding == "x-gzip" { return quality > 0 }
            if coding == "*" { wildcard = quality > 0 }
        }
        return wildcard
    }
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        var s = self
        while let c = s.first, c == " " || c == "\t" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\t" { s = s.dropLast() }
        return s
    }
}
