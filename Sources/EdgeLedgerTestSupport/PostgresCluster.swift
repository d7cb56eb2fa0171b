import EdgeLedgerSystem
import Foundation
import Synchronization

/// A private PostgreSQL cluster for tests, benchmarks and fault scripts: `initdb` into a
/// temporary folder and a `postgres` on a free loopback port, with trust authentication for the
/// user `edgeledger`. Or, when `EDGE_LEDGER_TEST_POSTGRES_URL` is set, an existing server
/// (``shared()`` only).
///
/// The server never outlives the test process: ``stop()`` in `deinit`, an exit handler for the
/// clusters still running at exit (``shared()``'s), and a watchdog beside the server that stops
/// it within half a second when the test process is gone without either (a crash, SIGKILL).
public final class PostgresCluster: @unchecked Sendable {
    // @unchecked: the shared cluster is only read (URLs, databases); starting and stopping are
    // for a private cluster, driven by the one test that owns it.

    /// The TCP port on 127.0.0.1 (or the external server's port).
    public private(set) var port: Int
    /// The server's URL without a database: `postgres://edgeledger@127.0.0.1:<port>`.
    public var serverURL: String { external ?? "postgres://edgeledger@127.0.0.1:\(port)" }
    /// The data directory (nil for an external server).
    public var dataDirectory: String? { external == nil ? folder.file("data") : nil }
    /// The server's log (stdout and stderr of `postgres`).
    public var logFile: String { folder.file("postgres.log") }

    private let folder: TemporaryFolder
    private let programs: PostgresPrograms
    private let external: String?
    private let fsync: Bool
    private var process: ChildProcess?
    private var postmaster: pid_t?

    /// Creates a cluster (`initdb`) and starts it on a free port. `fsync` off (the default)
    /// suits tests; benchmarks of commits want it on.
    public init(fsync: Bool = false) throws {
        programs = try PostgresPrograms(needing: ["initdb", "postgres", "psql"])
        folder = try TemporaryFolder(prefix: "edge-ledger-pg")
        external = nil
        self.fsync = fsync
        port = 0
        try programs.giveToOwner(folder.path)
        let initdb = programs.asOwner(
            script: #"exec "$@""#,
            [
                programs.path("initdb"), "-D", folder.file("data"), "-U", "edgeledger", "--auth=trust", "-E", "UTF8",
                "--no-locale", "--no-sync",
            ])
        try PostgresPrograms.run(
            initdb.executable, initdb.arguments, log: folder.file("initdb.log"), what: "initdb (PostgreSQL)")
        // A port taken between FreePort's check and the server's bind: try another one.
        var attempt = 0
        while true {
            port = try FreePort.find()
            attempt += 1
            do {
                try launch(retryingFor: 0)
                return
            } catch {
                if attempt == 3 { throw error }
            }
        }
    }

    private init(externalURL: String) throws {
        guard let components = URLComponents(string: externalURL),
            components.scheme == "postgres" || components.scheme == "postgresql", components.host != nil
        else {
            throw TestSupportError(
                "EDGE_LEDGER_TEST_POSTGRES_URL is not a server URL like postgres://user@127.0.0.1:5432: \(externalURL)")
        }
        programs = try PostgresPrograms(needing: ["psql"])
        folder = try TemporaryFolder(prefix: "edge-ledger-pg")
        external = externalURL.hasSuffix("/") ? String(externalURL.dropLast()) : externalURL
        port = components.port ?? 5432
        fsync = true
    }

    deinit { stop() }

    /// The process's cluster, started on first use; or the server named by the environment
    /// variable `EDGE_LEDGER_TEST_POSTGRES_URL` (a URL without database, e.g.
    /// `postgres://edgeledger@127.0.0.1:5433`). Tests take a database each (``freshDatabase(prefix:)``).
    public static func shared() throws -> PostgresCluster {
        try sharedCluster.withLock { cluster throws -> PostgresCluster in
            if let cluster { return cluster }
            let url = ProcessInfo.processInfo.environment["EDGE_LEDGER_TEST_POSTGRES_URL"] ?? ""
            let started = url.isEmpty ? try PostgresCluster() : try PostgresCluster(externalURL: url)
            cluster = started
            return started
        }
    }

    /// The URL of `database` on this server.
    public func url(database: String) -> String {
        var components = URLComponents(string: serverURL)!
        components.path = "/" + database
        return components.string!
    }

    /// Creates the database `name` (`CREATE DATABASE` through `psql`); returns its URL.
    @discardableResult
    public func createDatabase(_ name: String) throws -> String {
        try psql("CREATE DATABASE " + Self.quoteIdentifier(name), what: "creating database \(name)")
        return url(database: name)
    }

    /// Drops the database `name` if it exists, disconnecting its sessions.
    public func dropDatabase(_ name: String) throws {
        try psql(
            "DROP DATABASE IF EXISTS \(Self.quoteIdentifier(name)) WITH (FORCE)", what: "dropping database \(name)")
    }

    /// Creates a database with a name of its own (`<prefix>_<pid>_<n>_<random>`); returns its URL.
    public func freshDatabase(prefix: String = "t") throws -> String {
        let clean = String(
            prefix.lowercased().filter { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }.prefix(24))
        let n = databaseCounter.add(1, ordering: .relaxed).newValue
        let name =
            "\(clean.isEmpty ? "t" : clean)_\(getpid())_\(n)_\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
        return try createDatabase(name)
    }

    /// Starts the server (again) on the same port and data directory and waits until it accepts
    /// connections. After ``kill()``, waits for the old server's processes to go.
    public func start() throws {
        try launch(retryingFor: 30)
    }

    /// Stops the server (fast shutdown: sessions are disconnected) and waits for it to exit.
    /// Nothing for an external server.
    public func stop() {
        guard let pid = postmaster, let process else { return }
        Glibc.kill(pid, SIGINT)
        if process.wait(timeout: 30) == nil {
            Glibc.kill(pid, SIGKILL)
            process.wait(timeout: 10)
        }
        forget(pid)
    }

    /// Stops and starts the server on the same port and data directory.
    public func restart() throws {
        guard external == nil else { throw TestSupportError("cannot restart the external server \(serverURL)") }
        stop()
        try start()
    }

    /// Kills the server as a crash of the machine would: SIGKILL to the postmaster and every
    /// process it started, so that sessions end at once; ``start()`` recovers (crash recovery
    /// from the WAL). Nothing for an external server.
    public func kill() {
        guard let pid = postmaster, let process else { return }
        Glibc.kill(pid, SIGSTOP)  // no new backends from here on
        let children = Self.children(of: pid)
        Glibc.kill(pid, SIGKILL)
        for child in children { Glibc.kill(child, SIGKILL) }
        process.wait(timeout: 10)
        waitUntil(timeout: 5) { !children.contains(where: Self.isAlive) }
        forget(pid)
    }

    /// `name` quoted as an SQL identifier.
    public static func quoteIdentifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    // MARK: Internals

    /// Starts `postgres` under a watchdog shell and waits until it answers; when it exits during
    /// start-up, tries again until `retryingFor` seconds have passed.
    private func launch(retryingFor seconds: Double) throws {
        guard external == nil, process == nil else { return }
        let deadline = Date().addingTimeInterval(seconds)
        // The shell waits for the server, then for the watchdog beside it (which ends within
        // 0.2 s of the server). Once the test process ($1) is gone without stopping the server,
        // the watchdog sends it SIGQUIT (immediate shutdown) and removes the folder ($2), as the
        // test process's exit handler would have.
        let script = #"""
            owner=$1
            folder=$2
            shift 2
            "$@" &
            server=$!
            (
                while kill -0 "$server" 2>/dev/null; do
                    if [ ! -d "/proc/$owner" ]; then
                        kill -QUIT "$server" 2>/dev/null
                        while kill -0 "$server" 2>/dev/null; do sleep 0.1; done
                        rm -rf -- "$folder"
                        exit 0
                    fi
                    sleep 0.2
                done
            ) &
            wait "$server"
            status=$?
            wait
            exit $status
            """#
        let command = programs.asOwner(
            script: script,
            [
                String(getpid()), folder.path, programs.path("postgres"), "-D", folder.file("data"), "-p", String(port),
                "-k", folder.path, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=\(fsync ? "on" : "off")",
                "-c", "max_connections=200", "-c", "shared_buffers=64MB",
            ])
        while true {
            let child = try ChildProcess(
                executable: command.executable, arguments: command.arguments, outputFile: logFile,
                environment: PostgresPrograms.environment)
            if try waitUntilReady(child) {
                guard let pid = pid_t(postmasterPIDLine()) else {
                    throw TestSupportError("PostgreSQL started but \(folder.file("data/postmaster.pid")) has no PID")
                }
                process = child
                postmaster = pid
                livingPostmasters.withLock { $0[pid] = child }
                _ = stopAtExit
                return
            }
            guard Date() < deadline else {
                throw TestSupportError(
                    "PostgreSQL did not start on port \(port): \(logTail()) (log: \(logFile))")
            }
            usleep(200_000)
        }
    }

    /// True once the server answers `select 1`; false when it exited; throws after 30 s.
    private func waitUntilReady(_ child: ChildProcess) throws -> Bool {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if !child.isRunning { return false }
            if FreePort.canConnect(port: port), (try? psql("select 1", what: "checking the server")) != nil {
                return true
            }
            usleep(50_000)
        }
        // The server runs under runuser and the shell: kill them all (postmaster.pid may still
        // name a server that is gone).
        var pids = [child.pid]
        var index = 0
        while index < pids.count {
            pids += Self.children(of: pids[index])
            index += 1
        }
        for pid in pids.reversed() { Glibc.kill(pid, SIGKILL) }
        child.wait(timeout: 5)
        throw TestSupportError("PostgreSQL did not accept connections within 30 s: \(logTail()) (log: \(logFile))")
    }

    /// Runs `sql` with `psql` in the `postgres` database.
    @discardableResult
    private func psql(_ sql: String, what: String) throws -> String {
        let n = databaseCounter.add(1, ordering: .relaxed).newValue
        return try PostgresPrograms.run(
            programs.path("psql"), ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url(database: "postgres"), "-c", sql],
            log: folder.file("psql-\(n).log"), what: what + " (psql on \(serverURL))", timeout: 60)
    }

    private func forget(_ pid: pid_t) {
        livingPostmasters.withLock { _ = $0.removeValue(forKey: pid) }
        process = nil
        postmaster = nil
    }

    /// The processes whose parent is `pid` (from /proc).
    private static func children(of pid: pid_t) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { pid_t($0) }.filter { statFields($0)?.parent == pid }
    }

    /// Whether `pid` exists and is not a zombie waiting to be reaped.
    private static func isAlive(_ pid: pid_t) -> Bool {
        guard let state = statFields(pid)?.state else { return false }
        return state != "Z" && state != "X"
    }

    /// The state and parent PID from /proc/<pid>/stat (after the command name in parentheses).
    private static func statFields(_ pid: pid_t) -> (state: Character, parent: pid_t)? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 1, let state = fields[0].first, let parent = pid_t(fields[1]) else { return nil }
        return (state, parent)
    }

    /// The first line of postmaster.pid: the running server's PID.
    private func postmasterPIDLine() -> String {
        let text = (try? String(contentsOfFile: folder.file("data/postmaster.pid"), encoding: .utf8)) ?? ""
        return String(text.split(separator: "\n").first ?? "")
    }

    private func logTail() -> String {
        let text = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(5).joined(separator: " | ")
    }
}

private let sharedCluster = Mutex<PostgresCluster?>(nil)
private let databaseCounter = Atomic<Int>(0)

/// The postmasters still running and the processes they run under: stopped by the exit handler.
private let livingPostmasters = Mutex<[pid_t: ChildProcess]>([:])

/// Registers the exit handler once (after the cluster's TemporaryFolder registered its own, so
/// it runs first: the servers stop before their folders are removed).
private let stopAtExit: Void = {
    atexit {
        let servers = livingPostmasters.withLock { $0 }
        for pid in servers.keys { kill(pid, SIGQUIT) }
        for process in servers.values { process.wait(timeout: 5) }
    }
}()

/// Polls `done` every 10 ms until it is true or `timeout` seconds have passed.
private func waitUntil(timeout: Double, _ done: () -> Bool) {
    let deadline = Date().addingTimeInterval(timeout)
    while !done() && Date() < deadline { usleep(10_000) }
}
