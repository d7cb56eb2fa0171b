import EdgeLedgerCore
import Testing

@testable import EdgeLedgerFleet

@Suite("Fleet simulator: the entries it serves")
struct SimulatedGatewayTests {
    /// Entry `index` of `gateway` as the entry format encodes it: what the written-in-place
    /// bytes must equal.
    static func reference(_ gateway: SimulatedGateway, _ index: UInt64) throws -> [UInt8] {
        let tenths = Int((index &* 2_654_435_761 &+ UInt64(gateway.number)) % 400) - 100
        let payload = "{\"sensor\":\(index % 8),\"celsius\":\(tenths / 10).\(abs(tenths % 10)),\"seq\":\(index)}"
        return try Entry(
            index: index, receivedAt: gateway.epoch &+ Int64(index) &* gateway.interval, qos: 1, retain: false,
            topic: String(decoding: gateway.topicBytes, as: UTF8.self), payload: Array(payload.utf8)
        ).encode()
    }

    @Test("every entry is the format-v1 encoding of its reading, carrying its own index")
    func entries() throws {
        for number in [0, 7, 1100] {
            let gateway = try SimulatedGateway(number: number, rate: 10, epoch: 1_733_500_000_000_000_000)
            // Negative and positive temperatures, one digit and many, and a large index.
            for index: UInt64 in Array(0..<600) + [65_535, 1_000_000, 4_294_967_297, UInt64(Int64.max) / 1_000] {
                let bytes = gateway.entry(at: index)
                #expect(bytes == (try Self.reference(gateway, index)), "gateway \(number), entry \(index)")
                let decoded = try Entry(decoding: bytes)
                #expect(decoded.index == index)
                #expect(decoded.qos == 1)
            }
        }
    }

    @Test("a bundle is its entries, each after its big-endian u16 length")
    func bundles() throws {
        let gateway = try SimulatedGateway(number: 42, rate: 100, epoch: 0)
        for (index, width) in [(0 as UInt64, 256), (3, 17)] {
            var expected: [UInt8] = []
            for i in index * 256..<index * 256 + UInt64(width) {
                let entry = try Self.reference(gateway, i)
                expected.appendBigEndian(UInt16(entry.count))
                expected += entry
            }
            #expect(gateway.bundle(index: index, width: width) == expected)
        }
    }
}
