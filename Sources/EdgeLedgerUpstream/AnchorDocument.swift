import EdgeLedgerCore
import EdgeLedgerSystem

/// The JSON document the anchoring command receives on stdin for one verified checkpoint, shaped
/// for ChainMaker's standard evidence contract (`Evidence(id, hash, metadata)`):
///
/// ```json
/// {"id":"factory.example/gw-1#1024","hash":"<hex root>","metadata":{"origin":"factory.example/gw-1",
///  "size":1024,"hash_algorithm":"sha256","checkpoint":"<signed note>","cosigners":["witness.example/dc-1"]}}
/// ```
///
/// `cosigners` names the witnesses whose cosignature on the checkpoint as served verified with a
/// key the upstream knows (its own witness key), each name once; lines that are not the log's own
/// and do not verify are never listed (whoever reads the document can trust every name in it).
/// The `checkpoint` is the note as served, unverified lines included, for forensics.
public enum AnchorDocument {
    /// The document for a checkpoint.
    ///
    /// - Parameters:
    ///   - note: the signed note as served by the gateway.
    ///   - cosigners: verifiers of the cosignatures the upstream can check; only the names of
    ///     those whose line on `note` verifies are listed.
    public static func json(
        origin: String, size: UInt64, root: Hash32, hash: HashAlgorithm, note: String,
        cosigners verifiers: [any NoteVerifier]
    ) -> String {
        var cosigners: [String] = []
        if let parsed = try? Note(parsing: note) {
            for verifier in verifiers where !cosigners.contains(verifier.name) {
                if (try? NoteSigning.open(parsed, verifiers: [verifier])) != nil { cosigners.append(verifier.name) }
            }
        }
        let metadata = JSONWriter.object([
            ("origin", JSONWriter.string(origin)),
            ("size", String(size)),
            ("hash_algorithm", JSONWriter.string(hash.rawValue)),
            ("checkpoint", JSONWriter.string(note)),
            ("cosigners", "[" + cosigners.map(JSONWriter.string).joined(separator: ",") + "]"),
        ])
        return JSONWriter.object([
            ("id", JSONWriter.string("\(origin)#\(size)")),
            ("hash", JSONWriter.string(root.hex)),
            ("metadata", metadata),
        ])
    }
}
