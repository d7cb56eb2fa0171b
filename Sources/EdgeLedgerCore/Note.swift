/// A C2SP signed note (`c2sp.org/signed-note`): a text ending in a newline, a blank line, and
/// one or more signature lines `— <key name> base64(keyID || signature)`.
///
/// Parsing checks the syntax only; ``NoteSigning/open(_:verifiers:)`` checks the signatures.
///
/// ```
/// factory.example/plant-7/gw-12
/// 42
/// 8P1q2cM1XrWVtA/sw5c7FAyb6qbC06UmBGIXWRKlHbU=
///
/// — factory.example/plant-7/gw-12 AZxo3t…
/// ```
public struct Note: Sendable, Hashable {
    /// The signed text, including its final newline but not the separating blank line.
    public var text: String
    /// The signature lines, in the order they appear.
    public var signatures: [NoteSignature]

    /// At most this many signature lines are accepted when parsing (the spec requires at
    /// least 16; Go's `sumdb/note` uses the same limit).
    public static let maxSignatures = 100

    /// A note with `text` and `signatures`, taken as given.
    ///
    /// No validation happens here; use ``NoteSigning/sign(text:with:)`` to make a note and
    /// ``init(parsing:)-(StringProtocol)`` for untrusted input.
    public init(text: String, signatures: [NoteSignature]) {
        self.text = text
        self.signatures = signatures
    }

    /// Parses a signed note.
    ///
    /// - Throws: `NoteError` saying what is malformed: no final newline, no blank line before
    ///   the signatures, a forbidden control character (with its line), no or too many
    ///   signature lines, or a bad signature line (with its number).
    public init(parsing note: some StringProtocol) throws(NoteError) {
        try self.init(parsing: Array(note.utf8))
    }

    /// Parses a signed note given as raw bytes, which must be valid UTF-8.
    ///
    /// - Throws: `NoteError`, as ``init(parsing:)-(StringProtocol)``, and also for invalid
    ///   UTF-8 (naming the byte offset).
    public init(parsing bytes: [UInt8]) throws(NoteError) {
        try Note.checkCharacters(bytes, what: "note")
        guard bytes.last == 0x0a else {
            throw NoteError(
                "note does not end with a newline", hint: "every line, including the last signature line, ends with \\n"
            )
        }
        // The text is separated from the signatures by the last empty line.
        var split: Int? = nil
        var i = bytes.count - 2
        while i >= 0 {
            if bytes[i] == 0x0a && bytes[i + 1] == 0x0a {
                split = i
                break
            }
            i -= 1
        }
        guard let split else {
            throw NoteError(
                "note has no blank line between its text and its signature lines",
                hint: "a signed note is: text ending in \\n, an empty line, then one \"— name signature\" line per key")
        }
        let textBytes = bytes[...split]
        let sigBytes = bytes[(split + 2)...]
        guard !sigBytes.isEmpty else {
            throw NoteError("note has no signature lines after the blank line")
        }
        var signatures: [NoteSignature] = []
        var lineNumber = 0
        var start = sigBytes.startIndex
        while start < sigBytes.endIndex {
            lineNumber += 1
            guard lineNumber <= Note.maxSignatures else {
                throw NoteError("note has more than \(Note.maxSignatures) signature lines")
            }
            var end = start
            while sigBytes[end] != 0x0a { end += 1 }  // the final byte is a newline
            let line = String(decoding: sigBytes[start..<end], as: UTF8.self)
            do {
                signatures.append(try NoteSignature(parsingLine: line))
            } catch {
                throw NoteError("signature line \(lineNumber): \(error.message)", hint: error.hint)
            }
            start = end + 1
        }
        self.text = String(decoding: textBytes, as: UTF8.self)
        self.signatures = signatures
    }

    /// The note as it is stored and transmitted: text, blank line, one line per signature,
    /// each ending in a newline.
    public var serialized: String {
        var out = text
        out += "\n"
        for signature in signatures {
            out += signature.line
            out += "\n"
        }
        return out
    }

    /// Checks that `bytes` are valid UTF-8 without control characters other than newline.
    static func checkCharacters(_ bytes: some Collection<UInt8>, what: String) throws(NoteError) {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var offset = 0
        var line = 1
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                if scalar.value == 0x0a {
                    line += 1
                } else if scalar.value < 0x20 {
                    throw NoteError(
                        "\(what) line \(line) contains control character U+\(NoteName.hex4(scalar.value))",
                        hint: "signed notes may contain no control characters other than newline (no \\r, no tabs)")
                }
                offset += UTF8.width(scalar)
            case .emptyInput:
                return
            case .error:
                throw NoteError("\(what) is not valid UTF-8 (line \(line), byte offset \(offset))")
            }
        }
    }
}
