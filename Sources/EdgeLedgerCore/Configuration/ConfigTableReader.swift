/// Reads typed values out of one table of a ``ConfigValue`` document, reporting every problem to
/// the shared ``ConfigContext`` and returning the default instead, so that validation goes on
/// and all problems of a document are reported together.
///
/// Every key asked for is remembered; ``finish()`` reports the keys of the table that nobody
/// asked for as unknown, with the closest known key as a suggestion.
final class ConfigTableReader {
    /// Key path of this table (`""` for the document root).
    let path: String
    let context: ConfigContext
    /// Whether the table was written in the document (as opposed to defaulted).
    let isPresent: Bool
    private let values: [String: ConfigValue]
    private var known: [String] = []

    init(values: [String: ConfigValue], path: String, context: ConfigContext, isPresent: Bool = true) {
        self.values = values
        self.path = path
        self.context = context
        self.isPresent = isPresent
    }

    /// Reader for a whole document; reports a non-table root.
    static func root(_ value: ConfigValue, context: ConfigContext) -> ConfigTableReader {
        guard case .table(let values) = value else {
            context.error("", "expected a table at the top level of the document, got \(value.shortDescription)")
            return ConfigTableReader(values: [:], path: "", context: context, isPresent: false)
        }
        return ConfigTableReader(values: values, path: "", context: context)
    }

    // MARK: Paths and reporting

    /// The key path of `key` in this table, quoting keys that are not bare TOML keys.
    func path(of key: String) -> String {
        let bare =
            !key.isEmpty
            && key.unicodeScalars.allSatisfy {
                ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") || $0 == "_"
                    || $0 == "-"
            }
        let rendered = bare ? key : ConfigValue.quote(key)
        return path.isEmpty ? rendered : path + "." + rendered
    }

    func error(_ key: String, _ message: String) { context.error(path(of: key), message) }
    func warn(_ key: String, _ message: String) { context.warn(path(of: key), message) }

    private func lookup(_ key: String) -> ConfigValue? {
        if !known.contains(key) { known.append(key) }
        return values[key]
    }

    /// The raw value at `key` (and marks it known).
    func value(_ key: String) -> ConfigValue? { lookup(key) }

    /// Whether `key` is present (and marks it known).
    func has(_ key: String) -> Bool { lookup(key) != nil }

    /// Reports every key of this table that was never asked for.
    func finish() {
        for key in values.keys.sorted() where !known.contains(key) {
            if let suggestion = ConfigSuggestion.closest(to: key, among: known) {
                error(key, "unknown key (did you mean \"\(suggestion)\"?)")
            } else {
                error(key, "unknown key")
            }
        }
    }

    /// Reports a missing required key.
    func missing(_ key: String) { error(key, "required key is missing") }

    // MARK: Scalars

    /// An optional string; wrong types and (unless `allowEmpty`) empty strings are reported.
    func string(_ key: String, allowEmpty: Bool = false) -> String? {
        guard let value = lookup(key) else { return nil }
        guard case .string(let s) = value else {
            error(key, "expected a string, got \(value.shortDescription)")
            return nil
        }
        if s.isEmpty, !allowEmpty {
            error(key, "must not be empty")
            return nil
        }
        return s
    }

    func string(_ key: String, default defaultValue: String, allowEmpty: Bool = false) -> String {
        string(key, allowEmpty: allowEmpty) ?? defaultValue
    }

    /// A required string; a missing key is reported.
    func requiredString(_ key: String) -> String? {
        guard has(key) else {
            missing(key)
            return nil
        }
        return string(key)
    }

    func bool(_ key: String, default defaultValue: Bool) -> Bool {
        guard let value = lookup(key) else { return defaultValue }
        guard case .bool(let b) = value else {
            error(key, "expected true or false, got \(value.shortDescription)")
            return defaultValue
        }
        return b
    }

    func integer(_ key: String, default defaultValue: Int64, in range: ClosedRange<Int64>) -> Int64 {
        guard let value = lookup(key) else { return defaultValue }
        guard case .integer(let i) = value, range.contains(i) else {
            error(key, "expected an integer \(range.lowerBound)...\(range.upperBound), got \(value.shortDescription)")
            return defaultValue
        }
        return i
    }

    func integer(_ key: String, default defaultValue: Int, in range: ClosedRange<Int>) -> Int {
        Int(integer(key, default: Int64(defaultValue), in: Int64(range.lowerBound)...Int64(range.upperBound)))
    }

    /// A duration string (see ``ConfigDuration``) within `range`.
    func duration(_ key: String, default defaultValue: Duration, in range: ClosedRange<Duration>) -> Duration {
        guard let value = lookup(key) else { return defaultValue }
        let example = "such as \"500ms\", \"10s\", \"5m\", \"2h\" or \"30d\""
        guard case .string(let text) = value else {
            if case .integer = value {
                error(key, "expected a duration string with a unit \(example), got \(value.shortDescription)")
            } else {
                error(key, "expected a duration \(example), got \(value.shortDescription)")
            }
            return defaultValue
        }
        guard let d = ConfigDuration.parse(text) else {
            if text.hasPrefix("-") {
                error(key, "a duration cannot be negative, got \(value.shortDescription)")
            } else {
                error(key, "expected a duration \(example), got \(value.shortDescription)")
            }
            return defaultValue
        }
        guard range.contains(d) else {
            let lo = ConfigDuration.format(range.lowerBound)
            let hi = ConfigDuration.format(range.upperBound)
            error(key, "expected a duration \(lo)...\(hi), got \(value.shortDescription)")
            return defaultValue
        }
        return d
    }

    /// A size in bytes: an integer or a string such as "64MiB" (see ``ConfigByteSize``).
    func byteSize(_ key: String, default defaultValue: Int64, in range: ClosedRange<Int64>) -> Int64 {
        guard let value = lookup(key) else { return defaultValue }
        let size: Int64
        switch value {
        case .integer(let i):
            guard i >= 0 else {
                error(key, "a size cannot be negative, got \(i)")
                return defaultValue
            }
            size = i
        case .string(let text):
            guard let parsed = ConfigByteSize.parse(text) else {
                if text.hasPrefix("-") {
                    error(key, "a size cannot be negative, got \(value.shortDescription)")
                } else {
                    error(
                        key,
                        "expected a size in bytes (an integer) or a string such as \"512KiB\", \"64MiB\" or \"1GiB\", got \(value.shortDescription)"
                    )
                }
                return defaultValue
            }
            size = parsed
        default:
            error(key, "expected a size such as 65536 or \"64MiB\", got \(value.shortDescription)")
            return defaultValue
        }
        guard range.contains(size) else {
            let got = value.shortDescription + (size == Int64(value.shortDescription) ? "" : " (\(size) bytes)")
            error(key, "expected a size \(range.lowerBound)...\(range.upperBound) bytes, got \(got)")
            return defaultValue
        }
        return size
    }

    func byteSize(_ key: String, default defaultValue: Int, in range: ClosedRange<Int>) -> Int {
        Int(byteSize(key, default: Int64(defaultValue), in: Int64(range.lowerBound)...Int64(range.upperBound)))
    }

    /// One of a fixed set of strings.
    func choice<T>(_ key: String, default defaultValue: T, _ options: [(String, T)]) -> T {
        guard let value = lookup(key) else { return defaultValue }
        if case .string(let s) = value, let match = options.first(where: { $0.0 == s }) {
            return match.1
        }
        let list = options.map { "\"\($0.0)\"" }
        let expected = list.count == 2 ? "\(list[0]) or \(list[1])" : "one of " + list.joined(separator: ", ")
        error(key, "expected \(expected), got \(value.shortDescription)")
        return defaultValue
    }

    /// An array of strings; `nil` when absent or invalid (each bad element is reported).
    func stringArray(_ key: String, allowEmptyStrings: Bool = false) -> [String]? {
        guard let value = lookup(key) else { return nil }
        guard case .array(let items) = value else {
            error(key, "expected an array of strings, got \(value.shortDescription)")
            return nil
        }
        var result: [String] = []
        var ok = true
        for (i, item) in items.enumerated() {
            let itemPath = path(of: key) + "[\(i)]"
            guard case .string(let s) = item else {
                context.error(itemPath, "expected a string, got \(item.shortDescription)")
                ok = false
                continue
            }
            if s.isEmpty, !allowEmptyStrings {
                context.error(itemPath, "must not be empty")
                ok = false
                continue
            }
            result.append(s)
        }
        return ok ? result : nil
    }

    // MARK: Files and secrets

    /// An optional file path, resolved against the configuration file's directory.
    func filePath(_ key: String) -> String? {
        guard let p = string(key) else { return nil }
        return context.resolve(path: p)
    }

    func filePath(_ key: String, default defaultValue: String) -> String {
        filePath(key) ?? context.resolve(path: defaultValue)
    }

    /// A required file path, resolved against the configuration file's directory.
    func requiredFilePath(_ key: String) -> String? {
        guard let p = requiredString(key) else { return nil }
        return context.resolve(path: p)
    }

    /// A secret written as `key = "..."` or taken from the environment with
    /// `key_env = "VARIABLE"`; exactly one of the two may be set.
    func secret(_ key: String) -> ConfigSecret? {
        let envKey = key + "_env"
        let inline = string(key)
        let variable = string(envKey)
        switch (inline, variable) {
        case (.some, .some):
            error(key, "set either \(key) or \(envKey), not both")
            return nil
        case (.some(let value), .none):
            return ConfigSecret(value: value, source: .inline)
        case (.none, .some(let name)):
            let validName =
                name.unicodeScalars.allSatisfy {
                    ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") || $0 == "_"
                } && !(name.unicodeScalars.first.map { $0 >= "0" && $0 <= "9" } ?? true)
            guard validName else {
                error(envKey, "\(ConfigValue.quote(name)) is not a valid environment variable name")
                return nil
            }
            guard let value = context.environment[name] else {
                error(envKey, "environment variable \(name) is not set")
                return nil
            }
            guard !value.isEmpty else {
                error(envKey, "environment variable \(name) is empty")
                return nil
            }
            return ConfigSecret(value: value, source: .environment(name))
        case (.none, .none):
            return nil
        }
    }

    // MARK: Tables

    /// The sub-table at `key`; an empty, absent reader when the key is missing or not a table
    /// (the latter is reported), so that defaults and required keys still apply.
    func table(_ key: String) -> ConfigTableReader {
        let childPath = path(of: key)
        guard let value = lookup(key) else {
            return ConfigTableReader(values: [:], path: childPath, context: context, isPresent: false)
        }
        guard case .table(let values) = value else {
            error(key, "expected a table, got \(value.shortDescription)")
            return ConfigTableReader(values: [:], path: childPath, context: context, isPresent: false)
        }
        return ConfigTableReader(values: values, path: childPath, context: context)
    }

    /// The sub-table at `key` if present (nil when absent or invalid, the latter reported).
    func optionalTable(_ key: String) -> ConfigTableReader? {
        let t = table(key)
        return t.isPresent ? t : nil
    }

    /// An array of tables (`[[key]]`); each element's path is `key[i]`.
    func tableArray(_ key: String) -> [ConfigTableReader] {
        guard let value = lookup(key) else { return [] }
        guard case .array(let items) = value else {
            let hint = path.isEmpty ? key : path + "." + key
            error(key, "expected an array of tables ([[\(hint)]]), got \(value.shortDescription)")
            return []
        }
        var result: [ConfigTableReader] = []
        for (i, item) in items.enumerated() {
            let itemPath = path(of: key) + "[\(i)]"
            guard case .table(let values) = item else {
                context.error(itemPath, "expected a table, got \(item.shortDescription)")
                continue
            }
            result.append(ConfigTableReader(values: values, path: itemPath, context: context))
        }
        return result
    }
}
