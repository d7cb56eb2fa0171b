import EdgeLedgerCore

/// libFuzzer target `mirror-upload`: the C2SP tlog-mirror `add-entries` body decoder
/// (`MirrorUploadDecoder`, in Sources/EdgeLedgerCore/Mirror/) and the `mirror-info` parser.
///
/// The first input byte sets the size of the pieces the rest is fed in (as a network would cut
/// it). Any body must decode or throw `MirrorUploadError`, never trap or allocate beyond the
/// limits; the items decoded piece by piece equal those decoded at once, and re-encode to exactly
/// the bytes consumed.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMirrorUpload(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let all = Array(UnsafeBufferPointer(start: data, count: size))
    guard let first = all.first else { return 0 }
    let body = Array(all.dropFirst())
    _ = try? MirrorInfo(parsing: body)
    let limits = MirrorUploadDecoder.Limits(
        maxOriginBytes: 64, maxTicketBytes: 64, maxEntryBytes: 4096, maxPackageBytes: 65_536)
    let piece = Int(first) + 1
    var decoder = MirrorUploadDecoder(limits: limits)
    var items: [MirrorUploadDecoder.Item] = []
    var failed = false
    var at = 0
    feeding: while at < body.count {
        decoder.append(body[at..<min(body.count, at + piece)])
        at += piece
        do {
            while let item = try decoder.next() { items.append(item) }
        } catch {
            failed = true
            break feeding
        }
    }
    var once = MirrorUploadDecoder(limits: limits)
    once.append(body)
    var onceItems: [MirrorUploadDecoder.Item] = []
    var onceFailed = false
    do {
        while let item = try once.next() { onceItems.append(item) }
    } catch {
        onceFailed = true
    }
    if !failed && !onceFailed {
        precondition(items == onceItems, "piecewise and one-shot decoding differ")
        var encoded: [UInt8] = []
        for item in items {
            switch item {
            case .header(let header): encoded += header.encoded
            case .package(let package): encoded += package.encoded
            }
        }
        precondition(encoded == Array(body.prefix(Int(decoder.consumedBytes))), "items do not re-encode")
    }
    return 0
}
