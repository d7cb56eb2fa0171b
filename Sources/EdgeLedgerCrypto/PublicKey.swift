import COpenSSL
import EdgeLedgerCore

/// A public key for Ed25519, ECDSA P-256 or SM2, held as an OpenSSL `EVP_PKEY`.
///
/// `@unchecked Sendable`: the `EVP_PKEY` is never modified after `init`, and OpenSSL 3
/// allows concurrent read-only use of one key from many threads (every verification creates
/// its own `EVP_MD_CTX` and `EVP_PKEY_CTX`).
public final class PublicKey: @unchecked Sendable, Hashable {
    /// The algorithm this key verifies.
    public let algorithm: SigningAlgorithm
    /// The DER-encoded `SubjectPublicKeyInfo`, as given to or produced by `init`.
    public let derSPKI: [UInt8]
    /// For Ed25519 keys, the 32-byte public key of RFC 8032; `nil` otherwise.
    public let rawEd25519: [UInt8]?
    let pkey: OpaquePointer

    /// The SM2 user ID EdgeLedger signs and verifies with (the GB/T 32918 default).
    public static let defaultSM2UserID: [UInt8] = Array("1234567812345678".utf8)

    /// Takes ownership of `pkey`.
    init(taking pkey: OpaquePointer) throws(CryptoError) {
        let (algorithm, key) = try OpenSSL.classify(pkey, private: false)
        do {
            self.derSPKI = try OpenSSL.derSPKI(key)
            self.rawEd25519 = algorithm == .ed25519 ? try OpenSSL.rawEd25519PublicKey(key) : nil
        } catch {
            EVP_PKEY_free(key)
            throw error
        }
        self.algorithm = algorithm
        self.pkey = key
    }

    /// A key from a DER `SubjectPublicKeyInfo` (Ed25519, P-256, or an EC key on the SM2 curve,
    /// which is treated as SM2).
    ///
    /// - Throws: `CryptoError` when the bytes are not exactly one SPKI of a supported type.
    public convenience init(derSPKI: [UInt8]) throws(CryptoError) {
        let decoded: OpaquePointer? = derSPKI.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return nil }
            var p: UnsafePointer<UInt8>? = base
            guard let key = d2i_PUBKEY_ex(nil, &p, buffer.count, nil, nil) else { return nil }
            guard p == base + buffer.count else {
                EVP_PKEY_free(key)
                return nil
            }
            return key
        }
        guard let decoded else {
            throw OpenSSL.error("public key is not a valid DER SubjectPublicKeyInfo")
        }
        try self.init(taking: decoded)
        if self.derSPKI != derSPKI {
            throw CryptoError(
                "public key SubjectPublicKeyInfo is not in canonical form",
                hint: "re-encode it with uncompressed points, e.g. with edge-ledger keygen")
        }
    }

    /// An Ed25519 key from its 32 raw bytes (RFC 8032).
    public convenience init(rawEd25519 bytes: [UInt8]) throws(CryptoError) {
        guard bytes.count == 32 else {
            throw CryptoError("Ed25519 public key is \(bytes.count) bytes; expected 32")
        }
        guard let key = EVP_PKEY_new_raw_public_key_ex(nil, "ED25519", nil, bytes, 32) else {
            throw OpenSSL.error("invalid Ed25519 public key")
        }
        try self.init(taking: key)
    }

    deinit { EVP_PKEY_free(pkey) }

    /// Whether `signature` is valid for `message` under this key: a 64-byte Ed25519 signature;
    /// for P-256 a DER ECDSA signature over SHA-256(message); for SM2 a DER SM2 signature with
    /// SM3 and the user ID ``defaultSM2UserID``.
    public func verify(_ message: [UInt8], signature: [UInt8]) -> Bool {
        verify(message, signature: signature, sm2UserID: PublicKey.defaultSM2UserID)
    }

    /// As ``verify(_:signature:)``, with an explicit SM2 user ID (ignored for other
    /// algorithms).
    public func verify(_ message: [UInt8], signature: [UInt8], sm2UserID: [UInt8]) -> Bool {
        guard !signature.isEmpty else { return false }
        if algorithm == .ed25519 && signature.count != 64 { return false }
        defer { ERR_clear_error() }
        guard let mctx = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(mctx) }
        var pctx: OpaquePointer? = nil
        defer { if let pctx { EVP_PKEY_CTX_free(pctx) } }
        switch algorithm {
        case .ed25519:
            guard EVP_DigestVerifyInit_ex(mctx, nil, nil, nil, nil, pkey, nil) == 1 else { return false }
        case .p256:
            guard EVP_DigestVerifyInit_ex(mctx, nil, "SHA256", nil, nil, pkey, nil) == 1 else { return false }
        case .sm2:
            // The ID must be on the EVP_PKEY_CTX before init: OpenSSL 3.0 otherwise uses an
            // empty ID (and other versions other defaults).
            pctx = EVP_PKEY_CTX_new_from_pkey(nil, pkey, nil)
            guard let pctx, SM2.setUserID(pctx, sm2UserID) else { return false }
            EVP_MD_CTX_set_pkey_ctx(mctx, pctx)
            guard EVP_DigestVerifyInit_ex(mctx, nil, "SM3", nil, nil, pkey, nil) == 1 else { return false }
        }
        let result = try? OpenSSL.withBytes(message) { (m, mlen) throws(CryptoError) -> Int32 in
            signature.withUnsafeBufferPointer { s in
                EVP_DigestVerify(mctx, s.baseAddress, s.count, m, mlen)
            }
        }
        return result == 1
    }

    /// Keys are equal when their SPKI encodings are.
    public static func == (lhs: PublicKey, rhs: PublicKey) -> Bool { lhs.derSPKI == rhs.derSPKI }

    /// Hashes the SPKI encoding.
    public func hash(into hasher: inout Hasher) { hasher.combine(derSPKI) }
}

/// SM2 specifics shared by signing and verification.
enum SM2 {
    static func setUserID(_ pctx: OpaquePointer, _ id: [UInt8]) -> Bool {
        var idCopy = id
        if idCopy.isEmpty { idCopy = [0] }
        return idCopy.withUnsafeMutableBytes { raw in
            EVP_PKEY_CTX_set1_id(pctx, raw.baseAddress, Int32(id.count)) == 1
        }
    }
}
