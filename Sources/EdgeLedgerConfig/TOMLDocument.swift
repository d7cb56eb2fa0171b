import EdgeLedgerCore
import TOMLKit

/// TOML text to ``ConfigValue``, over TOMLKit (toml++).
enum TOMLDocument {
    static func parse(_ text: String, limit: Int) throws(ConfigError) -> ConfigValue {
        if text.utf8.count > limit {
            throw ConfigError(path: "", message: "document is larger than \(limit) bytes")
        }
        // toml++ reads a C string: an embedded NUL would silently end the document.
        if let nul = text.utf8.firstIndex(of: 0) {
            let before = text.utf8[..<nul]
            let line = before.reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
            let column =
                before.count
                - (before.lastIndex(of: UInt8(ascii: "\n")).map { before.distance(from: before.startIndex, to: $0) + 1 }
                    ?? 0) + 1
            throw ConfigError(path: "", message: "TOML syntax error: NUL character", line: line, column: column)
        }
        if let issue = TOMLSyntaxCheck.problem(in: text) { throw ConfigError(issues: [issue]) }
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            let begin = error.source.begin
            throw ConfigError(
                path: "", message: "TOML syntax error: \(error.description)", line: begin.line > 0 ? begin.line : nil,
                column: begin.column > 0 ? begin.column : nil)
        } catch {
            throw ConfigError(path: "", message: "TOML syntax error: \(error)")
        }
        var issues: [ConfigIssue] = []
        let value = convert(table: table, path: "", issues: &issues)
        if !issues.isEmpty { throw ConfigError(issues: issues) }
        return value
    }

    private static func join(_ path: String, _ key: String) -> String {
        let rendered =
            key.isEmpty || key.contains(where: { !($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") })
            ? "\"" + key + "\"" : key
        return path.isEmpty ? rendered : path + "." + rendered
    }

    private static func convert(table: TOMLTable, path: String, issues: inout [ConfigIssue]) -> ConfigValue {
        var result: [String: ConfigValue] = [:]
        let keys = table.keys
        var occurrences: [String: Int] = [:]
        for key in keys { occurrences[key, default: 0] += 1 }
        for key in keys {
            // TOMLKit hands keys over as C strings: a key with an escaped NUL arrives truncated
            // and may collide with another key or not be found again.
            guard result[key] == nil, occurrences[key] == 1, let value = table[key] else {
                if result[key] == nil {
                    issues.append(ConfigIssue(path: join(path, key), message: "key contains a NUL character"))
                    result[key] = .table([:])
                }
                continue
            }
            result[key] = convert(value: value, path: join(path, key), issues: &issues)
        }
        return .table(result)
    }

    private static func convert(value: TOMLValueConvertible, path: String, issues: inout [ConfigIssue]) -> ConfigValue {
        switch value.type {
        case .table:
            guard let t = value.table else { return .table([:]) }
            return convert(table: t, path: path, issues: &issues)
        case .array:
            guard let array = value.array else { return .array([]) }
            var items: [ConfigValue] = []
            let count = array.count
            items.reserveCapacity(count)
            for i in 0..<count {
                items.append(convert(value: array[i], path: path + "[\(i)]", issues: &issues))
            }
            return .array(items)
        case .string:
            return .string(value.string ?? "")
        case .int:
            guard let i = integer(value) else {
                issues.append(ConfigIssue(path: path, message: "integer out of range"))
                return .integer(0)
            }
            return .integer(i)
        case .double:
            return .float(value.double ?? 0)
        case .bool:
            return .bool(value.bool ?? false)
        case .date:
            return .datetime(value.date?.debugDescription ?? "date")
        case .time:
            return .datetime(value.time?.debugDescription ?? "time")
        case .dateTime:
            return .datetime(value.dateTime?.debugDescription ?? "date-time")
        }
    }

    /// The 64-bit value of a TOML integer. TOMLKit's `.int` converts to `Int`, which traps on
    /// 32-bit targets (armv7) for values beyond 32 bits; there the value goes through text.
    static func integer(_ value: TOMLValueConvertible) -> Int64? {
        #if _pointerBitWidth(_64)
            return value.int.map(Int64.init)
        #else
            return integerViaText(value)
        #endif
    }

    /// Renders a single integer with toml++ and parses the decimal text back.
    static func integerViaText(_ value: TOMLValueConvertible) -> Int64? {
        let wrapper = TOMLTable()
        wrapper["v"] = value
        let text = wrapper.convert(to: .toml, options: [])
        guard let eq = text.firstIndex(of: "=") else { return nil }
        let digits = text[text.index(after: eq)...].filter { !$0.isWhitespace && $0 != "_" }
        return Int64(digits)
    }
}
