import COpenSSL
import EdgeLedgerCore

/// A private signing key for Ed25519, ECDSA P-256 or SM2, held as an OpenSSL `EVP_PKEY`.
///
/// Stored as PKCS#8 PEM (see ``pem`` and ``KeyFile``). `@unchecked Sendable`: the `EVP_PKEY`
/// is never modified after `init`, and OpenSSL 3 allows concurrent read-only use of one key
/// from many threads (every signature creates its own `EVP_MD_CTX` and `EVP_PKEY_CTX`).
public final class PrivateKey: @unchecked Sendable {
    /// The algorithm this key signs with.
    public let algorithm: SigningAlgorithm
    /// The matching public key.
    public let publicKey: PublicKey
    let pkey: OpaquePointer

    /// Takes ownership of `pkey`.
    init(taking pkey: OpaquePointer) throws(CryptoError) {
        let (algorithm, key) = try OpenSSL.classify(pkey, private: true)
        let publicKey: PublicKey
        do {
            publicKey = try PublicKey(derSPKI: try OpenSSL.derSPKI(key))
        } catch {
            EVP_PKEY_free(key)
            throw error
        }
        self.algorithm = algorithm
        self.pkey = key
        self.publicKey = publicKey
    }

    deinit { EVP_PKEY_free(pkey) }

    /// A new random key for `algorithm`.
    public static func generate(_ algorithm: SigningAlgorithm) throws(CryptoError) -> PrivateKey {
        let (keyType, group): (String, String?) =
            switch algorithm {
            case .ed25519: ("ED25519", nil)
            case .p256: ("EC", "P-256")
            case .sm2: ("SM2", "SM2")
            }
        guard let ctx = EVP_PKEY_CTX_new_from_name(nil, keyType, nil) else {
            throw OpenSSL.error("OpenSSL cannot make \(algorithm.displayName) keys")
        }
        defer { EVP_PKEY_CTX_free(ctx) }
        guard EVP_PKEY_keygen_init(ctx) == 1 else {
            throw OpenSSL.error("cannot start \(algorithm.displayName) key generation")
        }
        if let group, EVP_PKEY_CTX_set_group_name(ctx, group) != 1 {
            throw OpenSSL.error("cannot select curve \(group)")
        }
        var key: OpaquePointer? = nil
        guard EVP_PKEY_generate(ctx, &key) == 1, let key else {
            throw OpenSSL.error("\(algorithm.displayName) key generation failed")
        }
        return try PrivateKey(taking: key)
    }

    /// Loads a key from PEM: PKCS#8 `PRIVATE KEY` (what EdgeLedger writes) or a traditional
    /// `EC PRIVATE KEY`. An EC key on the SM2 curve is loaded as an SM2 key.
    ///
    /// - Throws: `CryptoError` for unparseable or encrypted PEM and unsupported key types.
    public convenience init(pem: String) throws(CryptoError) {
        if pem.contains("ENCRYPTED") {
            throw CryptoError(
                "encrypted private keys are not supported",
                hint: "store the key unencrypted with mode 0600, e.g. openssl pkey -in KEY -out NEW")
        }
        var bytes = Array(pem.utf8)
        defer { KeyFile.wipe(&bytes) }
        let decoded: OpaquePointer? = bytes.withUnsafeBytes { raw in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { return nil }
            defer { BIO_free(bio) }
            // A callback that refuses: without it OpenSSL would prompt on the terminal.
            return PEM_read_bio_PrivateKey_ex(bio, nil, { _, _, _, _ in 0 }, nil, nil, nil)
        }
        guard let decoded else {
            throw OpenSSL.error(
                "not a PEM private key",
                hint: "expected a -----BEGIN PRIVATE KEY----- block as written by edge-ledger keygen")
        }
        try self.init(taking: decoded)
    }

    /// An Ed25519 key from its 32-byte seed (the private key of RFC 8032).
    public convenience init(rawEd25519Seed seed: [UInt8]) throws(CryptoError) {
        guard seed.count == 32 else {
            throw CryptoError("Ed25519 seed is \(seed.count) bytes; expected 32")
        }
        guard let key = EVP_PKEY_new_raw_private_key_ex(nil, "ED25519", nil, seed, 32) else {
            throw OpenSSL.error("invalid Ed25519 seed")
        }
        try self.init(taking: key)
    }

    /// For Ed25519, the 32-byte seed; `nil` for other algorithms. Treat it like the key.
    public var rawEd25519Seed: [UInt8]? {
        guard algorithm == .ed25519 else { return nil }
        var out = [UInt8](repeating: 0, count: 32)
        var length = 32
        guard EVP_PKEY_get_raw_private_key(pkey, &out, &length) == 1, length == 32 else {
            ERR_clear_error()
            return nil
        }
        return out
    }

    /// The key as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), unencrypted.
    public var pem: String {
        guard let bio = BIO_new(BIO_s_mem()) else { fatalError("OpenSSL: out of memory") }
        defer { BIO_free(bio) }
        guard PEM_write_bio_PrivateKey(bio, pkey, nil, nil, 0, nil, nil) == 1 else {
            fatalError("OpenSSL cannot encode a loaded key as PKCS#8: \(OpenSSL.drainErrors())")
        }
        let length = Int(BIO_ctrl_pending(bio))
        var bytes = [UInt8](repeating: 0, count: length)
        let read = bytes.withUnsafeMutableBytes { BIO_read(bio, $0.baseAddress, Int32(length)) }
        precondition(read == length, "OpenSSL memory BIO returned a short read")
        defer { KeyFile.wipe(&bytes) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Signs `message`: Ed25519 (64 bytes); for P-256 a DER ECDSA signature over
    /// SHA-256(message); for SM2 a DER SM2 signature with SM3 and user ID
    /// `1234567812345678`.
    public func sign(_ message: [UInt8]) throws(CryptoError) -> [UInt8] {
        try sign(message, sm2UserID: PublicKey.defaultSM2UserID)
    }

    /// As ``sign(_:)``, with an explicit SM2 user ID (ignored for other algorithms).
    public func sign(_ message: [UInt8], sm2UserID: [UInt8]) throws(CryptoError) -> [UInt8] {
        guard let mctx = EVP_MD_CTX_new() else { throw OpenSSL.error("out of memory") }
        defer { EVP_MD_CTX_free(mctx) }
        var pctx: OpaquePointer? = nil
        defer { if let pctx { EVP_PKEY_CTX_free(pctx) } }
        let ok: Bool
        switch algorithm {
        case .ed25519:
            ok = EVP_DigestSignInit_ex(mctx, nil, nil, nil, nil, pkey, nil) == 1
        case .p256:
            ok = EVP_DigestSignInit_ex(mctx, nil, "SHA256", nil, nil, pkey, nil) == 1
        case .sm2:
            // The ID must be on the EVP_PKEY_CTX before init: OpenSSL 3.0 otherwise uses an
            // empty ID (and other versions other defaults).
            pctx = EVP_PKEY_CTX_new_from_pkey(nil, pkey, nil)
            if let pctx, SM2.setUserID(pctx, sm2UserID) {
                EVP_MD_CTX_set_pkey_ctx(mctx, pctx)
                ok = EVP_DigestSignInit_ex(mctx, nil, "SM3", nil, nil, pkey, nil) == 1
            } else {
                ok = false
            }
        }
        guard ok else { throw OpenSSL.error("cannot start \(algorithm.displayName) signing") }
        return try OpenSSL.withBytes(message) { (m, mlen) throws(CryptoError) -> [UInt8] in
            var length = 0
            guard EVP_DigestSign(mctx, nil, &length, m, mlen) == 1 else {
                throw OpenSSL.error("\(algorithm.displayName) signing failed")
            }
            var signature = [UInt8](repeating: 0, count: length)
            guard EVP_DigestSign(mctx, &signature, &length, m, mlen) == 1 else {
                throw OpenSSL.error("\(algorithm.displayName) signing failed")
            }
            signature.removeSubrange(length...)
            return signature
        }
    }
}
