/// A configuration document as a generic value tree, independent of the file syntax.
///
/// The TOML parser (`Configuration/TOML`) turns a TOML document into a `ConfigValue`;
/// ``AgentConfiguration`` and ``UpstreamConfiguration`` validate it. Keeping the tree generic
/// keeps the validation pure and lets tests and fuzzers build documents directly.
public indirect enum ConfigValue: Sendable, Equatable {
    /// A table (TOML table or inline table). Key order is not significant.
    case table([String: ConfigValue])
    /// An array (TOML array or array of tables).
    case array([ConfigValue])
    /// A string.
    case string(String)
    /// An integer (TOML integers are 64-bit signed).
    case integer(Int64)
    /// A floating-point number.
    case float(Double)
    /// A boolean.
    case bool(Bool)
    /// A TOML date, time or date-time, as text. No EdgeLedger key takes one; it is kept so that
    /// error messages can say what was found.
    case datetime(String)

    /// What this value is, with an article, for error messages: "a string", "a table", ...
    public var kindDescription: String {
        switch self {
        case .table: "a table"
        case .array: "an array"
        case .string: "a string"
        case .integer: "an integer"
        case .float: "a floating-point number"
        case .bool: "a boolean"
        case .datetime: "a date-time"
        }
    }

    /// A short rendering of the value for error messages (`got ...`): strings quoted and
    /// truncated, scalars as written, tables and arrays by kind only.
    public var shortDescription: String {
        switch self {
        case .table: "a table"
        case .array(let items): items.isEmpty ? "an empty array" : "an array"
        case .string(let s): ConfigValue.quote(s)
        case .integer(let i): String(i)
        case .float(let d): String(d)
        case .bool(let b): String(b)
        case .datetime(let text): "a date-time (\(text))"
        }
    }

    /// `text` as a JSON string literal (``JSONWriter``), truncated after `limit` characters with
    /// `…`, so that any input renders as one safe line.
    static func quote(_ text: String, limit: Int = 80) -> String {
        let scalars = text.unicodeScalars
        guard scalars.count > limit else { return JSONWriter.string(text) }
        var head = ""
        head.unicodeScalars.append(contentsOf: scalars.prefix(limit))
        return String(JSONWriter.string(head).dropLast()) + "…\""
    }
}
