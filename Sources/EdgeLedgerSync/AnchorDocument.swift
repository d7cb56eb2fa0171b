import EdgeLedgerCore

/// The JSON document the anchoring command receives on stdin for one verified checkpoint, shaped
/// for ChainMaker's standard evidence contract (`Evidence(id, hash, metadata)`):
///
/// ```json
/// {"id":"factory.example/gw-1#1024","hash":"<hex root>","metadata":{"origin":"factory.example/gw-1",
///  "size":1024,"hash_algorithm":"sha256","checkpoint":"<signed note>","cosigners":["witness.example/dc-1"]}}
/// ```
///
/// `cosigners` names the signature lines of the checkpoint as served that are not the log's own
/// keys (the witnesses that cosigned it), in note order, each name once.
public enum AnchorDocument {
    /// The document for a checkpoint.
    ///
    /// - Parameters:
    ///   - note: the signed note as served by the gateway.
    ///   - logKeys: the log's own keys (name, key ID); their lines are not cosigners.
    public static func json(
        origin: String, size: UInt64, root: Hash32, hash: HashAlgorithm, note: String,
        logKeys: [(name: String, keyID: UInt32)]
    ) -> String {
        var cosigners: [String] = []
        if let parsed = try? Note(parsing: note) {
            for signature in parsed.signatures {
                let own = logKeys.contains { $0.name == signature.name && $0.keyID == signature.keyID }
                if !own && !cosigners.contains(signature.name) { cosigners.append(signature.name) }
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

/// Minimal JSON output without Foundation.
enum JSONWriter {
    /// A JSON object from members whose values are already JSON text, in order.
    static func object(_ members: [(String, String)]) -> String {
        "{" + members.map { string($0.0) + ":" + $0.1 }.joined(separator: ",") + "}"
    }

    /// A JSON string literal (RFC 8259 escaping; non-ASCII is kept as UTF-8).
    static func string(_ value: String) -> String {
        var out = "\""
        out.reserveCapacity(value.utf8.count + 2)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
        return out
    }
}
