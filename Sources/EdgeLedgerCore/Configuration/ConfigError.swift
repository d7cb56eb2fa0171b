/// Why a configuration document was refused: every problem found, not only the first.
///
/// `description` prints one problem per line, each naming the key path and what is wrong:
///
/// ```text
/// mqtt.topics[1].qos: expected an integer 0...2, got "two"
/// storage.durabilty: unknown key (did you mean "durability"?)
/// ```
public struct ConfigError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The problems, in document order as far as it is known (schema order, then unknown keys).
    public var issues: [ConfigIssue]

    /// Creates an error from a non-empty list of issues.
    public init(issues: [ConfigIssue]) {
        self.issues = issues
    }

    /// Creates an error with a single issue.
    public init(path: String, message: String, line: Int? = nil, column: Int? = nil) {
        self.issues = [ConfigIssue(path: path, message: message, line: line, column: column)]
    }

    /// One issue per line.
    public var description: String {
        issues.map(\.description).joined(separator: "\n")
    }
}
