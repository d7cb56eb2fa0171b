import EdgeLedgerCore

/// libFuzzer target `witness-request`: the C2SP tlog-witness `add-checkpoint` request body parser
/// (`WitnessRequest(parsing:)`, in Sources/EdgeLedgerCore/WitnessRequest.swift).
///
/// Any body must parse or throw `WitnessRequestError`, never trap; what parses must serialize
/// back to the same body (old size, proof lines, signed note).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWitnessRequest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let request = try? WitnessRequest(parsing: bytes) else { return 0 }
    precondition(Array(request.body.utf8) == bytes, "a parsed request does not serialize to its input")
    precondition(request.proof.count <= WitnessRequest.maxProofLines, "too many proof lines accepted")
    return 0
}
