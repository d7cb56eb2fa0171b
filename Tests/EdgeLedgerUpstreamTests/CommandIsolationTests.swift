import EdgeLedgerCore
import EdgeLedgerSystem
import EdgeLedgerTestSupport
import Foundation
import Testing

@testable import EdgeLedgerGateway
@testable import EdgeLedgerUpstream

/// The anchoring command gets nothing of the upstream's: not its environment (tokens), not its
/// descriptors (the listening socket), not its process group (issue 11, finding 9).
@Suite("Anchoring command isolation")
struct CommandIsolationTests {
    /// Runs `script` with `/bin/sh -c` as the anchorer would, with `environment` configured.
    static func run(
        _ script: String, environment: [String] = ["PATH"], timeout: Duration = .seconds(10)
    ) async throws -> CommandRunner.Result {
        let configuration = AnchorConfiguration(command: ["/bin/sh", "-c", script], environment: environment)
        return try await CommandRunner.run(
            configuration.command, stdin: [], timeout: timeout,
            environment: configuration.childEnvironment { name in getenv(name).map { String(cString: $0) } })
    }

    /// A listening TCP socket on 127.0.0.1:`port` (close-on-exec: see ``inheritable(_:_:)``).
    static func listen(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestSupportError("socket: \(errno)") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, Glibc.listen(fd, 16) == 0 else {
            let code = errno
            close(fd)
            throw TestSupportError("bind/listen 127.0.0.1:\(port): \(String(cString: strerror(code)))")
        }
        return fd
    }

    /// Runs `body` while `descriptors` lack close-on-exec, as a library's descriptors might: only
    /// for that moment, so that children other tests spawn meanwhile do not inherit them.
    static func inheritable<R>(_ descriptors: [Int32], _ body: () async throws -> R) async rethrows -> R {
        for fd in descriptors { _ = fcntl(fd, F_SETFD, 0) }
        defer { for fd in descriptors { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) } }
        return try await body()
    }

    /// Whether process `pid` is gone (or a zombie nobody reaped yet).
    static func isDead(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0 else { return true }
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        return stat.split(separator: ")").last?.split(separator: " ").first == "Z"
    }

    @Test("the command's environment is the configured allow-list: no token variable of the upstream")
    func environmentIsAllowListed() async throws {
        setenv("EDGE_LEDGER_TEST_PULL_TOKEN", "secret-token-7f3a", 1)
        setenv("EDGE_LEDGER_TEST_ALLOWED", "visible", 1)
        let result = try await Self.run(
            "env", environment: ["PATH", "EDGE_LEDGER_TEST_ALLOWED", "ANCHOR_PROFILE=/etc/anchor.yml", "UNSET_ONE"])
        #expect(result.status == 0)
        let lines = Set(result.output.split(separator: "\n").map(String.init))
        #expect(!result.output.contains("secret-token-7f3a"))
        #expect(!result.output.contains("EDGE_LEDGER_TEST_PULL_TOKEN"))
        #expect(lines.contains("EDGE_LEDGER_TEST_ALLOWED=visible"))
        #expect(lines.contains("ANCHOR_PROFILE=/etc/anchor.yml"))
        #expect(lines.contains { $0.hasPrefix("PATH=") })
        #expect(!lines.contains { $0.hasPrefix("UNSET_ONE") })
        #expect(!lines.contains { $0.hasPrefix("HOME=") })
    }

    @Test("the command holds only descriptors 0, 1 and 2, whatever this process has open")
    func onlyStandardDescriptors() async throws {
        // Descriptors without close-on-exec, as a library might open them.
        let file = open("/dev/null", O_RDONLY | O_CLOEXEC)
        let socket = try Self.listen(port: try FreePort.find())
        defer {
            close(file)
            close(socket)
        }
        let result = try await Self.inheritable([file, socket]) {
            try await Self.run("for n in $(seq 0 1023); do [ -e /proc/$$/fd/$n ] && echo $n; done; true")
        }
        #expect(result.status == 0)
        #expect(result.output.split(separator: "\n") == ["0", "1", "2"], "\(result.output)")
    }

    @Test("on timeout the whole process group dies, grandchildren included")
    func timeoutKillsTheGroup() async throws {
        let dir = try TemporaryFolder()
        let pidFile = dir.file("grandchild.pid")
        let started = ContinuousClock.now
        let result = try await Self.run(
            "sleep 300 & echo $! > '\(pidFile)'; wait", timeout: .seconds(1))
        #expect(result.timedOut)
        // Far below the 300 s the command would take; loose, as two test processes sharing the
        // machine's 2 cores once stretched the 1 s timeout's kill and reap to 14 s.
        #expect(ContinuousClock.now - started < .seconds(60))
        let text = try String(contentsOfFile: pidFile, encoding: .utf8)
        let pid = try #require(Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)))
        let dead = Eventually.holds(timeout: 5) { Self.isDead(pid) }
        #expect(dead, "grandchild \(pid) survived the timeout")
    }

    @Test("a process the command leaves behind (in a session of its own) holds none of the upstream's descriptors")
    func leftoverChildDoesNotHoldTheSocket() async throws {
        // Another test may take a "free" port first: try a few.
        var bound: (port: Int, socket: Int32)? = nil
        for _ in 0..<10 where bound == nil {
            let port = try FreePort.find()
            if let socket = try? Self.listen(port: port) { bound = (port, socket) }
        }
        let socket = try #require(bound).socket
        let dir = try TemporaryFolder()
        let pidFile = dir.file("escaped.pid")
        // The hook leaves a process in a session of its own (out of reach of the group kill),
        // as a daemonising anchoring client would.
        let result = try await Self.inheritable([socket]) {
            // The hook returns once the child leads its own session (field 6 of its stat).
            try await Self.run(
                "setsid sleep 60 > /dev/null 2>&1 < /dev/null & echo $! > '\(pidFile)'; "
                    + "while [ \"$(cut -d' ' -f6 /proc/$!/stat)\" != \"$!\" ]; do sleep 0.01; done")
        }
        #expect(result.status == 0)
        let text = try String(contentsOfFile: pidFile, encoding: .utf8)
        let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
        defer { if let pid { kill(pid, SIGKILL) } }
        let escaped = try #require(pid)
        let held = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(escaped)/fd")) ?? []
        #expect(held.sorted() == ["0", "1", "2"], "the escaped process holds descriptors \(held.sorted())")
        // (The restart itself, binding the port again, is AnchorRestartTests with real
        // processes: here another test's child could inherit the socket during `inheritable`.)
        close(socket)
    }
}
