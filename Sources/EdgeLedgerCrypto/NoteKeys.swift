import EdgeLedgerCore

/// Turns keys into note signers and verifiers, and verifier key strings into verifiers.
public enum NoteKeys {
    /// The note signer for `key` under `name`, chosen by the key's algorithm.
    ///
    /// The name is checked when signing (``NoteSigning/sign(text:with:)``).
    public static func signer(for key: PrivateKey, name: String) -> any NoteSigner {
        // The initialisers only fail on an algorithm mismatch, which the switch rules out.
        switch key.algorithm {
        case .ed25519: try! Ed25519NoteSigner(name: name, privateKey: key)
        case .p256: try! ECDSANoteSigner(name: name, privateKey: key)
        case .sm2: try! SM2NoteSigner(name: name, privateKey: key)
        }
    }

    /// The note verifier for `key` under `name`, chosen by the key's algorithm.
    public static func verifier(for key: PublicKey, name: String) -> any NoteVerifier {
        switch key.algorithm {
        case .ed25519: try! Ed25519NoteVerifier(name: name, publicKey: key)
        case .p256: try! ECDSANoteVerifier(name: name, publicKey: key)
        case .sm2: try! SM2NoteVerifier(name: name, publicKey: key)
        }
    }

    /// The verifier key (`name+keyID+base64(type||key)`) that checks signatures by `key`
    /// under `name`; print its ``VerifierKey/string`` for operators.
    public static func verifierKey(for key: PrivateKey, name: String) -> VerifierKey {
        verifierKey(for: key.publicKey, name: name)
    }

    /// The verifier key for the public key `key` under `name`.
    public static func verifierKey(for key: PublicKey, name: String) -> VerifierKey {
        switch key.algorithm {
        case .ed25519: try! Ed25519NoteVerifier(name: name, publicKey: key).verifierKey
        case .p256: try! ECDSANoteVerifier(name: name, publicKey: key).verifierKey
        case .sm2: try! SM2NoteVerifier(name: name, publicKey: key).verifierKey
        }
    }

    /// A verifier from a parsed verifier key string.
    ///
    /// Supports type `0x01` (32-byte Ed25519 key), `0x02` (DER SPKI of a P-256 key) and
    /// `0xff` followed by `sm2-sm3\0` and the DER SPKI of an SM2 key. The key ID in the string
    /// must equal the one derived from the name and key.
    ///
    /// - Throws: `CryptoError` for unsupported types, invalid keys, or a key ID mismatch.
    public static func verifier(from key: VerifierKey) throws(CryptoError) -> any NoteVerifier {
        let verifier: any NoteVerifier
        do throws(CryptoError) {
            if let problem = NoteName.problem(with: key.name) { throw CryptoError(problem) }
            switch key.type {
            case VerifierKey.typeEd25519:
                verifier = try Ed25519NoteVerifier(name: key.name, publicKey: PublicKey(rawEd25519: key.keyBytes))
            case VerifierKey.typeECDSA:
                let publicKey = try PublicKey(derSPKI: key.keyBytes)
                guard publicKey.algorithm == .p256 else {
                    throw CryptoError("type 0x02 key is \(publicKey.algorithm.displayName), not ECDSA P-256")
                }
                verifier = try ECDSANoteVerifier(name: key.name, publicKey: publicKey)
            case VerifierKey.typeOther:
                guard let spki = key.sm2SPKI else {
                    throw CryptoError(
                        "type 0xff key does not start with the identifier \"sm2-sm3\\0\"",
                        hint: "EdgeLedger only knows SM2-with-SM3 among 0xff keys")
                }
                let publicKey = try PublicKey(derSPKI: spki)
                guard publicKey.algorithm == .sm2 else {
                    throw CryptoError("sm2-sm3 key is \(publicKey.algorithm.displayName), not SM2")
                }
                verifier = try SM2NoteVerifier(name: key.name, publicKey: publicKey)
            default:
                throw CryptoError(
                    "signature type 0x\(String(key.type, radix: 16)) is not supported",
                    hint: "EdgeLedger verifies Ed25519 (0x01), ECDSA P-256 (0x02) and SM2 (0xff sm2-sm3)")
            }
        } catch {
            throw CryptoError("verifier key \(key.name)+\(hex8(key.keyID)): \(error.message)", hint: error.hint)
        }
        guard verifier.keyID == key.keyID else {
            throw CryptoError(
                "verifier key \(key.name)+\(hex8(key.keyID)): key ID does not match the key "
                    + "(derived \(hex8(verifier.keyID)))",
                hint: "the name, key ID or key was altered; copy the verifier key again from its source")
        }
        return verifier
    }

    /// A verifier from a verifier key string; see ``verifier(from:)-(VerifierKey)``.
    ///
    /// - Throws: `NoteError` for a malformed string, `CryptoError` for an unusable key.
    public static func verifier(from string: String) throws -> any NoteVerifier {
        try verifier(from: VerifierKey(parsing: string))
    }

    /// A signer from a Go-style `PRIVATE+KEY+name+hex+base64(0x01||seed)` key (Ed25519 only).
    ///
    /// - Throws: `CryptoError` for other types, a bad seed, or a key ID that does not match.
    public static func signer(from key: NoteSignerKey) throws(CryptoError) -> any NoteSigner {
        if let problem = NoteName.problem(with: key.name) {
            throw CryptoError("signer key: \(problem)")
        }
        guard key.type == VerifierKey.typeEd25519 else {
            throw CryptoError(
                "signer key \(key.name): type 0x\(String(key.type, radix: 16)) is not supported",
                hint: "only Ed25519 (0x01) signer key strings are supported; other keys are PEM files")
        }
        let signer = try Ed25519NoteSigner(name: key.name, privateKey: PrivateKey(rawEd25519Seed: key.keyBytes))
        guard signer.keyID == key.keyID else {
            throw CryptoError(
                "signer key \(key.name)+\(hex8(key.keyID)): key ID does not match the key "
                    + "(derived \(hex8(signer.keyID)))")
        }
        return signer
    }

    /// The Go-style signer key string form of an Ed25519 `key` under `name`.
    ///
    /// - Throws: `CryptoError` when `key` is not Ed25519.
    public static func signerKey(for key: PrivateKey, name: String) throws(CryptoError) -> NoteSignerKey {
        guard let seed = key.rawEd25519Seed else {
            throw CryptoError("only Ed25519 keys have a signer key string, not \(key.algorithm.displayName)")
        }
        let signer = try Ed25519NoteSigner(name: name, privateKey: key)
        return NoteSignerKey(name: name, keyID: signer.keyID, type: VerifierKey.typeEd25519, keyBytes: seed)
    }

    private static func hex8(_ v: UInt32) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 8 - s.count) + s
    }
}
