import EdgeLedgerCore

/// libFuzzer target `entry`: the Entry format v1 decoder (`Entry(decoding:)`).
///
/// Any input must decode to an entry or throw `EntryDecodingError`, never trap. The format is
/// canonical, so a decoded entry must re-encode to exactly the input bytes. The decoder has a
/// contiguous fast path and a copying path for other collections: both must agree.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEntry(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let contiguous = try? Entry(decoding: bytes)
    let copied = try? Entry(decoding: bytes.lazy.map { $0 })
    precondition(contiguous == copied, "the contiguous and the copying decoder disagree")
    if let entry = contiguous {
        precondition(entry.encode() == bytes, "a decoded entry does not re-encode to its input bytes")
        precondition(bytes.count <= Entry.maximumEncodedSize, "an entry over the maximum size decoded")
    }
    return 0
}
