import EdgeLedgerCore

/// libFuzzer target `note`: the C2SP signed-note parser (`Note(parsing:)`), the checkpoint body
/// parser (`Checkpoint(parsing:)`), signature lines and verifier keys.
///
/// Any input must parse or throw `NoteError`, never trap. Both formats are canonical, so what
/// parses must serialize back to the same text.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNote(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let note = try? Note(parsing: bytes) {
        precondition(Array(note.serialized.utf8) == bytes, "a parsed note does not serialize to its input")
        precondition(!note.signatures.isEmpty && note.signatures.count <= Note.maxSignatures)
        if let checkpoint = try? Checkpoint(parsing: note.text) {
            precondition(checkpoint.text == note.text, "a parsed checkpoint does not serialize to its note text")
        }
    }
    let text = String(decoding: bytes, as: UTF8.self)
    if let checkpoint = try? Checkpoint(parsing: text) {
        precondition(checkpoint.text == text, "a parsed checkpoint does not serialize to its input")
        precondition((try? Checkpoint(parsing: checkpoint.text)) == checkpoint)
    }
    if let signature = try? NoteSignature(parsingLine: text) {
        precondition(signature.line == text, "a parsed signature line does not serialize to its input")
    }
    if let key = try? VerifierKey(parsing: text) {
        precondition((try? VerifierKey(parsing: key.string)) == key, "a verifier key does not round-trip")
    }
    return 0
}
