/// The checkpoint signing keys (`[keys]`).
public struct KeysConfiguration: Sendable, Equatable {
    /// Every key signs every checkpoint; at least one must be Ed25519.
    public var signing: [SigningKeyConfiguration]

    /// Creates the key list.
    public init(signing: [SigningKeyConfiguration]) {
        self.signing = signing
    }

    init(reading r: ConfigTableReader) {
        let issuesBefore = r.context.issues.count
        let readers = r.tableArray("signing")
        let keys = readers.map(SigningKeyConfiguration.init(reading:))
        if readers.isEmpty, r.context.issues.count == issuesBefore {
            r.error("signing", "at least one [[keys.signing]] entry with algorithm = \"ed25519\" is required")
        } else if !readers.isEmpty, !keys.contains(where: { $0.algorithm == .ed25519 }) {
            r.error("signing", "at least one key must have algorithm = \"ed25519\" (C2SP verifiers need it)")
        }
        var seen: [String: Int] = [:]
        for (i, key) in keys.enumerated() where !key.path.isEmpty {
            if let first = seen[key.path] {
                r.context.error(readers[i].path(of: "path"), "same file as \(readers[first].path(of: "path"))")
            } else {
                seen[key.path] = i
            }
        }
        self.init(signing: keys)
        r.finish()
    }

    /// The `keys.signing[i].path` strings of an agent configuration document, resolved against
    /// `baseDirectory` as validation resolves them, without validating anything else: entries
    /// without a string `path` are left out.
    public static func signingKeyPaths(
        in document: ConfigValue, baseDirectory: String?
    ) -> [(index: Int, path: String)] {
        guard case .table(let root) = document, case .table(let keys)? = root["keys"],
            case .array(let signing)? = keys["signing"]
        else { return [] }
        var out: [(index: Int, path: String)] = []
        for (i, entry) in signing.enumerated() {
            guard case .table(let table) = entry, case .string(let path)? = table["path"], !path.isEmpty else {
                continue
            }
            out.append((i, ConfigContext.resolve(path: path, against: baseDirectory)))
        }
        return out
    }
}
