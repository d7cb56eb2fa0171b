import ArgumentParser
import EdgeLedgerCore
import EdgeLedgerSystem
import Hummingbird
import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `edge-ledger-fleet`: one process that simulates a fleet of gateways for
/// `scripts/bench-fleet.sh` — light tasks, not agents. Each gateway appends `--rate` readings a
/// second as real format-v1 entries, seals every second (tiles, a checkpoint signed with its own
/// Ed25519 key), serves C2SP tlog-tiles under `/gw-<n>` and pushes its checkpoint to the
/// upstream's witness every second. The last `--push` of the gateways running from the start (and
/// the backlog gateway with `--push-backlog`) are in push mode instead: every second they upload
/// their checkpoint and entries to the upstream's mirror (``FleetMirrorPusher``). See
/// ``SimulatedGateway``.
///
/// Files written to `--enroll-dir`: `gateways.toml` (a `[[gateways]]` entry per pulled gateway
/// running from the start), `push.toml` (the `--push` gateways), `later.toml` (the `--add-later`
/// gateways), `backlog.toml` (the backlog gateway), each for `edge-ledger-upstream gateways add
/// --from` (with `--mode push` for the pushing ones), and `ready` once the server listens.
/// `--signing-log` gets a CSV line `origin,size,signed_at_ns` per signed checkpoint,
/// `--ack-log` one `origin,size,acknowledged_at_ns` per mirror cosignature received.
@main
struct FleetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edge-ledger-fleet",
        abstract: "Simulate a fleet of gateways (tlog-tiles, witness pushes) for scripts/bench-fleet.sh.")

    @Option(help: "Gateways running from the start.") var gateways = 1000
    @Option(help: "Readings per second and gateway.") var rate = 10
    @Option(help: "Loopback port of the tlog-tiles server.") var port = 8400
    @Option(help: "Base URL of a witness endpoint (repeatable; gateway n pushes to witness n mod count).")
    var witness: [String] = []
    @Option(help: "Bearer token for the witness (a name in the upstream's [[http.tokens]]).") var token: String?
    @Option(help: "The token's name, listed in each gateway's witness_clients.") var tokenName = "fleet"
    @Option(name: .customLong("enroll-dir"), help: "Where to write the [[gateways]] files and `ready`.")
    var enrollDirectory = "."
    @Option(help: "Number of the gateway that starts with a backlog (default: an extra gateway).")
    var backlogGateway: Int?
    @Option(help: "Entries the backlog gateway has sealed at start (0: none).") var backlog: UInt64 = 0
    @Option(help: "Gateways that appear after --add-after seconds.") var addLater = 0
    @Option(help: "Seconds after which the --add-later gateways appear.") var addAfter = 60
    @Option(help: "CSV file of signed checkpoints: origin,size,signed_at_ns.") var signingLog: String?
    @Option(help: "HTTP connections to each witness.") var witnessConnections = 16
    @Option(help: "Seconds between status lines on standard error.") var statusInterval = 10
    @Option(help: "How many of the gateways running from the start push (the last ones).") var push = 0
    @Flag(help: "The backlog gateway pushes its backlog instead of being pulled.") var pushBacklog = false
    @Flag(
        help: """
            Make the backlog gateway's work before serving: its entry bundles, or with --push-backlog \
            its add-entries requests (it then seals nothing new until the mirror cosigned its backlog).
            """)
    var prepareBacklog = false
    @Option(help: "Submission prefix of a mirror, <upstream>/mirror (repeatable; as --witness).")
    var mirror: [String] = []
    @Option(help: "CSV file of mirror cosignatures received: origin,size,acknowledged_at_ns.") var ackLog: String?

    func validate() throws {
        guard gateways >= 0, addLater >= 0, rate >= 1, rate <= 100_000, push >= 0, push <= gateways else {
            throw ValidationError("--gateways and --add-later must be ≥ 0, --rate 1...100000, --push 0...--gateways")
        }
        guard mirror.isEmpty == (push == 0 && !pushBacklog) else {
            throw ValidationError("--push and --push-backlog need --mirror, and --mirror needs one of them")
        }
    }

    func run() async throws {
        let start = SystemClock.nowNanoseconds()
        let later = Set(gateways..<gateways + addLater)
        let backlogNumber = backlog > 0 ? (backlogGateway ?? gateways + addLater) : nil
        var all: [SimulatedGateway] = []
        let count = max(gateways + addLater, (backlogNumber ?? -1) + 1)
        for n in 0..<count where n < gateways + addLater || n == backlogNumber {
            let epoch = start + (later.contains(n) ? Int64(addAfter) * 1_000_000_000 : 0)
            let owed = Int64(n == backlogNumber ? backlog : 0)
            all.append(try SimulatedGateway(number: n, rate: rate, epoch: epoch - owed * 1_000_000_000 / Int64(rate)))
        }
        let log = try SigningLog(path: signingLog)
        let server = FleetServer()
        let pusher = try FleetWitnessPusher(urls: witness, token: token, connections: witnessConnections)
        let mirrorPusher = try FleetMirrorPusher(
            urls: mirror, token: token, connections: witnessConnections, acknowledgements: SigningLog(path: ackLog))
        let pushing = Set(gateways - push..<gateways).union(pushBacklog ? backlogNumber.map { [$0] } ?? [] : [])
        let base = "http://127.0.0.1:\(port)"
        var files: [String: String] = ["gateways.toml": "", "push.toml": "", "later.toml": "", "backlog.toml": ""]
        for gateway in all {
            let file =
                gateway.number == backlogNumber
                ? "backlog.toml"
                : later.contains(gateway.number)
                    ? "later.toml" : pushing.contains(gateway.number) ? "push.toml" : "gateways.toml"
            files[file, default: ""] += gateway.enrollment(baseURL: base, witnessClient: tokenName)
        }
        for (name, text) in files { try write(text, to: "\(enrollDirectory)/\(name)") }
        // The backlog is sealed before anything is served (hashing ~1 µs per entry).
        for gateway in all where gateway.number == backlogNumber {
            _ = try gateway.seal(upTo: backlog)
            guard prepareBacklog else { continue }
            let clock = ContinuousClock()
            let started = clock.now
            let what: String
            if pushBacklog {
                what = "\(try mirrorPusher.prepare(gateway)) add-entries requests"
            } else {
                gateway.prepareBundles(upTo: backlog)
                what = "\(backlog / UInt64(TileID.fullWidth)) entry bundles"
            }
            StandardError.line("edge-ledger-fleet: prepared the backlog's \(what) in \(clock.now - started)")
        }
        for gateway in all where !later.contains(gateway.number) { server.add(gateway) }

        var logger = Logger(label: "edge-ledger.fleet")
        logger.logLevel = .warning
        let readyPath = "\(enrollDirectory)/ready"
        let app = Application(
            router: server.router(),
            configuration: ApplicationConfiguration(
                address: .hostname("127.0.0.1", port: port), serverName: nil, backlog: 4096),
            onServerRunning: { _ in try? write("\(SystemClock.nowNanoseconds())\n", to: readyPath) },
            logger: logger)
        StandardError.line(
            "edge-ledger-fleet: \(gateways) gateways (\(push) pushing; +\(addLater) after \(addAfter) s, backlog "
                + "\(backlog)\(pushBacklog ? " pushed" : "")), \(rate) readings/s each, serving on \(base)")
        let laterDelay = Duration.seconds(addAfter)
        let interval = statusInterval
        let fleet = all
        let spread = max(1, fleet.count)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService() }
            for (k, gateway) in fleet.enumerated() {
                let appears = later.contains(gateway.number)
                let phase = Duration.nanoseconds(Int64(k) * 1_000_000_000 / Int64(spread))
                group.addTask {
                    if appears {
                        try await Task.sleep(for: laterDelay)
                        server.add(gateway)
                    }
                    try await Task.sleep(for: phase)
                    if pushing.contains(gateway.number) {
                        await Self.run(gateway, log: log) { await mirrorPusher.push($0) }
                    } else {
                        await Self.run(gateway, log: log) { await pusher.push($0) }
                    }
                }
            }
            group.addTask {
                var seconds = 0
                while !Task.isCancelled {
                    try await Task.sleep(for: .seconds(1))
                    log.flush()
                    mirrorPusher.flush()
                    seconds += 1
                    if seconds % interval == 0 {
                        let outcomes = pusher.outcomes.withLock { $0 }.merging(
                            mirrorPusher.outcomes.withLock { $0 }, uniquingKeysWith: +)
                        Self.status(fleet, server: server, outcomes: outcomes, start: start)
                    }
                }
            }
            _ = try await group.next()  // the server stopped (SIGTERM, SIGINT)
            group.cancelAll()
        }
        log.flush()
        mirrorPusher.flush()
        await pusher.shutdown()
        await mirrorPusher.shutdown()
    }

    /// Seals and pushes every second until cancelled: the entries due by now (one per
    /// `interval` since the gateway's epoch) are appended, whatever the delay of the last round;
    /// `push` sends the checkpoint to the witness, or the log to the mirror.
    static func run(
        _ gateway: SimulatedGateway, log: SigningLog, push: (SimulatedGateway) async -> Void
    ) async {
        let clock = ContinuousClock()
        var next = clock.now
        while !Task.isCancelled {
            let now = SystemClock.nowNanoseconds()
            let due = UInt64(max(0, (now - gateway.epoch) / gateway.interval))
            do {
                if let sealed = try gateway.seal(upTo: due) {
                    log.record(origin: gateway.origin, size: sealed.size, time: SystemClock.nowNanoseconds())
                }
            } catch {
                StandardError.line("edge-ledger-fleet: \(gateway.origin): cannot seal: \(error)")
            }
            await push(gateway)
            next = next.advanced(by: .seconds(1))
            if next < clock.now { next = clock.now }
            try? await Task.sleep(until: next, clock: clock)
        }
    }

    static func status(
        _ all: [SimulatedGateway], server: FleetServer, outcomes: [String: Int], start: Int64
    ) {
        let sealed = all.reduce(UInt64(0)) { $0 + $1.size }
        let pushes = outcomes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        let requests = server.served.withLock { $0 }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        let elapsed = (SystemClock.nowNanoseconds() - start) / 1_000_000_000
        StandardError.line(
            "edge-ledger-fleet: t=\(elapsed)s sealed=\(sealed) pushes[\(pushes.joined(separator: " "))] "
                + "served[\(requests.joined(separator: " "))]")
    }
}

/// Writes `text` to `path` (replacing it).
private func write(_ text: String, to path: String) throws {
    guard let file = fopen(path, "w") else { throw FleetError("cannot write \(path): errno \(errno)") }
    defer { fclose(file) }
    let bytes = Array(text.utf8)
    guard bytes.withUnsafeBytes({ fwrite($0.baseAddress, 1, $0.count, file) }) == bytes.count else {
        throw FleetError("cannot write \(path)")
    }
}
