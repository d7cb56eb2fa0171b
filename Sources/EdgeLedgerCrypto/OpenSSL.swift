import COpenSSL

/// Internal helpers around the OpenSSL C API.
enum OpenSSL {
    /// Drains this thread's OpenSSL error queue into one line (most recent reason last).
    static func drainErrors() -> String {
        var reasons: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            let text = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            if reasons.count < 4 { reasons.append(text) }
        }
        return reasons.joined(separator: "; ")
    }

    /// A `CryptoError` for a failed OpenSSL call, with OpenSSL's own reasons appended.
    static func error(_ message: String, hint: String? = nil) -> CryptoError {
        let reasons = drainErrors()
        return CryptoError(reasons.isEmpty ? message : "\(message): \(reasons)", hint: hint)
    }

    /// Calls `body` with a pointer and length for `bytes`; the pointer is never null, even for
    /// an empty array (some OpenSSL functions reject a null input).
    static func withBytes<R>(
        _ bytes: [UInt8], _ body: (UnsafePointer<UInt8>, Int) throws(CryptoError) -> R
    )
        throws(CryptoError) -> R
    {
        if bytes.isEmpty {
            var zero: UInt8 = 0
            return try body(&zero, 0)
        }
        return try bytes.withUnsafeBufferPointer { (buffer) throws(CryptoError) -> R in
            try body(buffer.baseAddress!, buffer.count)
        }
    }

    /// The `SubjectPublicKeyInfo` DER encoding of `pkey`'s public key.
    static func derSPKI(_ pkey: OpaquePointer) throws(CryptoError) -> [UInt8] {
        let length = i2d_PUBKEY(pkey, nil)
        guard length > 0 else { throw error("cannot encode public key as SubjectPublicKeyInfo") }
        var out = [UInt8](repeating: 0, count: Int(length))
        let written = out.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var p: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
            return i2d_PUBKEY(pkey, &p)
        }
        guard written == length else { throw error("cannot encode public key as SubjectPublicKeyInfo") }
        return out
    }

    /// The raw 32-byte Ed25519 public key of `pkey`.
    static func rawEd25519PublicKey(_ pkey: OpaquePointer) throws(CryptoError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length = 32
        guard EVP_PKEY_get_raw_public_key(pkey, &out, &length) == 1, length == 32 else {
            throw error("cannot export the Ed25519 public key")
        }
        return out
    }

    /// Which supported algorithm `pkey` is for; converts an EC key on the SM2 curve into an
    /// SM2 key so that OpenSSL signs with SM2 rather than ECDSA. Takes ownership of `pkey`
    /// (frees it on failure or when it returns a converted key).
    static func classify(
        _ pkey: OpaquePointer, private isPrivate: Bool
    ) throws(CryptoError) -> (
        SigningAlgorithm, OpaquePointer
    ) {
        if EVP_PKEY_is_a(pkey, "ED25519") == 1 { return (.ed25519, pkey) }
        let group = groupName(pkey)
        if EVP_PKEY_is_a(pkey, "SM2") == 1 {
            guard group == "SM2" else {
                EVP_PKEY_free(pkey)
                throw CryptoError("SM2 key is on curve \(group ?? "?"), not the SM2 curve")
            }
            return (.sm2, pkey)
        }
        if EVP_PKEY_is_a(pkey, "EC") == 1 {
            switch group {
            case "prime256v1", "P-256":
                return (.p256, pkey)
            case "SM2":
                defer { EVP_PKEY_free(pkey) }
                return (.sm2, try convertToSM2(pkey, private: isPrivate))
            default:
                EVP_PKEY_free(pkey)
                throw CryptoError(
                    "EC key on curve \(group ?? "?") is not supported",
                    hint: "EdgeLedger signs with Ed25519, ECDSA P-256 or SM2; make a key with edge-ledger keygen")
            }
        }
        let type = EVP_PKEY_get0_type_name(pkey).map { String(cString: $0) } ?? "unknown"
        EVP_PKEY_free(pkey)
        throw CryptoError(
            "\(type) keys are not supported",
            hint: "EdgeLedger signs with Ed25519, ECDSA P-256 or SM2; make a key with edge-ledger keygen")
    }

    static func groupName(_ pkey: OpaquePointer) -> String? {
        var buffer = [CChar](repeating: 0, count: 64)
        var length = 0
        guard EVP_PKEY_get_group_name(pkey, &buffer, buffer.count, &length) == 1 else {
            ERR_clear_error()
            return nil
        }
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// Re-imports an "EC" key on the SM2 curve through OpenSSL's "SM2" key manager.
    static func convertToSM2(_ pkey: OpaquePointer, private isPrivate: Bool) throws(CryptoError) -> OpaquePointer {
        // EVP_PKEY_PUBLIC_KEY / EVP_PKEY_KEYPAIR are composite macros Swift cannot import.
        let publicKey =
            OSSL_KEYMGMT_SELECT_DOMAIN_PARAMETERS | OSSL_KEYMGMT_SELECT_OTHER_PARAMETERS
            | OSSL_KEYMGMT_SELECT_PUBLIC_KEY
        let selection = Int32(isPrivate ? publicKey | OSSL_KEYMGMT_SELECT_PRIVATE_KEY : publicKey)
        var params: UnsafeMutablePointer<OSSL_PARAM>? = nil
        guard EVP_PKEY_todata(pkey, selection, &params) == 1, let params else {
            throw error("cannot export the SM2-curve key")
        }
        defer { OSSL_PARAM_free(params) }
        guard let ctx = EVP_PKEY_CTX_new_from_name(nil, "SM2", nil) else {
            throw error("OpenSSL has no SM2 support", hint: "install OpenSSL 3 with SM2 enabled")
        }
        defer { EVP_PKEY_CTX_free(ctx) }
        var out: OpaquePointer? = nil
        guard EVP_PKEY_fromdata_init(ctx) == 1, EVP_PKEY_fromdata(ctx, &out, selection, params) == 1, let out
        else {
            throw error("cannot import the key as an SM2 key")
        }
        return out
    }
}
