import EdgeLedgerCore
import EdgeLedgerTestSupport
import Hummingbird
import Logging
import Testing

@testable import EdgeLedgerGateway
@testable import EdgeLedgerHTTP

/// Slow, idle and greedy clients over real loopback sockets: one client address (127.0.0.1)
/// holds many connections, another (127.0.0.2) asks for `/healthz`.
@Suite("connection guard", .serialized)
struct ConnectionGuardTests {
    /// Opens `count` connections from 127.0.0.1 and sends `opening` on each.
    static func open(_ count: Int, port: Int, opening: String) throws -> [RawTCPConnection] {
        try (0..<count).map { _ in
            let c = try RawTCPConnection(port: port, from: "127.0.0.1")
            if !opening.isEmpty { c.send(opening) }
            return c
        }
    }

    /// Sends `byte` on every connection every 300 ms until cancelled (a slowloris).
    static func trickle(_ connections: [RawTCPConnection], byte: String) -> Task<Void, Never> {
        Task {
            while !Task.isCancelled {
                for c in connections { c.send(byte) }
                try? await Task.sleep(for: .milliseconds(300))
            }
        }
    }

    /// `/healthz` from 127.0.0.2 answers 200 promptly. The target (within a second) is measured
    /// by `scripts/faults/slow-clients.sh` with separate processes; here, among parallel suites on
    /// a loaded machine, the bound only has to tell "answered" from "held back" (before the
    /// connection guard it was not answered at all until the slow connections were cut).
    static func expectHealthFromAnotherClient(port: Int, _ what: String) async throws {
        let (status, elapsed) = try await RawTCPConnection.get("/healthz", port: port, from: "127.0.0.2")
        #expect(status == 200, "\(what): /healthz answered \(status)")
        #expect(elapsed < .seconds(5), "\(what): /healthz took \(elapsed)")
    }

    /// Runs the API service as the agent does (`run()`, the configured listener and connection
    /// handling, not a test harness) on a free loopback port and hands the port to `body`.
    static func withRunningAPI(
        _ fixture: LedgerFixture, http: HTTPConfiguration, _ body: @Sendable (Int) async throws -> Void
    ) async throws {
        var http = http
        http.listen = HostPort(host: "127.0.0.1", port: 0)
        var logger = Logger(label: "edge-ledger.http.test")
        logger.logLevel = .warning
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let service = try LedgerAPIService(
            http: http, storePath: fixture.storePath, hasher: sha256, acknowledger: fixture.store,
            status: LedgerAPIStatusClosure { .ready }, logger: logger, onServerRunning: { continuation.yield($0) })
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await service.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            try await body(port)
            group.cancelAll()
        }
    }

    static func http(
        perClient: Int = 200, maxConnections: Int = 256, headerTimeout: Duration = .seconds(10)
    )
        -> HTTPConfiguration
    {
        var http = HTTPConfiguration(tokens: TestTokens.configured)
        http.limits = ConnectionLimits(
            headerTimeout: headerTimeout, maxConnections: maxConnections, maxConnectionsPerClient: perClient)
        return http
    }

    @Test("200 connections trickling header bytes do not delay /healthz from another client; the 201st is refused")
    func slowHeaders() async throws {
        let f = try LedgerFixture(count: 10, sealAt: [])
        try await Self.withRunningAPI(f, http: Self.http()) { port in
            let slow = try Self.open(200, port: port, opening: "GET /healthz HTTP/1.1\r\nHost: x\r\n")
            let trickler = Self.trickle(slow, byte: "X")
            defer { trickler.cancel() }
            try await Task.sleep(for: .milliseconds(500))
            try await Self.expectHealthFromAnotherClient(port: port, "200 slow header senders")
            let extra = try RawTCPConnection(port: port, from: "127.0.0.1")
            // Generous: on a loaded machine the listener may accept the 201st late; what counts is
            // that it is closed, not how fast.
            #expect(await extra.isClosed(within: .seconds(10)), "the 201st connection of one client is refused")
            #expect(await !slow[0].isClosed(within: .milliseconds(100)), "the first 200 are held")
        }
    }

    @Test("200 idle connections do not delay /healthz from another client")
    func idleConnections() async throws {
        let f = try LedgerFixture(count: 10, sealAt: [])
        try await Self.withRunningAPI(f, http: Self.http()) { port in
            let idle = try Self.open(200, port: port, opening: "")
            try await Task.sleep(for: .milliseconds(500))
            try await Self.expectHealthFromAnotherClient(port: port, "200 idle connections")
            withExtendedLifetime(idle) {}
        }
    }

    @Test("200 connections trickling request bodies do not delay /healthz; a body is cut at request_timeout")
    func slowBodies() async throws {
        let f = try LedgerFixture(count: 10, sealAt: [])
        var http = Self.http()
        http.requestTimeout = .seconds(2)
        try await Self.withRunningAPI(f, http: http) { port in
            let head = "POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"
            let slow = try Self.open(200, port: port, opening: head)
            let trickler = Self.trickle(slow, byte: "b")
            defer { trickler.cancel() }
            try await Task.sleep(for: .milliseconds(500))
            try await Self.expectHealthFromAnotherClient(port: port, "200 slow bodies")
            // Each body chunk would reset an idle timer; the total deadline cuts it anyway.
            let start = ContinuousClock.now
            #expect(await slow[0].isClosed(within: .seconds(10)), "a trickled body is cut")
            #expect(ContinuousClock.now - start < .seconds(5))
        }
    }

    @Test("A client trickling its request head is cut at http.header_timeout")
    func headerDeadline() async throws {
        let f = try LedgerFixture(count: 10, sealAt: [])
        try await Self.withRunningAPI(f, http: Self.http(headerTimeout: .seconds(1))) { port in
            let c = try RawTCPConnection(port: port, from: "127.0.0.1")
            c.send("GET /healthz HTTP/1.1\r\n")
            let trickler = Self.trickle([c], byte: "X")
            defer { trickler.cancel() }
            let start = ContinuousClock.now
            #expect(await c.isClosed(within: .seconds(10)), "the slow header sender is cut")
            let took = ContinuousClock.now - start
            #expect(took >= .milliseconds(800) && took < .seconds(4), "cut after \(took)")
        }
    }

    @Test("At max_connections, reserved connections still serve /healthz and /status but nothing else")
    func reservedProbes() async throws {
        let f = try LedgerFixture(count: 10, sealAt: [])
        try await Self.withRunningAPI(f, http: Self.http(maxConnections: 8)) { port in
            // 60 idle connections fill the 8 normal ones and one reserved one.
            let idle = try Self.open(60, port: port, opening: "")
            try await Task.sleep(for: .milliseconds(500))
            try await Self.expectHealthFromAnotherClient(port: port, "every normal connection in use")
            let (status, _) = try await RawTCPConnection.get(
                "/checkpoint", port: port, from: "127.0.0.3", headers: "Authorization: Bearer \(TestTokens.reader)\r\n")
            #expect(status == 503, "a reserved connection asking for /checkpoint gets 503, got \(status)")
            // The operator's `edge-ledger status` still gets the agent's status document.
            let (documentStatus, _) = try await RawTCPConnection.get("/status", port: port, from: "127.0.0.4")
            #expect(documentStatus == 200, "a reserved connection asking for /status gets \(documentStatus)")
            var refused = 0
            for c in idle {
                // The first wait allows for a loaded machine; the others were closed meanwhile.
                if await c.isClosed(within: refused == 0 ? .seconds(5) : .milliseconds(200)) { refused += 1 }
            }
            #expect(refused >= 50, "connections beyond the cap and the reserve are closed: \(refused)")
        }
    }

    @Test("The descriptor budget lowers the caps below half of RLIMIT_NOFILE")
    func descriptorBudget() {
        let limits = ConnectionGuard.Limits(
            ConnectionLimits(maxConnections: 5000, maxConnectionsPerClient: 5000), requestTimeout: .seconds(30),
            prefix: "")
        let fitted = ConnectionGuard.fitting(
            limits, descriptorLimit: 1024, logger: .init(label: "test"), listener: "api")
        #expect(fitted.maxConnections + fitted.reservedProbes <= 512)
        #expect(fitted.maxConnectionsPerClient <= fitted.maxConnections)
        #expect(
            ConnectionGuard.fitting(limits, descriptorLimit: nil, logger: .init(label: "test"), listener: "api")
                == limits)
    }

    @Test("The agent's API keeps below libmosquitto's select() limit whatever RLIMIT_NOFILE allows")
    func agentStaysBelowTheSelectLimit() throws {
        // This process's descriptor limit is far above 1,024 here (ulimit -n 20000); the API
        // must still lower a configured 2,000 connections, for the agent's MQTT client.
        let f = try LedgerFixture(count: 10, sealAt: [])
        let log = CapturedLog()
        var http = Self.http(perClient: 2_000, maxConnections: 2_000)
        http.listen = HostPort(host: "127.0.0.1", port: 0)
        _ = try LedgerAPIService(
            http: http, storePath: f.storePath, hasher: sha256, acknowledger: f.store,
            status: LedgerAPIStatusClosure { .ready }, logger: log.logger(label: "http"))
        let lowered = log.lines(containing: "http.max_connections lowered")
        #expect(lowered.count == 1, "\(log.lines(containing: ""))")
        #expect(lowered.first?.contains("max_connections=504") == true, "\(lowered)")
    }
}
