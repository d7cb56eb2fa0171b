import AsyncHTTPClient
import EdgeLedgerCore
import EdgeLedgerStore
import EdgeLedgerTestSupport
import NIOCore
import Testing

@testable import EdgeLedgerGateway
@testable import EdgeLedgerHTTP
@testable import EdgeLedgerUpstream

@Suite("Push: several add-entries requests of one upload in flight")
struct MirrorWindowTests {
    @Test(
        "a request held behind one that is refused gets 409 at the next entry the mirror holds, and stores no gap",
        arguments: UpstreamEngine.allCases)
    func heldRequestBehindRefusedOne(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        let checkpoint = try gateway.grow(16_384)
        let m = try MirrorFixture(dir: dir, gateways: [gateway], engine: engine)
        let origin = gateway.origin
        try await withServer(m.router) { port in
            let client = MirrorClient(port: port)
            #expect(try await client.addCheckpoint(gateway, old: 0, note: checkpoint.note, size: 16_384).status == 200)
            // The first request's last package has a wrong proof; the second waits for its staging.
            var first = MirrorClient.body(gateway, start: 0, end: 16_384, packages: 32)
            first[first.count - 1] ^= 1
            let (a, b) = try await Self.interleaved(first, gateway, m, port: port)
            // The first one's 32 packages go together, are refused, then go one by one: 31 stored.
            #expect(a.status == 422)
            // The second one waited for entries up to 8192 that never came: it stores nothing
            // beyond the gap and says where the mirror stands.
            #expect(b.status == 409, "\(b.status) \(b.text)")
            #expect((b.mirrorInfo?.nextEntry ?? .max) <= 7936, "\(b.text)")
            try await MirrorTests.expectHolds(gateway, m, size: 7936, verified: 0)
            // The gateway resumes where the mirror stands.
            #expect(try await client.addEntries(gateway, start: 7936, end: 16_384).status == 200)
        }
        try await MirrorTests.expectHolds(gateway, m, size: 16_384)
        #expect(m.mirror.uploads.requests(origin: origin) == (0, 0))
    }

    @Test(
        "a request beyond the next entry waits while an earlier one of the origin is in progress, then goes on",
        arguments: UpstreamEngine.allCases)
    func laterRequestIsHeld(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        let checkpoint = try gateway.grow(16_384)
        let m = try MirrorFixture(dir: dir, gateways: [gateway], engine: engine)
        let origin = gateway.origin
        try await withServer(m.router) { port in
            let client = MirrorClient(port: port)
            #expect(try await client.addCheckpoint(gateway, old: 0, note: checkpoint.note, size: 16_384).status == 200)
            let first = MirrorClient.body(gateway, start: 0, end: 16_384, packages: 32)
            let (a, b) = try await Self.interleaved(first, gateway, m, port: port)
            let aInfo = try MirrorInfo(parsing: a.body)
            #expect(a.status == 202 && aInfo.nextEntry == 8192)
            #expect(b.status == 200, "\(b.status) \(b.text)")
        }
        // Where the time went: the held request waited for its turn, both spent time in the
        // store; the add-checkpoint carried no packages.
        let timed = m.answers.phases("add-entries")
        let held = try #require(timed.first { $0.status == 200 }?.phases)
        let first = try #require(timed.first { $0.status == 202 }?.phases)
        #expect(held.turn > .zero && held.store > .zero && held.receive >= .zero, "\(held)")
        #expect(first.turn == .zero && first.store > .zero && first.receive > .zero, "\(first)")
        #expect(m.answers.phases("add-checkpoint").allSatisfy { $0.phases == nil })
        try await MirrorTests.expectHolds(gateway, m, size: 16_384)
        #expect(m.mirror.uploads.requests(origin: origin) == (0, 0))
    }

    @Test(
        "with 4 requests of an upload in flight, none is refused: each is held until the one before has staged",
        arguments: UpstreamEngine.allCases)
    func windowIsHeld(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        let checkpoint = try gateway.grow(40_000)  // 157 packages: a question, then 5 requests of up to 32
        let m = try MirrorFixture(dir: dir, gateways: [gateway], engine: engine)
        try await withServer(m.router) { port in
            #expect(try await Self.push(gateway, checkpoint, port: port) == "cosigned")
            // The agent's own pusher, with the same window, on what is left after more entries.
            try gateway.grow(100)
            let pusher = try MirrorPushTests.pusher(gateway, m, port: port)
            #expect(await pusher.pushOnce() == ["dc-1": "ok"])
            await pusher.shutdown()
        }
        try await MirrorTests.expectHolds(gateway, m, size: 40_100)
        // The question's 409, then every request counted although up to 4 were in flight.
        let statuses = m.answers.statuses("add-entries")
        #expect(statuses.prefix(6).sorted() == [200, 202, 202, 202, 202, 409], "\(statuses)")
    }

    @Test(
        "against a mirror that does not hold requests back, the upload goes on one request at a time",
        arguments: [UpstreamEngine.sqlite])
    func windowNarrows(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        let checkpoint = try gateway.grow(40_000)
        let m = try MirrorFixture(dir: dir, gateways: [gateway], engine: engine, maxWaitingUploads: 0)
        let outcome = try await withServer(m.router) { port in try await Self.push(gateway, checkpoint, port: port) }
        #expect(outcome == "cosigned")
        try await MirrorTests.expectHolds(gateway, m, size: 40_000)
        let statuses = m.answers.statuses("add-entries")
        // The question's 409; the first window's later requests refused (409), at most 3 (fewer
        // when cancelled before the mirror saw them); then one request at a time from where the
        // first ended: 5 requests that count, not a window lost after each.
        #expect(statuses.filter { $0 == 409 }.count <= 4, "\(statuses)")
        #expect(statuses.filter { $0 == 202 || $0 == 200 }.count == 5, "\(statuses)")
        print("narrow: \(statuses)")
    }

    /// Sends the add-entries body `first` in two halves and, in between, once it is in
    /// progress, the request for entries 8192..<16,384 of `gateway`, which then waits for the
    /// first one's staging (without the queue it would be answered 409 at once). Returns both
    /// answers.
    static func interleaved(
        _ first: [UInt8], _ gateway: GatewayFixture, _ m: MirrorFixture, port: Int
    ) async throws -> (first: PeerHTTPResponse, second: PeerHTTPResponse) {
        let origin = gateway.origin
        let half = first.count / 2
        let (parts, feed) = AsyncStream.makeStream(of: ByteBuffer.self)
        let http = try PeerHTTPClient(
            baseURL: "http://127.0.0.1:\(port)", token: "token-1", tls: nil, timeout: .seconds(30))
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/mirror/add-entries")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer token-1")
        request.body = .stream(parts, length: .known(Int64(first.count)))
        async let firstAnswer = http.client.execute(request, timeout: .seconds(30))
        feed.yield(ByteBuffer(bytes: first[..<half]))
        try #require(
            await WitnessPusherTests.eventually(10) { m.mirror.uploads.requests(origin: origin).inProgress == 1 })
        async let secondAnswer = MirrorClient(port: port).addEntries(gateway, start: 8192, end: 16_384)
        try #require(
            await WitnessPusherTests.eventually(10) { m.mirror.uploads.requests(origin: origin).waiting == 1 })
        feed.yield(ByteBuffer(bytes: first[half...]))
        feed.finish()
        let a = try await firstAnswer
        let aBody = Array(buffer: try await a.body.collect(upTo: 1 << 16))
        let b = try await secondAnswer
        await http.shutdown()
        return (PeerHTTPResponse(status: Int(a.status.code), contentType: nil, body: aBody), b)
    }

    /// Sets `checkpoint` as the pending one and uploads its entries with a window of 4 requests
    /// made before they are needed (so that they really are in flight together); the outcome's
    /// name.
    static func push(_ gateway: GatewayFixture, _ checkpoint: CheckpointRecord, port: Int) async throws -> String {
        let size = checkpoint.size
        let added = try await MirrorClient(port: port).addCheckpoint(gateway, old: 0, note: checkpoint.note, size: size)
        guard added.status == 200 else { return "add-checkpoint \(added.status)" }
        var requests: [UInt64: MirrorUploadWindow.Request] = [:]
        for start in Array(stride(from: UInt64(0), to: size, by: 8192)) + [size] {
            let end = min(size, start + 8192)
            let body = MirrorClient.body(gateway, start: start, end: size, packages: 32)
            requests[start] = MirrorUploadWindow.Request(start: start, end: end, body: body, gzip: false)
        }
        let http = try PeerHTTPClient(
            baseURL: "http://127.0.0.1:\(port)/mirror", token: "token-1", tls: nil, timeout: .seconds(30))
        let window = MirrorUploadWindow(
            window: 4,
            make: { start in
                guard let request = requests[start] else { throw TestSupportError("no request made from \(start)") }
                return request
            },
            send: { try await http.post("add-entries", body: $0.body, contentType: "application/octet-stream") })
        let outcome = await window.run(from: size, size: size) { _ in }
        await http.shutdown()
        switch outcome {
        case .cosigned: return "cosigned"
        default: return "\(outcome)"
        }
    }
}
