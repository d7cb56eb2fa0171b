/// One problem found in a configuration document: where it is and what is wrong.
public struct ConfigIssue: Sendable, Equatable, CustomStringConvertible {
    /// The key path, e.g. `mqtt.topics[1].qos`; empty for problems with the document as a
    /// whole (unreadable file, syntax error).
    public var path: String
    /// What is wrong, e.g. `expected an integer 0...2, got "two"`.
    public var message: String
    /// 1-based line in the source text, when known (TOML syntax errors).
    public var line: Int?
    /// 1-based column in the source text, when known (TOML syntax errors).
    public var column: Int?

    /// Creates an issue at a key path.
    public init(path: String, message: String, line: Int? = nil, column: Int? = nil) {
        self.path = path
        self.message = message
        self.line = line
        self.column = column
    }

    /// `path: message`, or `line L, column C: message` for positioned issues.
    public var description: String {
        var prefix = ""
        if let line {
            prefix = "line \(line)"
            if let column { prefix += ", column \(column)" }
            prefix += ": "
        }
        if !path.isEmpty { prefix += path + ": " }
        return prefix + message
    }
}
