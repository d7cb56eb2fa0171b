import EdgeLedgerCore
import Testing

/// The TOML front end accepts the TOML 1.0 syntax and turns malformed documents into errors
/// with a line and column (never into a crash inside the parser).
@Suite struct TOMLSyntaxTests {
    @Test(arguments: [
        "",
        "\u{FEFF}a = 1",
        "# comment only\n\n",
        "a = 1 # trailing comment\r\nb = 2\r\n",
        "bare_key-1 = 1\n\"quoted key\" = 2\n'literal key' = 3\n\"\" = 4\na . b . c = 5\n",
        "s = \"tab\\there \\\"q\\\" \\u00e9 \\U0001F600 \\\\ \\b\\f\\n\\r\"",
        "s = 'C:\\Users\\no-escapes'",
        "s = \"\"\"\nRoses are red\n  Violets are \\\n     blue\"\"\"",
        "s = \"\"\"Here are two quotation marks: \"\". Simple.\"\"\"\nt = \"\"\"ends with quotes\"\"\"\"\"",
        "s = '''\nI [dw]on't need \\d{2} apples'''\nt = ''''That,' she said.'''",
        "i = [+99, 42, 0, -17, 1_000, 5_349_221, 0xDEADbeef, 0o755, 0b1101_0110, -0, +0]",
        "f = [+1.0, 3.1415, -0.01, 5e+22, 1e06, -2E-2, 6.626e-34, 224_617.445_991, inf, +inf, -inf, nan, -nan, 0.0, 0e0]",
        "b = [true, false]",
        "d = [1979-05-27T07:32:00Z, 1979-05-27T00:32:00-07:00, 1979-05-27T00:32:00.999999+07:00, 1979-05-27 07:32:00Z]",
        "d = [1979-05-27T07:32:00, 1979-05-27T00:32:00.999999, 1979-05-27, 07:32:00, 00:32:00.999999, 2024-02-29]",
        "a = [ [1, 2], [\"a\", 'b'], [ {x = 1}, {y = [1,\n 2,]} ] ]\n",
        "a = [\n  1, # one\n  2,\n]\n",
        "t = { x = 1, y = { z = \"w\" }, \"q k\" = [] }\nu = {}",
        "[table]\n[ table.sub ]\n[a.\"b.c\".'d']\n[[arr]]\n[[ arr ]]\nx=1",
        "x = 1\n[t]\ny = 2",
    ])
    func validDocumentsParse(toml: String) {
        #expect(throws: Never.self) { try ConfigLoader.document(toml: toml) }
    }

    @Test(arguments: [
        ("[+qtt.topics]", 1, 2),
        ("[[ {a]]", 1, 4),
        ("[\nx = 1", 1, 2),
        ("a = [\n } [1,2]]", 2, 2),
        ("d = 1979-05-27T\\07:32:00Z", 1, 5),
        ("a = 1 b = 2", 1, 7),
        ("a = \"unterminated", 1, 18),
        ("a = \"bad \\x escape\"", 1, 10),
        ("a = \"\\uD800\"", 1, 6),
        ("a = 01", 1, 5),
        ("a = 1__0", 1, 5),
        ("a = .5", 1, 5),
        ("a = 1.", 1, 5),
        ("a = 2023-02-29", 1, 5),
        ("a = 24:00:00", 1, 5),
        ("a = 07:32", 1, 5),
        ("a = { x = 1, }", 1, 14),
        ("a = { x = 1\n }", 1, 12),
        ("a = [1 2]", 1, 8),
        ("a = \"\"\"x\"\"\"\"\"\"", 1, 9),
        ("a = truee", 1, 5),
        ("a = 1\rb = 2", 1, 6),
        ("a = 1 # bell \u{7}", 1, 14),
        ("a\u{2028} = 1", 1, 2),
        ("a = \u{2028}1", 1, 5),
        ("\"\"\"k\"\"\" = 1", 1, 1),
    ])
    func malformedDocumentsNameLineAndColumn(toml: String, line: Int, column: Int) {
        do {
            _ = try ConfigLoader.document(toml: toml)
            Issue.record("accepted \(toml)")
        } catch {
            #expect(error.issues.count == 1)
            #expect(error.issues.first?.line == line, "\(error)")
            #expect(error.issues.first?.column == column, "\(error)")
            #expect(error.issues.first?.message.hasPrefix("TOML syntax error: ") == true)
        }
    }

    @Test func semanticErrorsComeFromTheParser() {
        for toml in ["a = 1\na = 2", "[t]\n[t]", "a = 1\n[a]", "[[t]]\n[t]"] {
            #expect(throws: ConfigError.self) { try ConfigLoader.document(toml: toml) }
        }
    }

    @Test func documentTree() throws {
        let value = try ConfigLoader.document(
            toml: "a = 1\nb = [\"x\", 2.5, true]\n[t]\nc = { d = 1979-05-27 }\n[[u]]\n[[u]]\ne = -9223372036854775808")
        #expect(
            value
                == .table([
                    "a": .integer(1),
                    "b": .array([.string("x"), .float(2.5), .bool(true)]),
                    "t": .table(["c": .table(["d": .datetime("1979-05-27")])]),
                    "u": .array([.table([:]), .table(["e": .integer(Int64.min)])]),
                ]))
    }
}
