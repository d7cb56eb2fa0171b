import EdgeLedgerCore

/// libFuzzer target `tile-path`: the C2SP tlog-tiles path parser (`TileID(parsingPath:)`), which
/// the HTTP API runs on every `/tile/...` request.
///
/// Any input must parse or throw `TilePathError`, never trap. The parser accepts exactly the
/// canonical form, so a parsed tile's `path` must equal the input, and parse to the same tile.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTilePath(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let tile = try? TileID(parsingPath: text) else { return 0 }
    precondition(tile.path == text, "a parsed tile path is not in canonical form")
    precondition((try? TileID(parsingPath: tile.path)) == tile, "a tile path does not round-trip")
    precondition(TileID.isValid(level: tile.level, index: tile.index, width: tile.width), "an invalid tile parsed")
    return 0
}
