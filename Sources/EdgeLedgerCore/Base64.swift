/// Standard base64 (RFC 4648 §4, with `=` padding), as C2SP signed notes, checkpoints and
/// verifier keys use it.
///
/// Decoding is strict: the length must be a multiple of four, padding may appear only at the
/// end, and the unused bits of the last character must be zero. Every byte string therefore
/// has exactly one accepted encoding, so a parsed note re-serialises byte for byte.
public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    private static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: 0xff, count: 256)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = UInt8(i) }
        return table
    }()

    /// The padded base64 encoding of `bytes`.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        let input = Array(bytes)
        var out: [UInt8] = []
        out.reserveCapacity((input.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= input.count {
            let v = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
            out.append(alphabet[Int(v >> 18 & 0x3f)])
            out.append(alphabet[Int(v >> 12 & 0x3f)])
            out.append(alphabet[Int(v >> 6 & 0x3f)])
            out.append(alphabet[Int(v & 0x3f)])
            i += 3
        }
        switch input.count - i {
        case 1:
            let v = UInt32(input[i]) << 16
            out.append(alphabet[Int(v >> 18 & 0x3f)])
            out.append(alphabet[Int(v >> 12 & 0x3f)])
            out.append(UInt8(ascii: "="))
            out.append(UInt8(ascii: "="))
        case 2:
            let v = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8
            out.append(alphabet[Int(v >> 18 & 0x3f)])
            out.append(alphabet[Int(v >> 12 & 0x3f)])
            out.append(alphabet[Int(v >> 6 & 0x3f)])
            out.append(UInt8(ascii: "="))
        default:
            break
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes strict padded base64; `nil` for any other input (wrong length, characters outside
    /// the alphabet, misplaced padding, non-zero trailing bits).
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        decode(utf8: Array(text.utf8))
    }

    /// Decodes strict padded base64 given as UTF-8 bytes; `nil` for any invalid input.
    public static func decode(utf8 input: [UInt8]) -> [UInt8]? {
        guard input.count % 4 == 0 else { return nil }
        if input.isEmpty { return [] }
        var padding = 0
        if input[input.count - 1] == UInt8(ascii: "=") { padding += 1 }
        if input[input.count - 2] == UInt8(ascii: "=") { padding += 1 }
        var out: [UInt8] = []
        out.reserveCapacity(input.count / 4 * 3)
        let table = decodeTable
        var i = 0
        while i < input.count {
            let last = i + 4 == input.count
            let pad = last ? padding : 0
            var v: UInt32 = 0
            for j in 0..<4 {
                let c = input[i + j]
                if j >= 4 - pad {
                    v <<= 6
                    continue
                }
                let d = table[Int(c)]
                guard d != 0xff else { return nil }
                v = v << 6 | UInt32(d)
            }
            out.append(UInt8(truncatingIfNeeded: v >> 16))
            switch pad {
            case 0:
                out.append(UInt8(truncatingIfNeeded: v >> 8))
                out.append(UInt8(truncatingIfNeeded: v))
            case 1:
                guard v & 0xff == 0 else { return nil }
                out.append(UInt8(truncatingIfNeeded: v >> 8))
            default:
                guard v & 0xffff == 0 else { return nil }
            }
            i += 4
        }
        return out
    }
}
