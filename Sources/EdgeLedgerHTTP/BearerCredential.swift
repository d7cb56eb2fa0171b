/// The token of an `Authorization: Bearer <token>` header (RFC 6750 §2.1). The scheme is matched
/// case-insensitively (RFC 9110 §11.1: `bearer`, `BEARER` and `Bearer` are the same scheme);
/// spaces around the token are ignored. One parser for every listener (gateway API, witness).
package enum BearerCredential {
    /// The longest token accepted.
    package static let maximumLength = 4096

    /// The token bytes, or `nil` when `header` is not a well-formed bearer credential (another
    /// scheme, no token, a space inside the token, or longer than ``maximumLength``).
    package static func token(inAuthorization header: String) -> ArraySlice<UInt8>? {
        let bytes = Array(header.utf8)
        guard let space = bytes.firstIndex(of: UInt8(ascii: " ")),
            String(decoding: bytes[..<space], as: UTF8.self).lowercased() == "bearer"
        else { return nil }
        var token = bytes[(space + 1)...].drop { $0 == UInt8(ascii: " ") }
        while token.last == UInt8(ascii: " ") { token = token.dropLast() }
        guard !token.isEmpty, !token.contains(UInt8(ascii: " ")), token.count <= maximumLength else { return nil }
        return token
    }
}
