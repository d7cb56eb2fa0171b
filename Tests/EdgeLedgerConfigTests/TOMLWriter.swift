import EdgeLedgerCore

/// Renders a ``ConfigValue`` table as TOML text, for round-trip tests of the parser.
///
/// `.inline` writes every value on one `key = value` line (inline tables, basic strings);
/// `.sections` writes tables as `[headers]`, arrays of tables as `[[headers]]`, and strings
/// as literal or multi-line strings where they can be, so that both styles together use every
/// kind of TOML syntax the parser reads.
enum TOMLWriter {
    /// How tables and strings are written.
    enum Style: CaseIterable {
        case inline
        case sections
    }

    /// The document for a `.table` value.
    static func document(_ value: ConfigValue, style: Style) -> String {
        guard case .table(let members) = value else { return "" }
        var out = ""
        write(members, path: [], style: style, into: &out)
        return out
    }

    private static func write(_ members: [String: ConfigValue], path: [String], style: Style, into out: inout String) {
        let keys = members.keys.sorted()
        var deferred: [String] = []
        for key in keys {
            let value = members[key]!
            if style == .sections, isSection(value) {
                deferred.append(key)
            } else {
                out += self.key(key) + " = " + inline(value, style: style) + "\n"
            }
        }
        for key in deferred {
            let sub = path + [key]
            let header = sub.map(self.key).joined(separator: ".")
            switch members[key]! {
            case .table(let table):
                out += "\n[" + header + "]\n"
                write(table, path: sub, style: style, into: &out)
            case .array(let items):
                for case .table(let table) in items {
                    out += "\n[[" + header + "]]\n"
                    write(table, path: sub, style: style, into: &out)
                }
            default:
                break
            }
        }
    }

    /// Tables, and non-empty arrays of tables only, go under headers.
    private static func isSection(_ value: ConfigValue) -> Bool {
        switch value {
        case .table: return true
        case .array(let items):
            return !items.isEmpty && items.allSatisfy { if case .table = $0 { true } else { false } }
        default: return false
        }
    }

    private static func inline(_ value: ConfigValue, style: Style) -> String {
        switch value {
        case .table(let members):
            let body = members.keys.sorted().map { key($0) + " = " + inline(members[$0]!, style: style) }
            return body.isEmpty ? "{}" : "{ " + body.joined(separator: ", ") + " }"
        case .array(let items):
            return "[" + items.map { inline($0, style: style) }.joined(separator: ", ") + "]"
        case .string(let s): return style == .inline ? basic(s) : preferredString(s)
        case .integer(let i): return String(i)
        case .float(let d): return String(d)
        case .bool(let b): return String(b)
        case .datetime(let text): return text
        }
    }

    private static func key(_ key: String) -> String {
        let bare =
            !key.isEmpty
            && key.unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_"
                    || $0 == "-"
            }
        return bare ? key : basic(key)
    }

    /// A basic string: every control character, quote and backslash escaped; new lines kept
    /// raw when `rawNewlines` (for a multi-line string).
    private static func basic(_ s: String, rawNewlines: Bool = false) -> String {
        var out = ""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += rawNewlines ? "\n" : "\\n"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7f {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return rawNewlines ? out : "\"" + out + "\""
    }

    /// A literal string where one can hold `s`, else a multi-line basic string with raw new lines.
    private static func preferredString(_ s: String) -> String {
        let plain = s.unicodeScalars.allSatisfy { $0 != "'" && ($0.value >= 0x20 || $0 == "\t") && $0.value != 0x7f }
        if plain { return "'" + s + "'" }
        // A new line right after the opening quotes would be dropped: start with an escaped one.
        var rest = s.unicodeScalars[...]
        var body = ""
        if rest.first == "\n" {
            body = "\\n"
            rest = rest.dropFirst()
        }
        return "\"\"\"" + body + basic(String(rest), rawNewlines: true) + "\"\"\""
    }
}
