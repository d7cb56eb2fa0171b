import EdgeLedgerCore
import EdgeLedgerStore

/// The checkpoint as `GET /checkpoint` and proof bundles serve it: the stored signed note with
/// every stored witness cosignature appended as one more signature line.
///
/// C2SP tlog-cosignature lines are signature lines of the same note (under the witness's key
/// name), so a client verifies the log's signature and each witness's cosignature on one note.
enum ServedCheckpoint {
    /// The note text with `cosignatures` appended after the log's own signature lines.
    ///
    /// Lines already present, lines that do not parse as signature lines, and lines beyond the
    /// signed-note limit of ``Note/maxSignatures`` are left out (and reported in `skipped`), so
    /// the result is always a valid signed note.
    static func text(note: String, cosignatures: [Cosignature]) -> (text: String, skipped: [String]) {
        guard !cosignatures.isEmpty else { return (note, []) }
        guard var parsed = try? Note(parsing: note) else { return (note, cosignatures.map(\.witness)) }
        var skipped: [String] = []
        for cosignature in cosignatures {
            guard let signature = try? NoteSignature(parsingLine: cosignature.line),
                parsed.signatures.count < Note.maxSignatures
            else {
                skipped.append(cosignature.witness)
                continue
            }
            if !parsed.signatures.contains(signature) { parsed.signatures.append(signature) }
        }
        return (parsed.serialized, skipped)
    }
}
