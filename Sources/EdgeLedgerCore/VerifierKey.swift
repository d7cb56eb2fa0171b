/// A C2SP note verifier key string, `<name>+<hex key ID>+<base64(type || key bytes)>`, as in
/// `PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW`.
///
/// This type checks the syntax only. The key ID depends on the algorithm, so
/// `NoteKeys.verifier(from:)` in `EdgeLedgerCrypto` recomputes and checks it.
///
/// Types EdgeLedger uses:
/// - `0x01` Ed25519: ``keyBytes`` is the 32-byte public key.
/// - `0x02` ECDSA P-256: ``keyBytes`` is the DER SubjectPublicKeyInfo.
/// - `0xff` SM2 with SM3: ``keyBytes`` is the ASCII identifier `sm2-sm3`, a zero byte, then the
///   DER SubjectPublicKeyInfo (see ``sm2Identifier``).
public struct VerifierKey: Sendable, Hashable, CustomStringConvertible {
    /// The key name.
    public var name: String
    /// The 32-bit key ID.
    public var keyID: UInt32
    /// The signature type byte (`0x01`, `0x02`, `0xff`, …).
    public var type: UInt8
    /// Everything after the type byte.
    public var keyBytes: [UInt8]

    /// Signature type byte for Ed25519.
    public static let typeEd25519: UInt8 = 0x01
    /// Signature type byte for ECDSA (transparency-dev / Sigstore form).
    public static let typeECDSA: UInt8 = 0x02
    /// Signature type byte for algorithms with no assigned byte; followed by an identifier.
    public static let typeOther: UInt8 = 0xff
    /// The identifier EdgeLedger writes after type `0xff` for SM2-with-SM3 keys, including its
    /// terminating zero byte: ASCII `sm2-sm3` then `0x00`. The DER SPKI follows.
    public static let sm2Identifier: [UInt8] = Array("sm2-sm3".utf8) + [0x00]

    /// A key from its parts.
    public init(name: String, keyID: UInt32, type: UInt8, keyBytes: [UInt8]) {
        self.name = name
        self.keyID = keyID
        self.type = type
        self.keyBytes = keyBytes
    }

    /// Parses `<name>+<8 hex digits>+<base64(type || key)>`.
    ///
    /// - Throws: `NoteError` naming the part that is wrong.
    public init(parsing string: some StringProtocol) throws(NoteError) {
        let parts = try NoteKeyString.split(string, what: "verifier key")
        self.init(name: parts.name, keyID: parts.keyID, type: parts.type, keyBytes: parts.keyBytes)
    }

    /// The verifier key string.
    public var string: String {
        "\(name)+\(NoteSignature.hex8(keyID))+\(Base64.encode([type] + keyBytes))"
    }

    /// Same as ``string``.
    public var description: String { string }

    /// For type `0xff` keys beginning with ``sm2Identifier``: the DER SPKI that follows it.
    public var sm2SPKI: [UInt8]? {
        guard type == VerifierKey.typeOther, keyBytes.starts(with: VerifierKey.sm2Identifier) else { return nil }
        return Array(keyBytes.dropFirst(VerifierKey.sm2Identifier.count))
    }
}

/// Shared parsing of `<name>+<hex>+<base64>` key strings.
enum NoteKeyString {
    struct Parts {
        var name: String
        var keyID: UInt32
        var type: UInt8
        var keyBytes: [UInt8]
    }

    static func split(_ string: some StringProtocol, what: String) throws(NoteError) -> Parts {
        let s = Substring(string)
        guard let plus1 = s.firstIndex(of: "+") else {
            throw NoteError("\(what) has no '+'", hint: "expected <name>+<8 hex digits>+<base64 key>")
        }
        let name = s[..<plus1]
        let rest = s[s.index(after: plus1)...]
        guard let plus2 = rest.firstIndex(of: "+") else {
            throw NoteError("\(what) has only one '+'", hint: "expected <name>+<8 hex digits>+<base64 key>")
        }
        let hex = rest[..<plus2]
        let b64 = rest[rest.index(after: plus2)...]
        if let problem = NoteName.problem(with: name) {
            throw NoteError("\(what): \(problem)")
        }
        guard hex.utf8.count == 8, let idBytes = Hex.decode(hex) else {
            throw NoteError("\(what): key ID \(NoteName.quoted(hex)) is not 8 hex digits")
        }
        guard let key = Base64.decode(b64) else {
            throw NoteError("\(what): key is not valid base64")
        }
        guard let type = key.first else {
            throw NoteError("\(what): key is empty")
        }
        guard key.count > 1 else {
            throw NoteError("\(what): key has a type byte but no key material")
        }
        let keyID = idBytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        return Parts(name: String(name), keyID: keyID, type: type, keyBytes: Array(key.dropFirst()))
    }
}
