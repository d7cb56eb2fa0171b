import EdgeLedgerCore
import EdgeLedgerStore
import EdgeLedgerSystem
import EdgeLedgerTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import EdgeLedgerGateway
@testable import EdgeLedgerHTTP

/// Slow clients, and readers that race the sealer.
@Suite("robustness")
struct RobustnessTests {
    /// Connects to 127.0.0.1:`port`, sends `bytes`, and returns what the server sends until it
    /// closes the connection (or 10 s pass), with the time that took.
    static func rawExchange(port: Int, send bytes: String) throws -> (String, Duration) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestSupportError("socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard connected else { throw TestSupportError("connect() failed") }
        var timeout = timeval(tv_sec: 60, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let start = ContinuousClock.now
        _ = bytes.withCString { send(fd, $0, strlen($0), 0) }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            received.append(contentsOf: buffer[0..<n])
        }
        return (String(decoding: received, as: UTF8.self), ContinuousClock.now - start)
    }

    @Test("A client that stalls in its request head (body) is cut off after http.header_timeout (request_timeout)")
    func slowClients() async throws {
        let f = try LedgerFixture(count: 10, sealAt: [])
        var http = HTTPConfiguration(tokens: TestTokens.configured)
        http.requestTimeout = .seconds(1)
        http.limits.headerTimeout = .seconds(1)
        try await withLiveAPI(f, http: http) { client in
            let port = try #require(client.port)
            // Slowloris: the head never ends.
            let (head, headTime) = try RobustnessTests.rawExchange(
                port: port, send: "GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: 1\r\n")
            // The server cuts the connection (the client's own read timeout is 60 s); the upper
            // bound is loose because a loaded CI machine delays the timer.
            #expect(headTime >= .milliseconds(900) && headTime < .seconds(30), "\(headTime)")
            #expect(!head.contains("200 OK"))
            // A body that never completes.
            let (body, bodyTime) = try RobustnessTests.rawExchange(
                port: port,
                send: "POST /ack HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(TestTokens.upstream)\r\n"
                    + "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"size\": 1")
            #expect(bodyTime >= .milliseconds(900) && bodyTime < .seconds(30), "\(bodyTime)")
            #expect(body.isEmpty || body.hasPrefix("HTTP/1.1 408"), "\(body)")
            #expect(!body.contains("200 OK"))
            #expect(try f.store.upstream(named: "dc-1") == nil)
            // The server still serves (on a new connection: the test client's idle one was closed too).
            let status = try await TestClient.withClient(host: "127.0.0.1", port: port) { c in
                try await c.get("/healthz").status
            }
            #expect(status == .ok)
        }
    }

    @Test("Concurrent readers always get tiles that prove the checkpoint they were served, while sealing goes on")
    func readersRaceTheSealer() async throws {
        let f = try LedgerFixture(count: 100, sealAt: [])
        let key = f.key
        try await withLiveAPI(f) { client in
            let port = try #require(client.port)
            try await withThrowingTaskGroup(of: Int.self) { group in
                group.addTask {
                    for round in 0..<40 {
                        let start = 100 + round * 37
                        try f.store.append(batch: (start..<(start + 37)).map(LedgerFixture.reading))
                        _ = try f.store.seal { request in try LedgerFixture.sign(request, key: key) }
                        try await Task.sleep(for: .milliseconds(5))
                    }
                    return 0
                }
                for _ in 0..<3 {
                    group.addTask {
                        try await TestClient.withClient(host: "127.0.0.1", port: port) { c in
                            var checked = 0
                            for _ in 0..<15 {
                                checked += try await RobustnessTests.checkServedTree(c)
                            }
                            return checked
                        }
                    }
                }
                var total = 0
                for try await n in group { total += n }
                #expect(total == 45)
            }
        }
    }

    /// Fetches the checkpoint, then every level-0 tile of its tree, and checks that they hash
    /// to the checkpoint's root. Returns 1.
    static func checkServedTree(_ client: TestClient) async throws -> Int {
        let auth = TestTokens.bearer(TestTokens.reader)
        let note = try await client.get("/checkpoint", headers: auth)
        let checkpoint = try Checkpoint(
            parsing: try Note(parsing: String(buffer: try #require(note.body))).text)
        var leaves: [Hash32] = []
        for tile in TileID.tiles(forTreeSize: checkpoint.size) where tile.level == 0 {
            let r = try await client.get("/" + tile.path, headers: auth)
            #expect(r.status == .ok, "\(tile.path)")
            let bytes = Array(try #require(r.body).readableBytesView)
            #expect(bytes.count == 32 * tile.width)
            for i in 0..<tile.width { leaves.append(try #require(Hash32(bytes: bytes[(32 * i)..<(32 * i + 32)]))) }
        }
        #expect(Merkle.rootHash(leaves, hasher: sha256) == checkpoint.root)
        return 1
    }
}
