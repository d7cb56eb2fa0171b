/// The body of a C2SP tlog-witness `add-checkpoint` request:
///
/// ```
/// old <size>
/// <base64 proof hash>        (0...63 lines)
///
/// <signed checkpoint note>
/// ```
public struct WitnessRequest: Sendable, Hashable {
    /// The size of the checkpoint the client believes the witness holds (0: none).
    public var oldSize: UInt64
    /// The RFC 6962 consistency proof from ``oldSize`` to the checkpoint's size.
    public var proof: [Hash32]
    /// The signed checkpoint.
    public var note: Note

    /// The most proof lines a request may carry.
    public static let maxProofLines = 63

    /// A request from its parts.
    public init(oldSize: UInt64, proof: [Hash32], note: Note) {
        self.oldSize = oldSize
        self.proof = proof
        self.note = note
    }

    /// The request body.
    public var body: String {
        WitnessRequest.body(oldSize: oldSize, proof: proof, note: note.serialized)
    }

    /// The request body for an already serialized signed note.
    public static func body(oldSize: UInt64, proof: [Hash32], note: String) -> String {
        var out = "old \(oldSize)\n"
        for hash in proof {
            out += Base64.encode(hash.bytes)
            out += "\n"
        }
        out += "\n"
        out += note
        return out
    }

    /// Parses a request body strictly.
    ///
    /// - Throws: ``WitnessRequestError`` naming the line that is wrong: the `old` line (decimal
    ///   without leading zeros), a proof line that is not base64 of 32 bytes, more than 63 proof
    ///   lines, a missing blank line, or a malformed note.
    public init(parsing body: [UInt8]) throws(WitnessRequestError) {
        var lines: [ArraySlice<UInt8>] = []
        var start = 0
        var noteStart: Int? = nil
        while start < body.count {
            guard let end = body[start...].firstIndex(of: 0x0a) else {
                throw WitnessRequestError("line \(lines.count + 1) does not end with a newline")
            }
            let line = body[start..<end]
            start = end + 1
            if line.isEmpty {
                noteStart = start
                break
            }
            lines.append(line)
            guard lines.count <= WitnessRequest.maxProofLines + 1 else {
                throw WitnessRequestError("more than \(WitnessRequest.maxProofLines) consistency proof lines")
            }
        }
        guard let noteStart else {
            throw WitnessRequestError("no blank line between the old size and proof lines and the checkpoint")
        }
        guard let first = lines.first else { throw WitnessRequestError("the first line must be \"old <size>\"") }
        let prefix = Array("old ".utf8)
        guard first.starts(with: prefix) else { throw WitnessRequestError("the first line must be \"old <size>\"") }
        let digits = first.dropFirst(prefix.count)
        guard !digits.isEmpty, digits.count <= 20,
            digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            digits.count == 1 || digits.first != UInt8(ascii: "0"),
            let old = UInt64(String(decoding: digits, as: UTF8.self))
        else {
            throw WitnessRequestError("the old size is not a decimal number without leading zeros")
        }
        var proof: [Hash32] = []
        for (i, line) in lines.dropFirst().enumerated() {
            guard let bytes = Base64.decode(utf8: Array(line)), let hash = Hash32(bytes: bytes) else {
                throw WitnessRequestError("consistency proof line \(i + 1) is not the base64 of a 32-byte hash")
            }
            proof.append(hash)
        }
        let note: Note
        do {
            note = try Note(parsing: Array(body[noteStart...]))
        } catch {
            throw WitnessRequestError("the checkpoint is not a signed note: \(error.message)")
        }
        self.init(oldSize: old, proof: proof, note: note)
    }
}

/// A malformed `add-checkpoint` request body (HTTP 400).
public struct WitnessRequestError: ExplainedError, Equatable {
    /// What is wrong.
    public var message: String
    /// No hint: the message says what is wrong with the input.
    public var hint: String? { nil }

    /// Creates an error.
    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
