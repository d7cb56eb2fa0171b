import EdgeLedgerCore

/// Random document trees over a vocabulary of keys and values.
struct RandomTOML {
    var keys: [String]
    var strings: [String]
    var integers: [Int64]
    var floats: [Double]
    var datetimes: [String]
    /// Most members of the top-level table; nested tables get half as many.
    var breadth = 8

    /// Awkward keys and values (quotes, escapes, control characters, dots, empty keys, extreme
    /// numbers), for round trips through ``TOMLWriter``. No NaN: it is not equal to itself.
    static let awkward = RandomTOML(
        keys: awkwardKeys, strings: awkwardStrings, integers: awkwardIntegers, floats: awkwardFloats,
        datetimes: awkwardDatetimes)

    private static let awkwardKeys = [
        "a", "b", "key", "bare_key-1", "1234", "", " ", "a.b", "quoted \"key\"", "back\\slash", "tab\there",
        "é", "日本", "😀", "new\nline", "nul\u{0}", "-", "_", "true", "inf", "'single'",
    ]
    private static let awkwardStrings = [
        "", "x", "hello world", "a'b", "\"quoted\"", "back\\slash", "\\n is not a new line", "line\nbreak",
        "\nleading new line", "trailing new line\n", "tab\tand\u{1}control\u{7F}", "\r\ncrlf", "'''", "\"\"\"",
        "ünï cødé 😀", "\u{0}", "C1 \u{85} control", "#not a comment", "[not] = 'a table'",
    ]
    private static let awkwardIntegers: [Int64] = [
        0, 1, -1, 42, 1883, Int64.max, Int64.min, -9_223_372_036_854_775_807, 1 << 40,
    ]
    private static let awkwardFloats: [Double] = [
        0.0, -0.0, 1.5, -2.25, 3.1415, 1e-7, 6.626e-34, 5e22, 1.7976931348623157e308, .leastNonzeroMagnitude, .infinity,
        -.infinity, 100.0,
    ]
    private static let awkwardDatetimes = [
        "1979-05-27T07:32:00Z", "1979-05-27T00:32:00.999999-07:00", "1979-05-27 07:32:00", "1979-05-27",
        "07:32:00", "23:59:59.123456789",
    ]

    func value(depth: Int, using rng: inout RobustnessTests.Generator) -> ConfigValue {
        switch Int.random(in: 0..<(depth > 3 ? 6 : 10), using: &rng) {
        case 0, 1: return .string(strings.randomElement(using: &rng)!)
        case 2: return .integer(integers.randomElement(using: &rng)!)
        case 3: return .float(floats.randomElement(using: &rng)!)
        case 4: return .bool(Bool.random(using: &rng))
        case 5: return .datetime(datetimes.randomElement(using: &rng)!)
        case 6, 7:
            let tablesOnly = Bool.random(using: &rng)
            return .array(
                (0..<Int.random(in: 0...3, using: &rng)).map { _ in
                    tablesOnly ? table(depth: depth + 1, using: &rng) : value(depth: depth + 1, using: &rng)
                })
        default: return table(depth: depth + 1, using: &rng)
        }
    }

    func table(depth: Int, using rng: inout RobustnessTests.Generator) -> ConfigValue {
        var members: [String: ConfigValue] = [:]
        for _ in 0..<Int.random(in: 0...(depth == 0 ? breadth : breadth / 2), using: &rng) {
            members[keys.randomElement(using: &rng)!] = value(depth: depth, using: &rng)
        }
        return .table(members)
    }
}
