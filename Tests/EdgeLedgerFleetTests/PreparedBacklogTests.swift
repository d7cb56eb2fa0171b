import EdgeLedgerCore
import EdgeLedgerHTTP
import Testing

@testable import EdgeLedgerFleet

/// `--prepare-backlog`: what the simulator makes before the run must be exactly what it would
/// make while running, or the bench would measure another workload.
@Suite("Fleet simulator: the backlog's work made before the run")
struct PreparedBacklogTests {
    @Test("prepared bundles are served as made on demand; partial bundles are still made")
    func bundles() throws {
        let gateway = try SimulatedGateway(number: 3, rate: 10, epoch: 0)
        _ = try gateway.seal(upTo: 700)
        gateway.prepareBundles(upTo: 700)
        #expect(gateway.state.withLock { $0.bundles.count } == 2)
        for (index, width) in [(0 as UInt64, 256), (1, 256), (2, 188)] {
            let served = gateway.tile(.entryBundle(index: index, width: width))
            #expect(served == gateway.bundle(index: index, width: width), "bundle \(index)")
        }
        // A prepared bundle is never served beyond the published checkpoint.
        #expect(gateway.tile(.entryBundle(index: 3, width: 256)) == nil)
    }

    @Test("prepared requests are the requests made on demand, each taken once, and sealing waits for the cosignature")
    func requests() throws {
        let gateway = try SimulatedGateway(number: 5, rate: 10, epoch: 0)
        let size: UInt64 = 20_000  // 3 requests: 8,192 + 8,192 + 3,616 entries
        _ = try gateway.seal(upTo: size)
        let pusher = try FleetMirrorPusher(
            urls: [], token: nil, connections: 1, acknowledgements: SigningLog(path: nil))
        #expect(try pusher.prepare(gateway) == 3)
        // Held: the checkpoint the requests were made for stays the latest.
        #expect(try gateway.seal(upTo: size + 10) == nil)
        #expect(gateway.size == size)

        var start: UInt64 = 0
        while start < size {
            let prepared = try pusher.request(gateway, start: start, size: size)
            let made = try FleetMirrorPusher.make(gateway, start: start, size: size)
            #expect(prepared.end == made.end)
            #expect(prepared.gzip && made.gzip)
            let body = Gzip.decompress(prepared.body, limit: 16 << 20)
            #expect(body != nil)
            #expect(body == Gzip.decompress(made.body, limit: 16 << 20), "request from \(start)")
            start = prepared.end
        }
        #expect(start == size)
        #expect(pusher.preparedCount(origin: gateway.origin) == 0)

        gateway.mirrorCosigned(size)
        #expect(try gateway.seal(upTo: size + 10)?.size == size + 10)
    }

    @Test("a request for another checkpoint or start is made on demand and leaves the prepared ones")
    func otherRequests() throws {
        let gateway = try SimulatedGateway(number: 6, rate: 10, epoch: 0)
        _ = try gateway.seal(upTo: 9_000)
        let pusher = try FleetMirrorPusher(
            urls: [], token: nil, connections: 1, acknowledgements: SigningLog(path: nil))
        #expect(try pusher.prepare(gateway) == 2)
        // A 409 may move the next entry inside a request: made on demand from there.
        let fromInside = try pusher.request(gateway, start: 100, size: 9_000)
        #expect(fromInside.start == 100)
        #expect(fromInside.end == 8_192)
        #expect(pusher.preparedCount(origin: gateway.origin) == 2)
        _ = try pusher.request(gateway, start: 0, size: 9_000)
        #expect(pusher.preparedCount(origin: gateway.origin) == 1)
    }
}
