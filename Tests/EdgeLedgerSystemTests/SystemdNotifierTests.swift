import EdgeLedgerTestSupport
import Foundation
import Testing

@testable import EdgeLedgerSystem

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
