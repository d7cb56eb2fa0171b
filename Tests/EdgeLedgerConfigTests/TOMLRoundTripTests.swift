import EdgeLedgerCore
import PropertyBased
import Testing

/// Documents written out again (``TOMLWriter``) parse back to the same tree, and arbitrary
/// input gives a tree or one positioned error, never a crash.
@Suite struct TOMLRoundTripTests {
    private static let shippedConfigs = ["edge-ledger.toml", "dev.toml", "upstream.toml"]

    @Test(arguments: shippedConfigs, TOMLWriter.Style.allCases)
    func shippedConfigsRoundTrip(name: String, style: TOMLWriter.Style) throws {
        let text = try ConfigFixture.readText(ConfigFixture.repositoryRoot + "/Configs/" + name)
        let document = try ConfigLoader.document(toml: text)
        guard case .table(let members) = document else {
            Issue.record("\(name) is not a table")
            return
        }
        #expect(members.count >= 3, "\(name) has only \(members.keys.sorted())")
        let written = TOMLWriter.document(document, style: style)
        #expect(try ConfigLoader.document(toml: written) == document, "\(written)")
    }

    @Test func randomTreesRoundTrip() async {
        await propertyCheck(count: 400, input: Gen.uint64(), Gen.bool.map { $0 ? TOMLWriter.Style.inline : .sections })
        { seed, style in
            var rng = RobustnessTests.Generator(state: seed)
            let tree = RandomTOML.awkward.table(depth: 0, using: &rng)
            let written = TOMLWriter.document(tree, style: style)
            do {
                let reparsed = try ConfigLoader.document(toml: written)
                #expect(reparsed == tree, "\(written)")
            } catch {
                Issue.record("\(error) in\n\(written)")
            }
        }
    }

    @Test func arbitraryBytesGiveATreeOrOnePositionedError() async {
        await propertyCheck(count: 3000, input: Gen.uint8().array(of: 0...120)) { bytes in
            Self.checkParses(String(decoding: bytes, as: UTF8.self))
        }
    }

    /// Random sequences of TOML tokens reach far deeper into the parser than random bytes;
    /// whatever parses must also survive a round trip.
    @Test func arbitraryTokenSequencesGiveATreeOrOnePositionedError() async {
        await propertyCheck(count: 4000, input: Gen.int(in: 0..<Self.tokens.count).array(of: 0...24)) { parts in
            Self.checkParses(parts.map { Self.tokens[$0] }.joined())
        }
    }

    private static let tokens = [
        "[", "]", "[[", "]]", "{", "}", "=", " = ", ",", ".", "\n", "\r\n", "\r", " ", "\t", "#", "# c\n", "\"",
        "\"\"\"", "'", "'''", "\\", "\\n", "\\u00e9", "\\U0001F600", "\\x", "a", "b", "a.b", "\"q k\"", "1", "0",
        "-", "+", "_", "0x1F", "0o7", "0b1", "1.5", "e", "1e3", "inf", "nan", "true", "false", "1979-05-27",
        "T", "07:32:00", "Z", "+07:00", ":", "é", "\u{0}", "\u{7F}", "\u{FEFF}", "a = 1\n", "[t]\n", "[[u]]\n",
        "x = [1, 2]\n", "y = { z = 1 }\n",
    ]

    /// Either a document that survives a round trip, or exactly one issue positioned inside
    /// the text.
    private static func checkParses(_ text: String) {
        do {
            let document = try ConfigLoader.document(toml: text)
            guard !document.containsNaN else { return }
            for style in TOMLWriter.Style.allCases {
                let written = TOMLWriter.document(document, style: style)
                let reparsed = try? ConfigLoader.document(toml: written)
                #expect(reparsed == document, "\(text.debugDescription) → \(written.debugDescription)")
            }
        } catch {
            #expect(error.issues.count == 1)
            let lines = text.utf8.count { $0 == UInt8(ascii: "\n") } + 1
            if let issue = error.issues.first, let line = issue.line, let column = issue.column {
                #expect((1...lines).contains(line), "\(issue) in \(text.debugDescription)")
                #expect(column >= 1 && column <= text.unicodeScalars.count + 1, "\(issue) in \(text.debugDescription)")
            } else {
                Issue.record("no position: \(error) in \(text.debugDescription)")
            }
        }
    }
}

extension ConfigValue {
    /// NaN is not equal to itself: such trees cannot be compared after a round trip.
    fileprivate var containsNaN: Bool {
        switch self {
        case .float(let d): d.isNaN
        case .table(let members): members.values.contains { $0.containsNaN }
        case .array(let items): items.contains { $0.containsNaN }
        default: false
        }
    }
}
