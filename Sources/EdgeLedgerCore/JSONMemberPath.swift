/// A path to a member of a JSON object payload, such as `msg_id` or `meta.id` (members of
/// nested objects, separated by `.`), and the lookup of that member's value as written.
///
/// The lookup builds no values: it walks the payload with ``JSONSyntax``'s scanner and returns
/// the byte range of the value (a string with its quotes, a number, an object...), so two
/// payloads have the same key when the member is written the same way. A payload that is not a
/// JSON object, or lacks the member, has no value.
public struct JSONMemberPath: Sendable, Hashable, CustomStringConvertible {
    /// The member names, outermost first.
    public let names: [String]

    /// Parses `text`: member names separated by `.`, none empty. `nil` when `text` is not a path.
    public init?(_ text: String) {
        let names = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !text.isEmpty, !names.contains(where: \.isEmpty) else { return nil }
        self.names = names
    }

    public var description: String { names.joined(separator: ".") }

    /// The byte range of the member's value in `payload`, or `nil` when the payload is not a JSON
    /// object or has no such member (the first occurrence of a name counts).
    public func valueRange(in payload: UnsafeRawBufferPointer) -> Range<Int>? {
        var parser = JSONSyntax.Parser(bytes: payload)
        for (depth, name) in names.enumerated() {
            parser.skipWhitespace()
            guard parser.peek == UInt8(ascii: "{") else { return nil }
            guard Self.enterMember(name, &parser, depth: depth + 1) else { return nil }
        }
        parser.skipWhitespace()
        let start = parser.index
        guard parser.value(depth: names.count) == nil else { return nil }
        return start..<parser.index
    }

    /// The member's value as written, or `nil` (see ``valueRange(in:)``).
    public func value(in payload: [UInt8]) -> [UInt8]? {
        payload.withUnsafeBytes { raw in valueRange(in: raw).map { Array(raw[$0]) } }
    }

    /// With `parser` at an object's `{`, moves it to the start of member `name`'s value; false
    /// when the object has no such member or is malformed.
    private static func enterMember(_ name: String, _ parser: inout JSONSyntax.Parser, depth: Int) -> Bool {
        guard depth <= JSONSyntax.maximumDepth else { return false }
        parser.index += 1
        while true {
            parser.skipWhitespace()
            if parser.peek == UInt8(ascii: "}") { return false }
            guard parser.peek == UInt8(ascii: "\"") else { return false }
            let keyStart = parser.index + 1
            guard parser.string() == nil else { return false }
            let found = keyMatches(name, parser.bytes[keyStart..<(parser.index - 1)])
            parser.skipWhitespace()
            guard parser.peek == UInt8(ascii: ":") else { return false }
            parser.index += 1
            if found { return true }
            guard parser.value(depth: depth) == nil else { return false }
            parser.skipWhitespace()
            guard parser.peek == UInt8(ascii: ",") else { return false }
            parser.index += 1
        }
    }

    /// Whether a key as written (without its quotes; escapes are compared as written) is `name`.
    private static func keyMatches(_ name: String, _ key: Slice<UnsafeRawBufferPointer>) -> Bool {
        var utf8 = name.utf8.makeIterator()
        for byte in key {
            guard utf8.next() == byte else { return false }
        }
        return utf8.next() == nil
    }
}
