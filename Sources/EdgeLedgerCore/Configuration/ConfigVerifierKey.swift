/// Checks of C2SP note verifier keys (`<name>+<hex key ID>+<base64(type || key)>`) in
/// configuration files, on top of ``VerifierKey`` parsing.
enum ConfigVerifierKey {
    /// Why `key` is not a usable verifier key (or not one for `expectedName`), or `nil`.
    static func problem(with key: String, expectedName: String?) -> String? {
        let parsed: VerifierKey
        do {
            parsed = try VerifierKey(parsing: key)
        } catch {
            return "invalid verifier key \(ConfigValue.quote(key, limit: 60)): \(error.description)"
        }
        if let expectedName, parsed.name != expectedName {
            return
                "verifier key is for \(ConfigValue.quote(parsed.name)), expected the origin \(ConfigValue.quote(expectedName))"
        }
        switch parsed.type {
        case VerifierKey.typeEd25519, 0x04:  // 0x04: Ed25519 tlog-cosignature/v1 (witness) keys
            if parsed.keyBytes.count != 32 { return "invalid verifier key: an Ed25519 key must be 32 bytes" }
        case VerifierKey.typeECDSA, VerifierKey.typeOther:
            break
        default:
            return "invalid verifier key: unknown key type 0x\(Hex.encode([parsed.type]))"
        }
        return nil
    }
}
