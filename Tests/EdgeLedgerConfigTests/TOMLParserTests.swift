import EdgeLedgerCore
import Testing

/// The values the TOML parser produces, and the TOML 1.0 rules on defining keys and tables
/// (in the style of toml-test's valid and invalid cases).
@Suite struct TOMLParserTests {
    private func value(_ toml: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> ConfigValue? {
        guard case .table(let members) = try ConfigLoader.document(toml: toml) else {
            Issue.record("the document is not a table", sourceLocation: sourceLocation)
            return nil
        }
        return members["v"]
    }

    @Test(arguments: [
        (#"v = "tab\there \"q\" \\ \b\f\n\r""#, "tab\there \"q\" \\ \u{8}\u{C}\n\r"),
        (#"v = "\u00e9 \U0001F600 \u0000""#, "é 😀 \u{0}"),
        (#"v = 'C:\Users\no-escapes'"#, #"C:\Users\no-escapes"#),
        ("v = \"\"\"\nRoses are red\nViolets are blue\"\"\"", "Roses are red\nViolets are blue"),
        ("v = \"\"\"\r\nwindows\r\nlines\"\"\"", "windows\nlines"),
        ("v = \"\"\"\nThe quick \\\n\n   brown \\   \n  fox.\"\"\"", "The quick brown fox."),
        ("v = \"\"\"ends with quotes\"\"\"\"\"", "ends with quotes\"\""),
        ("v = \"\"\"Two quotes: \"\". Simple.\"\"\"", "Two quotes: \"\". Simple."),
        ("v = '''\nI [dw]on't need \\d{2} apples'''", "I [dw]on't need \\d{2} apples"),
        ("v = ''''That,' she said.'''", "'That,' she said."),
        ("v = ''''''", ""),
        ("v = \"\"", ""),
        ("v = \"ünï \u{1F600} çødé\"", "ünï \u{1F600} çødé"),
    ])
    func strings(toml: String, expected: String) throws {
        #expect(try value(toml) == .string(expected))
    }

    @Test(arguments: [
        ("v = 0", Int64(0)), ("v = +99", 99), ("v = -17", -17), ("v = -0", 0), ("v = 1_000", 1000),
        ("v = 5_349_221", 5_349_221), ("v = 0xDEADbeef", 0xDEAD_BEEF), ("v = 0xdead_beef", 0xDEAD_BEEF),
        ("v = 0o755", 0o755), ("v = 0b1101_0110", 0b1101_0110), ("v = 0x0", 0),
        ("v = 9223372036854775807", Int64.max), ("v = -9223372036854775808", Int64.min),
        ("v = 0x7FFF_FFFF_FFFF_FFFF", Int64.max), ("v = 0o777777777777777777777", Int64.max),
    ])
    func integers(toml: String, expected: Int64) throws {
        #expect(try value(toml) == .integer(expected))
    }

    @Test(arguments: [
        "v = 9223372036854775808", "v = -9223372036854775809", "v = 0x8000000000000000",
        "v = 0b"
            + String(
                repeating: "1", count: 64), "v = 99999999999999999999999999",
    ])
    func integersBeyond64BitsAreRefusedWithThePath(toml: String) {
        #expect(
            ConfigFixture.documentIssues(toml) == ["line 1, column 5: v: integer out of range (64-bit signed)"])
    }

    @Test(arguments: [
        ("v = +1.0", 1.0), ("v = 3.1415", 3.1415), ("v = -0.01", -0.01), ("v = 5e+22", 5e22), ("v = 1e06", 1e6),
        ("v = -2E-2", -0.02), ("v = 6.626e-34", 6.626e-34), ("v = 224_617.445_991", 224_617.445_991),
        ("v = 0.0", 0.0), ("v = 0e0", 0.0), ("v = inf", Double.infinity), ("v = +inf", Double.infinity),
        ("v = -inf", -Double.infinity), ("v = 1e400", Double.infinity),
    ])
    func floats(toml: String, expected: Double) throws {
        #expect(try value(toml) == .float(expected))
    }

    @Test func notANumber() throws {
        for toml in ["v = nan", "v = +nan", "v = -nan"] {
            guard case .float(let d) = try value(toml) else {
                Issue.record("\(toml) is not a float")
                continue
            }
            #expect(d.isNaN)
        }
        #expect(try value("v = -0.0") == .float(-0.0))
        guard case .float(let negativeZero) = try value("v = -0.0") else { return }
        #expect(negativeZero.sign == .minus)
    }

    @Test(arguments: [
        "1979-05-27T07:32:00Z", "1979-05-27T00:32:00-07:00", "1979-05-27T00:32:00.999999+07:00",
        "1979-05-27 07:32:00Z", "1979-05-27t07:32:00z", "1979-05-27T07:32:00", "1979-05-27T00:32:00.999999",
        "1979-05-27", "07:32:00", "00:32:00.999999", "2024-02-29",
    ])
    func datesAndTimesKeepTheirText(text: String) throws {
        #expect(try value("v = " + text) == .datetime(text))
    }

    @Test func booleansAndArrays() throws {
        #expect(try value("v = true") == .bool(true))
        #expect(try value("v = false") == .bool(false))
        #expect(
            try value("v = [ 1, 'a', [2.5, [] ], { x = 1 }, true, ]")
                == .array([
                    .integer(1), .string("a"), .array([.float(2.5), .array([])]), .table(["x": .integer(1)]),
                    .bool(true),
                ]))
        #expect(try value("v = [\n  1, # one\n\n  2 # two\n]") == .array([.integer(1), .integer(2)]))
    }

    @Test func keysDottedQuotedAndBare() throws {
        let document = try ConfigLoader.document(
            toml: """
                a.b.c = 1
                a . "b" . d = 2
                "a.b" = 3
                'quoted "key"' = 4
                "" = 5
                1234 = 6
                "\\u00e9" = 7
                """)
        #expect(
            document
                == .table([
                    "a": .table(["b": .table(["c": .integer(1), "d": .integer(2)])]),
                    "a.b": .integer(3),
                    "quoted \"key\"": .integer(4),
                    "": .integer(5),
                    "1234": .integer(6),
                    "é": .integer(7),
                ]))
    }

    @Test func tablesAndArraysOfTables() throws {
        let document = try ConfigLoader.document(
            toml: """
                [fruit]
                apple.color = "red"
                apple.taste.sweet = true

                [fruit.apple.texture]
                smooth = true

                [x.y.z]
                [x]
                w = 1

                [[fruits]]
                name = "apple"
                [fruits.physical]
                color = "red"
                [[fruits.varieties]]
                name = "red delicious"
                [[fruits.varieties]]
                name = "granny smith"
                [[fruits]]
                name = "banana"
                [[fruits.varieties]]
                name = "plantain"

                [inline]
                point = { x = 1, y.z = 2, y.w = { q = [] } }
                """)
        #expect(
            document
                == .table([
                    "fruit": .table([
                        "apple": .table([
                            "color": .string("red"), "taste": .table(["sweet": .bool(true)]),
                            "texture": .table(["smooth": .bool(true)]),
                        ])
                    ]),
                    "x": .table(["y": .table(["z": .table([:])]), "w": .integer(1)]),
                    "fruits": .array([
                        .table([
                            "name": .string("apple"), "physical": .table(["color": .string("red")]),
                            "varieties": .array([
                                .table(["name": .string("red delicious")]), .table(["name": .string("granny smith")]),
                            ]),
                        ]),
                        .table([
                            "name": .string("banana"), "varieties": .array([.table(["name": .string("plantain")])]),
                        ]),
                    ]),
                    "inline": .table([
                        "point": .table([
                            "x": .integer(1), "y": .table(["z": .integer(2), "w": .table(["q": .array([])])]),
                        ])
                    ]),
                ]))
    }

    /// Keys and tables defined in ways TOML 1.0 forbids: the line and column of the offending
    /// key or header, its path, and where it was first defined.
    @Test(arguments: [
        ("a = 1\na = 2", "line 2, column 1: a: defined twice (first on line 1)"),
        ("a = 1\n\"a\" = 2", "line 2, column 1: a: defined twice (first on line 1)"),
        ("\"a b\" = 1\n'a b' = 2", "line 2, column 1: \"a b\": defined twice (first on line 1)"),
        ("a = {b = 1, b = 2}", "line 1, column 13: a.b: defined twice (first on line 1)"),
        ("[[a]]\n[[a]]\nb = 1\n  b = 2", "line 4, column 3: a[1].b: defined twice (first on line 3)"),
        ("a.b = 1\na.b.c = 2", "line 2, column 1: a.b: is an integer (line 1), not a table"),
        ("[t]\n[t]", "line 2, column 1: t: table [t] defined twice (first on line 1)"),
        ("[t.u]\n[t]\n[t]", "line 3, column 1: t: table [t] defined twice (first on line 2)"),
        ("a = 1\n[a]", "line 2, column 1: a: is an integer (line 1), not a table"),
        ("a = 'x'\n[a.b]", "line 2, column 1: a: is a string (line 1), not a table"),
        ("[[t]]\n[t]", "line 2, column 1: t: is an array of tables (line 1); [[t]] adds an element to it"),
        ("[t]\n[[t]]", "line 2, column 1: t: is a table (line 1), not an array of tables"),
        ("a = [1]\n[[a]]", "line 2, column 1: a: is a static array (line 1); [[a]] cannot add to it"),
        ("a = []\n[a.b]", "line 2, column 1: a: is an array (line 1), not a table"),
        ("a = {b = 1}\na.c = 2", "line 2, column 1: a: is an inline table (line 1); it cannot be extended"),
        ("a = {b = 1}\n[a.c]", "line 2, column 1: a: is an inline table (line 1); it cannot be extended"),
        ("a = {b = 1}\n[a]", "line 2, column 1: a: is an inline table (line 1); it cannot be extended"),
        ("a = {b = {c = 1}, b.d = 2}", "line 1, column 19: a.b: is an inline table (line 1); it cannot be extended"),
        ("[a]\nb.c = 1\n[a.b]", "line 3, column 1: a.b: table [a.b] was already defined by dotted keys on line 2"),
        (
            "[a.b.c]\nz = 9\n[a]\nb.c.t = 1",
            "line 4, column 1: a.b.c: table [a.b.c] was defined by a header on line 1; dotted keys cannot add to it"
        ),
        ("[[a]]\nb = 1\n[a]", "line 3, column 1: a: is an array of tables (line 1); [[a]] adds an element to it"),
        ("[[a.b]]\n[a]\nb = 1", "line 3, column 1: a.b: defined twice (first on line 1)"),
        ("s = \"\"\"\na\nb\"\"\"\nk = 1\nk = 2", "line 5, column 1: k: defined twice (first on line 4)"),
        ("a = [\r\n1, # c\r\n]\r\nb = 1\r\nb = 2", "line 5, column 1: b: defined twice (first on line 4)"),
        ("s = \"\"\"x\\\n\n  y\"\"\"\n[t]\n[t]", "line 5, column 1: t: table [t] defined twice (first on line 4)"),
    ])
    func redefinitionsNameKeyLineAndFirstDefinition(toml: String, expected: String) {
        #expect(ConfigFixture.documentIssues(toml) == [expected])
    }

    @Test func syntaxErrorsInLaterLinesCountLinesOfMultiLineValues() {
        let toml = "s = \"\"\"\none\ntwo\"\"\"\na = [\n 1,\n 2,\n]\nb = '''\n'''\nc = @"
        #expect(ConfigFixture.documentIssues(toml).first?.hasPrefix("line 10, column 5: TOML syntax error: ") == true)
        #expect(ConfigFixture.documentIssues("a = 1\na = \u{0}").first?.hasPrefix("line 2, column 5: ") == true)
        #expect(
            ConfigFixture.documentIssues("a = 'x\u{0}'")
                == ["line 1, column 7: TOML syntax error: control character U+0000 in a string"])
    }
}
