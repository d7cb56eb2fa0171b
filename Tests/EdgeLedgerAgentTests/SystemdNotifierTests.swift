import EdgeLedgerAgent
import EdgeLedgerTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The notify protocol against a socket bound the way systemd binds its notification socket:
/// a Unix datagram socket with `SO_PASSCRED`, so that each message carries the sender's
/// credentials (systemd uses them for `NotifyAccess=main`).
@Suite struct SystemdNotifierTests {
    @Test func sendsReadyStatusWatchdogAndStoppingToAPathSocket() throws {
        let directory = try TemporaryDirectory.make(prefix: "notify")
        defer { try? FileManager.default.removeItem(at: directory) }
        let listener = try NotifySocket(path: directory.appendingPathComponent("notify").path)
        let notifier = SystemdNotifier(
            environment: ["NOTIFY_SOCKET": listener.environmentValue, "WATCHDOG_USEC": "30000000"],
            processID: Int(getpid()))
        #expect(notifier.isEnabled)
        #expect(notifier.address == .path(listener.environmentValue))
        #expect(notifier.watchdogTimeout == .seconds(30))
        #expect(notifier.watchdogInterval == .seconds(15))

        #expect(notifier.ready(status: "store open, broker connecting"))
        #expect(notifier.status("ingesting: 12 entries, sealed 10\nsecond line"))
        #expect(notifier.watchdog())
        #expect(notifier.stopping(status: "sealing the final checkpoint"))

        let messages = try (0..<4).map { _ in try listener.receive() }
        #expect(
            messages.map(\.text) == [
                "READY=1\nSTATUS=store open, broker connecting",
                "STATUS=ingesting: 12 entries, sealed 10 second line",
                "WATCHDOG=1",
                "STOPPING=1\nSTATUS=sealing the final checkpoint",
            ])
        // What systemd checks for NotifyAccess=main: the kernel-attested sender PID.
        for message in messages {
            #expect(message.senderPID == getpid())
            #expect(message.senderUID == getuid())
        }
        #expect(notifier.sent == 4)
        #expect(notifier.failed == 0)
    }

    @Test func sendsToAnAbstractSocket() throws {
        let name = "edge-ledger-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let listener = try NotifySocket(abstract: name)
        #expect(listener.environmentValue == "@" + name)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": "@" + name], processID: Int(getpid()))
        #expect(notifier.address == .abstract(name))
        #expect(notifier.ready())
        #expect(try listener.receive().text == "READY=1")
        // The address is exactly the name: a socket named with a trailing NUL is another one.
        #expect(notifier.status("abstract"))
        #expect(try listener.receive().text == "STATUS=abstract")
    }

    @Test func reloadingCarriesTheMonotonicClock() throws {
        let directory = try TemporaryDirectory.make(prefix: "notify")
        defer { try? FileManager.default.removeItem(at: directory) }
        let listener = try NotifySocket(path: directory.appendingPathComponent("n").path)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": listener.environmentValue], processID: 1)
        var before = timespec()
        clock_gettime(CLOCK_MONOTONIC, &before)
        #expect(notifier.reloading(status: "reloading configuration"))
        #expect(notifier.extendTimeout(by: .milliseconds(2500)))
        let lines = try listener.receive().text.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        #expect(lines.first == "RELOADING=1")
        #expect(lines.last == "STATUS=reloading configuration")
        let usec = lines.count == 3 ? UInt64(lines[1].dropFirst("MONOTONIC_USEC=".count)) : nil
        let beforeUsec = UInt64(before.tv_sec) * 1_000_000 + UInt64(before.tv_nsec) / 1000
        #expect(lines.count == 3 && lines[1].hasPrefix("MONOTONIC_USEC="))
        #expect(usec.map { $0 >= beforeUsec && $0 < beforeUsec + 60_000_000 } == true)
        #expect(try listener.receive().text == "EXTEND_TIMEOUT_USEC=2500000")
    }

    @Test func watchdogPingsArePacedAtHalfTheTimeout() throws {
        let directory = try TemporaryDirectory.make(prefix: "notify")
        defer { try? FileManager.default.removeItem(at: directory) }
        let listener = try NotifySocket(path: directory.appendingPathComponent("n").path)
        // WatchdogSec=400ms: a ping at most every 200 ms however often the loop turns.
        let notifier = SystemdNotifier(
            environment: ["NOTIFY_SOCKET": listener.environmentValue, "WATCHDOG_USEC": "400000"], processID: 7)
        #expect(notifier.watchdogInterval == .milliseconds(200))
        var pings = 0
        var turns = 0
        let start = ContinuousClock.now
        while ContinuousClock.now - start < .milliseconds(700) {
            if notifier.watchdog() { pings += 1 }
            turns += 1
            usleep(5_000)
        }
        // At 0, 200, 400 and 600 ms (later on a loaded machine): never once per loop turn.
        #expect((2...4).contains(pings))
        #expect(turns > 10 * pings)
        for _ in 0..<pings { #expect(try listener.receive().text == "WATCHDOG=1") }
        #expect(try listener.next(within: 0.05) == nil)
        #expect(notifier.watchdogNow())
        #expect(try listener.receive().text == "WATCHDOG=1")
    }

    @Test func progressWatchdogPingsOnlyWhileEveryLoopTurns() throws {
        let directory = try TemporaryDirectory.make(prefix: "notify")
        defer { try? FileManager.default.removeItem(at: directory) }
        let listener = try NotifySocket(path: directory.appendingPathComponent("n").path)
        let notifier = SystemdNotifier(
            environment: ["NOTIFY_SOCKET": listener.environmentValue, "WATCHDOG_USEC": "100000"], processID: 7)
        let watchdog = SystemdProgressWatchdog(notifier: notifier, sources: ["ingest", "sealer"])
        // Only the sealer turns: no ping, however long.
        for _ in 0..<20 {
            #expect(!watchdog.progress("sealer"))
            usleep(10_000)
        }
        #expect(watchdog.waitingFor == ["ingest"])
        #expect(try listener.next(within: 0.05) == nil)
        // Both turn: a ping, then the next one needs both again and the pacing interval.
        #expect(watchdog.progress("ingest"))
        #expect(try listener.receive().text == "WATCHDOG=1")
        #expect(watchdog.waitingFor == ["ingest", "sealer"])
        usleep(60_000)
        #expect(!watchdog.progress("ingest"))
        #expect(watchdog.progress("sealer"))
        #expect(try listener.receive().text == "WATCHDOG=1")
    }

    @Test func withoutNotifySocketEverythingIsANoOp() {
        let notifier = SystemdNotifier(environment: [:], processID: 1)
        #expect(!notifier.isEnabled)
        #expect(notifier.addressProblem == nil)
        #expect(!notifier.ready())
        #expect(!notifier.status("x"))
        #expect(!notifier.watchdog())
        #expect(!notifier.stopping())
        #expect(notifier.sent == 0 && notifier.failed == 0)
        #expect(!SystemdNotifier.disabled.isEnabled)
        // A watchdog without a socket to send to is off too.
        let noSocket = SystemdNotifier(environment: ["WATCHDOG_USEC": "1000000"], processID: 1)
        #expect(!noSocket.isWatchdogEnabled)
        #expect(!noSocket.watchdog())
    }

    @Test func unusableSocketValuesAreReportedNotUsed() {
        for value in ["relative/path", "vsock:2:1234", "@", "/" + String(repeating: "x", count: 107)] {
            let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": value], processID: 1)
            #expect(!notifier.isEnabled, "\(value)")
            #expect(notifier.addressProblem != nil, "\(value)")
        }
        let longest = "/" + String(repeating: "x", count: 106)
        #expect(SystemdNotifier(environment: ["NOTIFY_SOCKET": longest], processID: 1).address == .path(longest))
    }

    @Test func aMissingListenerIsAFailedSendNotACrash() throws {
        let directory = try TemporaryDirectory.make(prefix: "notify")
        defer { try? FileManager.default.removeItem(at: directory) }
        let notifier = SystemdNotifier(
            environment: ["NOTIFY_SOCKET": directory.appendingPathComponent("nobody").path], processID: 1)
        #expect(notifier.isEnabled)
        #expect(!notifier.ready())
        #expect(notifier.failed == 1)
        #expect(notifier.lastError != nil)
    }

    @Test(
        arguments: [
            // (WATCHDOG_USEC, WATCHDOG_PID, our PID) -> timeout in microseconds
            ("30000000", nil, 42, 30_000_000),
            ("30000000", "42", 42, 30_000_000),
            ("30000000", "43", 42, nil),  // the watchdog is meant for another process
            ("30000000", "x", 42, nil),
            ("0", nil, 42, nil),
            ("-5", nil, 42, nil),
            ("12s", nil, 42, nil),
            ("", nil, 42, nil),
            ("1", nil, 42, 1),
        ] as [(String, String?, Int, Int64?)])
    func watchdogEnvironment(usec: String, pid: String?, processID: Int, expected: Int64?) {
        var environment = ["NOTIFY_SOCKET": "/run/systemd/notify", "WATCHDOG_USEC": usec]
        environment["WATCHDOG_PID"] = pid
        let notifier = SystemdNotifier(environment: environment, processID: processID)
        #expect(notifier.watchdogTimeout == expected.map { .microseconds($0) })
        #expect(notifier.watchdogInterval == expected.map { .microseconds($0) / 2 })
        #expect(notifier.isWatchdogEnabled == (expected != nil))
    }

    @Test func theTestProcessIsNotUnderSystemd() {
        // The convenience initializer reads this process's environment (never writes it unless
        // asked: unsetenv would race with other tests). Tests do not run under Type=notify.
        let notifier = SystemdNotifier()
        #expect(notifier.isEnabled == (getenv("NOTIFY_SOCKET") != nil))
    }
}

/// A Unix datagram socket that receives notifications like systemd's: `SO_PASSCRED` set, so
/// the kernel attaches the sender's PID, UID and GID to each message.
final class NotifySocket {
    /// `SCM_CREDENTIALS` (linux/socket.h).
    static let scmCredentials: Int32 = 2
    struct Message {
        var text: String
        var senderPID: pid_t
        var senderUID: uid_t
    }

    let fd: Int32
    /// The value for `$NOTIFY_SOCKET`.
    let environmentValue: String
    private let path: String?

    /// Binds a socket file at `path`.
    convenience init(path: String) throws {
        try self.init(name: Array(path.utf8), abstract: false, environmentValue: path, path: path)
    }

    /// Binds `name` in the abstract namespace.
    convenience init(abstract name: String) throws {
        try self.init(name: [0] + Array(name.utf8), abstract: true, environmentValue: "@" + name, path: nil)
    }

    private init(name: [UInt8], abstract: Bool, environmentValue: String, path: String?) throws {
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestSupportError("socket: \(String(cString: strerror(errno)))") }
        self.environmentValue = environmentValue
        self.path = path
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { $0.copyBytes(from: name) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + name.count + (abstract ? 0 : 1))
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else {
            close(fd)
            throw TestSupportError("bind \(environmentValue): \(String(cString: strerror(errno)))")
        }
        var on: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit {
        close(fd)
        if let path { unlink(path) }
    }

    /// The next datagram; throws when none arrives within `timeout` seconds.
    func receive(timeout: Double = 5) throws -> Message {
        guard let message = try next(within: timeout) else {
            throw TestSupportError("no notification within \(timeout) s")
        }
        return message
    }

    /// The next datagram, or `nil` when none arrives within `timeout` seconds.
    func next(within timeout: Double) throws -> Message? {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, Int32(timeout * 1000)) == 1 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        // Control buffer for one SCM_CREDENTIALS message: cmsghdr + struct ucred, aligned.
        var control = [UInt8](repeating: 0, count: 64)
        let received = buffer.withUnsafeMutableBytes { data in
            control.withUnsafeMutableBytes { ctl in
                var iov = iovec(iov_base: data.baseAddress, iov_len: data.count)
                return withUnsafeMutablePointer(to: &iov) { iovPointer in
                    var header = msghdr()
                    header.msg_iov = iovPointer
                    header.msg_iovlen = 1
                    header.msg_control = ctl.baseAddress
                    header.msg_controllen = ctl.count
                    let n = recvmsg(fd, &header, 0)
                    return (n, header.msg_controllen)
                }
            }
        }
        guard received.0 >= 0 else { throw TestSupportError("recvmsg: \(String(cString: strerror(errno)))") }
        let text = String(decoding: buffer[0..<received.0], as: UTF8.self)
        // struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; } then the data,
        // struct ucred { pid_t pid; uid_t uid; gid_t gid; } (Glibc hides both without _GNU_SOURCE).
        let headerSize = MemoryLayout<Int>.size + 2 * MemoryLayout<Int32>.size
        guard received.1 >= headerSize + 12 else {
            throw TestSupportError("no SCM_CREDENTIALS with the message")
        }
        return control.withUnsafeBytes { raw in
            let level = raw.loadUnaligned(fromByteOffset: MemoryLayout<Int>.size, as: Int32.self)
            let type = raw.loadUnaligned(fromByteOffset: MemoryLayout<Int>.size + 4, as: Int32.self)
            guard level == SOL_SOCKET, type == Self.scmCredentials else {
                return Message(text: text, senderPID: -1, senderUID: .max)
            }
            let pid = raw.loadUnaligned(fromByteOffset: headerSize, as: Int32.self)
            let uid = raw.loadUnaligned(fromByteOffset: headerSize + 4, as: UInt32.self)
            return Message(text: text, senderPID: pid, senderUID: uid)
        }
    }
}
