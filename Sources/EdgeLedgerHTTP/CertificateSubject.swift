import EdgeLedgerCore

/// The subject of an X.509 certificate as an RFC 4514 string (`CN=dc-1,O=Example`), and the
/// matching of configured `client_subject` values against it.
///
/// The API identifies mutual-TLS clients by their certificate subject. The certificate has
/// already been validated against the configured client CA by the TLS stack; this only reads
/// the subject name out of its DER encoding (tbsCertificate → subject) and formats it the way
/// `openssl x509 -noout -subject -nameopt RFC2253` does: most specific RDN first, short names
/// for the common attribute types, `#hex` for values of unknown types, RFC 4514 escaping.
package enum CertificateSubject {
    /// The RFC 4514 components (`CN=dc-1`, `O=Example`), most specific first, of the subject of
    /// the DER certificate `der`; `nil` when it does not parse.
    package static func components(certificateDER der: [UInt8]) -> [String]? {
        var outer = DERReader(der[...])
        guard let certificate = outer.read(tag: 0x30) else { return nil }
        var cert = DERReader(certificate)
        guard let tbs = cert.read(tag: 0x30) else { return nil }
        var fields = DERReader(tbs)
        if fields.peekTag == 0xa0 { _ = fields.read(tag: 0xa0) }  // [0] version
        guard fields.read(tag: 0x02) != nil,  // serialNumber
            fields.read(tag: 0x30) != nil,  // signature algorithm
            fields.read(tag: 0x30) != nil,  // issuer
            fields.read(tag: 0x30) != nil,  // validity
            let subject = fields.read(tag: 0x30)
        else { return nil }
        return name(subject)
    }

    /// The RFC 4514 string of the subject of the DER certificate `der`.
    package static func string(certificateDER der: [UInt8]) -> String? {
        components(certificateDER: der)?.joined(separator: ",")
    }

    /// Whether a configured subject names the certificate subject `components` (as returned by
    /// ``components(certificateDER:)``).
    ///
    /// Accepted forms: RFC 4514 (`CN=dc-1,O=Example`, spaces after commas and around `=`
    /// allowed), the same components in X.500 order as OpenSSL prints them by default
    /// (`O = Example, CN = dc-1`), and OpenSSL's slash form (`/O=Example/CN=dc-1`). Attribute
    /// types are case-insensitive; values are compared exactly.
    package static func matches(configured: String, components: [String]) -> Bool {
        guard let wanted = normalized(configured), !wanted.isEmpty else { return false }
        return wanted == components || wanted.reversed() == components
    }

    /// The components of a configured subject, normalised (`TYPE=value`), in written order.
    package static func normalized(_ text: String) -> [String]? {
        let trimmed = text.trimmingSpaces
        var parts: [String]
        if trimmed.hasPrefix("/") {
            parts = split(String(trimmed.dropFirst()), on: "/")
        } else {
            parts = split(trimmed, on: ",")
        }
        parts = parts.map { part in
            // Multi-valued RDNs: normalise each attribute.
            split(part, on: "+").map(normalizedAttribute).joined(separator: "+")
        }
        guard parts.allSatisfy({ $0.contains("=") }) else { return nil }
        return parts
    }

    private static func normalizedAttribute(_ text: String) -> String {
        guard let eq = text.firstIndex(of: "=") else { return text.trimmingSpaces }
        let type = text[..<eq].trimmingSpaces.uppercased()
        let value = text[text.index(after: eq)...].trimmingSpaces
        let short = longNames[type] ?? type
        return "\(short)=\(value)"
    }

    /// Splits on `separator` where it is not escaped with a backslash.
    private static func split(_ text: String, on separator: Character) -> [String] {
        var parts: [String] = []
        var current = ""
        var escaped = false
        for c in text {
            if escaped {
                current.append(c)
                escaped = false
            } else if c == "\\" {
                current.append(c)
                escaped = true
            } else if c == separator {
                parts.append(current)
                current = ""
            } else {
                current.append(c)
            }
        }
        parts.append(current)
        return parts
    }

    // MARK: - DER

    /// Short names of attribute types, by OID (RFC 4514 §3 plus those OpenSSL prints).
    private static let shortNames: [String: String] = [
        "2.5.4.3": "CN", "2.5.4.4": "SN", "2.5.4.5": "serialNumber", "2.5.4.6": "C", "2.5.4.7": "L",
        "2.5.4.8": "ST", "2.5.4.9": "STREET", "2.5.4.10": "O", "2.5.4.11": "OU", "2.5.4.12": "title",
        "2.5.4.42": "GN", "0.9.2342.19200300.100.1.25": "DC", "0.9.2342.19200300.100.1.1": "UID",
        "1.2.840.113549.1.9.1": "emailAddress",
    ]

    /// Long attribute type names a configuration may use, upper-cased, to their short names.
    private static let longNames: [String: String] = [
        "COMMONNAME": "CN", "COUNTRYNAME": "C", "LOCALITYNAME": "L", "STATEORPROVINCENAME": "ST",
        "STREETADDRESS": "STREET", "ORGANIZATIONNAME": "O", "ORGANIZATIONALUNITNAME": "OU",
        "DOMAINCOMPONENT": "DC", "USERID": "UID", "SERIALNUMBER": "SERIALNUMBER", "EMAILADDRESS": "EMAILADDRESS",
        "SURNAME": "SN", "GIVENNAME": "GN", "TITLE": "TITLE",
    ]

    /// A Name (SEQUENCE OF RelativeDistinguishedName) as RFC 4514 components, last RDN first.
    private static func name(_ content: ArraySlice<UInt8>) -> [String]? {
        var rdns = DERReader(content)
        var out: [String] = []
        while !rdns.atEnd {
            guard let set = rdns.read(tag: 0x31) else { return nil }
            var attributes = DERReader(set)
            var values: [String] = []
            while !attributes.atEnd {
                guard let pair = attributes.read(tag: 0x30) else { return nil }
                var p = DERReader(pair)
                guard let oid = p.read(tag: 0x06), let oidText = objectIdentifier(oid), let value = p.readAny(),
                    p.atEnd
                else { return nil }
                // Attribute types are upper-cased so that comparisons ignore their case.
                let type = (shortNames[oidText] ?? oidText).uppercased()
                if shortNames[oidText] != nil, let text = string(tag: value.tag, value.content) {
                    values.append("\(type)=\(escape(text))")
                } else {
                    values.append("\(type)=#\(Hex.encode(value.whole))")
                }
            }
            guard !values.isEmpty else { return nil }
            out.append(values.joined(separator: "+"))
        }
        return out.reversed()
    }

    /// The dotted form of an OBJECT IDENTIFIER's content.
    private static func objectIdentifier(_ content: ArraySlice<UInt8>) -> String? {
        var arcs: [UInt64] = []
        var value: UInt64 = 0
        var length = 0
        for byte in content {
            guard length < 9 else { return nil }
            value = value << 7 | UInt64(byte & 0x7f)
            length += 1
            if byte & 0x80 == 0 {
                arcs.append(value)
                value = 0
                length = 0
            }
        }
        guard length == 0, let first = arcs.first else { return nil }
        let head: [UInt64] = first < 80 ? [first / 40, first % 40] : [2, first - 80]
        return (head + arcs.dropFirst()).map(String.init).joined(separator: ".")
    }

    /// The text of a directory string value, or `nil` for other types.
    private static func string(tag: UInt8, _ value: ArraySlice<UInt8>) -> String? {
        switch tag {
        case 0x0c, 0x12, 0x13, 0x16, 0x1a:  // UTF8, Numeric, Printable, IA5, Visible
            guard let text = String(validating: value, as: UTF8.self) else { return nil }
            return text
        case 0x14:  // Teletex: treated as Latin-1, as OpenSSL does
            return String(String.UnicodeScalarView(value.map { Unicode.Scalar($0) }))
        case 0x1e:  // BMPString: UTF-16BE
            guard value.count % 2 == 0 else { return nil }
            var units: [UInt16] = []
            var i = value.startIndex
            while i < value.endIndex {
                units.append(UInt16(value[i]) << 8 | UInt16(value[i + 1]))
                i += 2
            }
            return String(validating: units, as: UTF16.self)
        case 0x1c:  // UniversalString: UTF-32BE
            guard value.count % 4 == 0 else { return nil }
            var scalars = String.UnicodeScalarView()
            var i = value.startIndex
            while i < value.endIndex {
                let v = value[i..<(i + 4)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
                guard let scalar = Unicode.Scalar(v) else { return nil }
                scalars.append(scalar)
                i += 4
            }
            return String(scalars)
        default:
            return nil
        }
    }

    /// RFC 4514 §2.4 escaping of an attribute value.
    package static func escape(_ value: String) -> String {
        var out = ""
        let scalars = Array(value.unicodeScalars)
        for (i, scalar) in scalars.enumerated() {
            switch scalar {
            case "\"", "+", ",", ";", "<", ">", "\\":
                out += "\\"
                out.unicodeScalars.append(scalar)
            case "#" where i == 0, " " where i == 0 || i == scalars.count - 1:
                out += "\\"
                out.unicodeScalars.append(scalar)
            case "\u{0}":
                out += "\\00"
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

/// Reads DER TLVs (definite lengths only) from a byte slice; any malformation reads as `nil`.
package struct DERReader {
    private var bytes: ArraySlice<UInt8>

    package init(_ bytes: ArraySlice<UInt8>) { self.bytes = bytes }

    package var atEnd: Bool { bytes.isEmpty }
    package var peekTag: UInt8? { bytes.first }

    /// The next element's tag, content and whole encoding.
    package mutating func readAny() -> (tag: UInt8, content: ArraySlice<UInt8>, whole: ArraySlice<UInt8>)? {
        var i = bytes.startIndex
        guard i < bytes.endIndex else { return nil }
        let tag = bytes[i]
        guard tag & 0x1f != 0x1f else { return nil }  // no multi-byte tags in a Name
        i += 1
        guard i < bytes.endIndex else { return nil }
        var length = Int(bytes[i])
        i += 1
        if length & 0x80 != 0 {
            let count = length & 0x7f
            guard (1...4).contains(count), bytes.endIndex - i >= count else { return nil }
            length = 0
            for _ in 0..<count {
                length = length << 8 | Int(bytes[i])
                i += 1
            }
        }
        guard length >= 0, bytes.endIndex - i >= length else { return nil }
        let content = bytes[i..<(i + length)]
        let whole = bytes[bytes.startIndex..<(i + length)]
        bytes = bytes[(i + length)...]
        return (tag, content, whole)
    }

    /// The content of the next element if its tag is `tag`.
    package mutating func read(tag: UInt8) -> ArraySlice<UInt8>? {
        guard peekTag == tag, let element = readAny() else { return nil }
        return element.content
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces (U+0020 only).
    package var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " && !s.hasSuffix("\\ ") { s = s.dropLast() }
        return String(s)
    }
}
