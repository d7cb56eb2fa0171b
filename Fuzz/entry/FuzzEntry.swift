import EdgeLedgerCore

/// libFuzzer target `entry`: the entry decoder (`Entry(decoding:)`), formats v1 and v2.
///
/// Any input must decode to an entry or throw `EntryDecodingError`, never trap. The format is
/// canonical, so a decoded entry must re-encode to exactly the input bytes. The decoder has a
/// contiguous fast path and a copying path for other collections: both must agree.
///
/// The v2 case: the input is also tried as a v2 attribute block behind a fixed valid header, so
/// mutations reach the attribute records directly instead of through a header that must be
/// right first.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEntry(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    check(bytes)
    if bytes.count <= Int(UInt16.max) {
        // Version 2, QoS 1, index 0, time 0, topic "t", empty payload, block length = input size.
        var entry: [UInt8] = [0x02, 0x01] + [UInt8](repeating: 0, count: 16) + [0x00, 0x01, 0x74, 0, 0, 0, 0]
        entry += [UInt8(bytes.count >> 8), UInt8(bytes.count & 0xff)] + bytes
        check(entry)
    }
    return 0
}

private func check(_ bytes: [UInt8]) {
    let contiguous = try? Entry(decoding: bytes)
    let copied = try? Entry(decoding: bytes.lazy.map { $0 })
    precondition(contiguous == copied, "the contiguous and the copying decoder disagree")
    if let entry = contiguous {
        precondition(entry.encode() == bytes, "a decoded entry does not re-encode to its input bytes")
        precondition(bytes.count <= Entry.maximumEncodedSize, "an entry over the maximum size decoded")
    }
}
