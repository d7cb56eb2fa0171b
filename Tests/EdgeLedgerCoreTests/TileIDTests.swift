import EdgeLedgerCore
import PropertyBased
import Testing

@Suite("TileID and tile paths")
struct TileIDTests {
    @Test(arguments: [
        (TileID(level: 0, index: 0), "tile/0/000"),
        (TileID(level: 0, index: 256), "tile/0/256"),
        (TileID(level: 0, index: 1_234_067), "tile/0/x001/x234/067"),
        (TileID(level: 1, index: 0, width: 17), "tile/1/000.p/17"),
        (TileID(level: 3, index: 1_000, width: 1), "tile/3/x001/000.p/1"),
        (TileID(level: 0, index: 999, width: 255), "tile/0/999.p/255"),
        (TileID(level: 7, index: 0, width: 255), "tile/7/000.p/255"),
        (TileID(level: 0, index: 72_057_594_037_927_935, width: 255), "tile/0/x072/x057/x594/x037/x927/935.p/255"),
        (TileID.entryBundle(index: 0), "tile/entries/000"),
        (TileID.entryBundle(index: 1_000_000, width: 5), "tile/entries/x001/x000/000.p/5"),
    ])
    func pathsFormatAndParse(id: TileID, path: String) throws {
        #expect(id.path == path)
        #expect(id.description == path)
        #expect(try TileID(parsingPath: path) == id)
        #expect(try TileID(parsingPath: path[...]) == id)  // any StringProtocol
    }

    @Test(arguments: [
        ("", "must start with \"tile/\""),
        ("/tile/0/000", "must start with \"tile/\""),
        ("x/tile/0/000", "must start with \"tile/\""),
        ("tiles/0/000", "must start with \"tile/\""),
        ("Tile/0/000", "must start with \"tile/\""),
        ("tile", "no tile index"),
        ("tile/0", "no tile index"),
        ("tile/0/", "empty element"),
        ("tile/0/000/", "empty element"),
        ("tile//000", "empty element"),
        ("tile/0//000", "empty element"),
        ("tile/00/000", "leading zero"),
        ("tile/01/000", "leading zero"),
        ("tile/64/000", "above the maximum 63"),
        ("tile/100/000", "above the maximum 63"),
        ("tile/8/000.p/1", "level 8 cannot occur"),
        ("tile/63/000", "level 63 cannot occur"),
        ("tile/-1/000", "neither \"entries\" nor a decimal"),
        ("tile/data/000", "neither \"entries\" nor a decimal"),
        ("tile/entry/000", "neither \"entries\" nor a decimal"),
        ("tile/ 0/000", "neither \"entries\" nor a decimal"),
        ("tile/0/00", "exactly 3 digits"),
        ("tile/0/0000", "exactly 3 digits"),
        ("tile/0/0a1", "exactly 3 digits"),
        ("tile/0/1", "exactly 3 digits"),
        ("tile/0/+12", "exactly 3 digits"),
        ("tile/0/x067", "without an x prefix"),
        ("tile/0/001/234", "must be x followed by 3 digits"),
        ("tile/0/X001/234", "must be x followed by 3 digits"),
        ("tile/0/x01/234", "must be x followed by 3 digits"),
        ("tile/0/x0001/234", "must be x followed by 3 digits"),
        ("tile/0/xabc/234", "must be x followed by 3 digits"),
        ("tile/0/x000/001", "zero group"),
        ("tile/0/x000/x001/234", "zero group"),
        ("tile/0/x018/x446/x744/x073/x709/x551/616", "does not fit in 64 bits"),
        ("tile/0/x999/x999/x999/x999/x999/x999/x999/999", "does not fit in 64 bits"),
        ("tile/0/x072/x057/x594/x037/x927/936", "beyond the largest possible tree"),
        ("tile/7/001", "beyond the largest possible tree"),
        ("tile/7/000", "beyond the largest possible tree"),
        ("tile/1/000.p/0", "width 0 is invalid"),
        ("tile/1/000.p/256", "full tile"),
        ("tile/1/000.p/300", "above 255"),
        ("tile/1/000.p/9999999999999999999999", "above 255"),
        ("tile/1/000.p/017", "leading zero"),
        ("tile/1/000.p/00", "leading zero"),
        ("tile/1/000.p/1x", "not a decimal"),
        ("tile/1/000.p/", "empty element"),
        ("tile/1/000.p", "misplaced or malformed"),
        ("tile/1/000.P/5", "misplaced or malformed"),
        ("tile/1/000.p/5/6", "misplaced or malformed"),
        ("tile/1/000.p.p/5", "misplaced or malformed"),
        ("tile/1/x001.p/2", "without an x prefix"),
        ("tile/1/000?x=1", "exactly 3 digits"),
        ("tile/0/000 ", "exactly 3 digits"),
        ("tile/0/０００", "exactly 3 digits"),
        ("tile/entries/000.p/0", "width 0 is invalid"),
        ("tile/entries/001/002", "must be x followed by 3 digits"),
    ])
    func invalidPathsAreRejected(path: String, reason: String) {
        let error = #expect(throws: TilePathError.self) { try TileID(parsingPath: path) }
        #expect(error?.message.contains(reason) == true, "\(path): \(error?.message ?? "accepted")")
        #expect(error?.description.contains("tile/<L>/<N>") == true)
    }

    @Test func overlongInputIsRejectedCheaply() {
        let path = "tile/0/" + String(repeating: "x001/", count: 10_000) + "000"
        let error = #expect(throws: TilePathError.self) { try TileID(parsingPath: path) }
        #expect(error?.message.contains("bytes long") == true)
        #expect((error?.path.count ?? 0) <= 200)
    }

    /// Random text never crashes the parser, and whatever it accepts is the canonical path.
    @Test func parserIsTotalAndCanonical() async {
        let alphabet: [Character] = ["t", "i", "l", "e", "/", "0", "1", "2", "5", "6", "9", "x", ".", "p", "n", "s"]
        let pieces = ["tile/", "0/", "1/", "entries/", "x001/", "000", "255", ".p/", "256", "7/"]
        let charGen = Gen.int(in: 0...(alphabet.count - 1)).array(of: 0...40)
        let pieceGen = Gen.int(in: 0...(pieces.count - 1)).array(of: 0...8)
        await propertyCheck(count: 400, input: charGen, pieceGen) { (charPicks: [Int], piecePicks: [Int]) in
            let chars = charPicks.map { alphabet[$0] }
            let joined: String = piecePicks.map { pieces[$0] }.joined()
            let candidates: [String] = [String(chars), joined, joined + String(chars)]
            for text in candidates {
                if let id = try? TileID(parsingPath: text) {
                    #expect(id.path == text)
                }
            }
        }
    }

    @Test func randomIDsRoundTrip() async {
        await propertyCheck(
            count: 300, input: Gen.int(in: -1...7), Gen.uint64(in: 0...UInt64.max), Gen.int(in: 1...256)
        ) { level, rawIndex, width in
            let shift = UInt64(8 * (max(level, 0) + 1))
            let index = (rawIndex >> shift) >> 1  // keep it representable at this level
            guard TileID.isValid(level: level, index: index, width: width) else { return }
            let id = TileID(level: level, index: index, width: width)
            #expect((try? TileID(parsingPath: id.path)) == id)
        }
    }

    @Test func validityBounds() {
        #expect(TileID.isValid(level: 0, index: 0, width: 1))
        #expect(!TileID.isValid(level: 0, index: 0, width: 0))
        #expect(!TileID.isValid(level: 0, index: 0, width: 257))
        #expect(!TileID.isValid(level: -2, index: 0, width: 1))
        #expect(!TileID.isValid(level: 8, index: 0, width: 1))
        #expect(TileID.isValid(level: 7, index: 0, width: 255))
        #expect(!TileID.isValid(level: 7, index: 0, width: 256))
        #expect(TileID.isValid(level: 0, index: UInt64.max >> 8, width: 255))
        #expect(!TileID.isValid(level: 0, index: UInt64.max >> 8, width: 256))
        #expect(!TileID.isValid(level: 0, index: .max, width: 1))
    }

    @Test func ordering() {
        let ids = [
            TileID(level: 1, index: 0, width: 3), TileID(level: 0, index: 2), TileID.entryBundle(index: 9),
            TileID(level: 0, index: 2, width: 5), TileID(level: 0, index: 1),
        ]
        #expect(
            ids.sorted() == [
                TileID.entryBundle(index: 9), TileID(level: 0, index: 1), TileID(level: 0, index: 2, width: 5),
                TileID(level: 0, index: 2), TileID(level: 1, index: 0, width: 3),
            ])
    }

    @Test func propertiesOfAnID() {
        let t = TileID(level: 2, index: 3, width: 10)
        #expect(t.isPartial && !t.isEntryBundle)
        #expect(t.treeLevel == 16)
        #expect(t.hashRange == 768..<778)
        #expect(TileID.entryBundle(index: 2).isEntryBundle)
        #expect(TileID.entryBundle(index: 2).hashRange == 512..<768)
        #expect(TileID(level: 1, index: 0, width: 1).isContained(inTreeOfSize: 256))
        #expect(!TileID(level: 1, index: 0, width: 2).isContained(inTreeOfSize: 511))
        #expect(TileID(level: 1, index: 0, width: 2).isContained(inTreeOfSize: 512))
        #expect(TileID(level: 0, index: 0, width: 5).isContained(inTreeOfSize: 700))
        #expect(!TileID(level: 0, index: 2).isContained(inTreeOfSize: 700))
        #expect(TileID(level: 7, index: 0, width: 1).isContained(inTreeOfSize: .max))
        #expect(!TileID(level: 7, index: 0, width: 1).isContained(inTreeOfSize: 1 << 56 - 1))
    }

    // MARK: Tiles of a tree

    @Test func tilesOfTheSpecExamples() {
        #expect(TileID.tiles(forTreeSize: 0).isEmpty)
        #expect(TileID.tiles(forTreeSize: 1) == [TileID(level: 0, index: 0, width: 1)])
        // "a tree of size 256 will be represented by a full level 0 tile and a partial level 1 tile of width 1"
        #expect(TileID.tiles(forTreeSize: 256) == [TileID(level: 0, index: 0), TileID(level: 1, index: 0, width: 1)])
        // "a tree of size 70,000 will be represented by 273 full level 0 tiles, one partial level 0 tile of
        // width 112, one full level 1 tile, one partial level 1 tile of width 17, and one partial level 2
        // tile of width 1"
        let tiles = TileID.tiles(forTreeSize: 70_000)
        #expect(tiles.filter { $0.level == 0 && !$0.isPartial }.count == 273)
        #expect(tiles.filter { $0.level == 0 && $0.isPartial } == [TileID(level: 0, index: 273, width: 112)])
        #expect(tiles.filter { $0.level == 1 } == [TileID(level: 1, index: 0), TileID(level: 1, index: 1, width: 17)])
        #expect(tiles.filter { $0.level == 2 } == [TileID(level: 2, index: 0, width: 1)])
        #expect(tiles.count == 273 + 1 + 2 + 1)
        #expect(tiles == tiles.sorted())
        #expect(tiles.allSatisfy { $0.isContained(inTreeOfSize: 70_000) })
    }

    @Test func tilesFromToAreTheChangedOnes() {
        #expect(TileID.tiles(from: 10, to: 10).isEmpty)
        #expect(TileID.tiles(from: 10, to: 11) == [TileID(level: 0, index: 0, width: 11)])
        #expect(
            TileID.tiles(from: 255, to: 257) == [
                TileID(level: 0, index: 0), TileID(level: 0, index: 1, width: 1), TileID(level: 1, index: 0, width: 1),
            ])
        for (old, new) in [(0, 1), (1, 1000), (255, 256), (256, 512), (65_535, 65_536), (65_536, 200_000)] {
            let changed = Set(TileID.tiles(from: UInt64(old), to: UInt64(new)))
            let before = Set(TileID.tiles(forTreeSize: UInt64(old)))
            let after = Set(TileID.tiles(forTreeSize: UInt64(new)))
            #expect(changed == after.subtracting(before), "\(old) → \(new)")
        }
        let top = TileID.tiles(from: .max - 1, to: .max)
        #expect(top.map(\.level) == [0])
        #expect(top.first?.width == 255)
    }

    @Test func entryBundlesOfATree() {
        #expect(TileID.entryBundles(forTreeSize: 0).isEmpty)
        #expect(
            TileID.entryBundles(forTreeSize: 600) == [
                .entryBundle(index: 0), .entryBundle(index: 1), .entryBundle(index: 2, width: 88),
            ])
        #expect(TileID.entryBundles(forTreeSize: 512).count == 2)
    }
}
