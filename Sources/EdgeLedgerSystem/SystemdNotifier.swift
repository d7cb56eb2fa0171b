import EdgeLedgerCore
import Synchronization

/// The systemd service notification protocol (`sd_notify(3)`), without libsystemd.
///
/// Under `Type=notify`, systemd passes the path of a Unix datagram socket in `$NOTIFY_SOCKET`
/// (a file path, or an abstract socket name written with a leading `@`). The service sends it
/// newline-separated `NAME=value` assignments: `READY=1` when start-up is complete,
/// `STATUS=` with a one-line state for `systemctl status`, `WATCHDOG=1` to prove it is alive,
/// `RELOADING=1` and `STOPPING=1` around a reload and on shutdown.
///
/// When `$NOTIFY_SOCKET` is unset (run by hand, in tests, or under another supervisor) every
/// call is a cheap no-op, so callers never need to check ``isEnabled``.
///
/// Sending never blocks: a datagram systemd cannot take right now is dropped (and reported by
/// the return value), because a stalled notification must not stall ingest. Status messages are
/// advisory and ``watchdog()`` sends again at the next opportunity.
///
/// The watchdog: when the unit sets `WatchdogSec=`, systemd exports `$WATCHDOG_USEC` (and
/// `$WATCHDOG_PID`). ``watchdogInterval`` is half of it. Call ``watchdog()`` from the loop
/// whose progress proves the service healthy, as often as it turns: it sends `WATCHDOG=1` at
/// most once per ``watchdogInterval``, so a loop that stops turning stops the pings and systemd
/// restarts the service after `WatchdogSec=`. ``SystemdProgressWatchdog`` does the same for
/// several loops that must all be turning.
public final class SystemdNotifier: Sendable {
    /// Where notifications go.
    public enum Address: Sendable, Hashable, CustomStringConvertible {
        /// A socket file, e.g. `/run/systemd/notify`.
        case path(String)
        /// A socket in the abstract namespace (`$NOTIFY_SOCKET` starting with `@`); the name
        /// excludes the `@`.
        case abstract(String)

        public var description: String {
            switch self {
            case .path(let path): path
            case .abstract(let name): "@" + name
            }
        }
    }

    /// The notification socket, or `nil` when not running under `Type=notify`.
    public let address: Address?
    /// Why `$NOTIFY_SOCKET` was set but is not usable (e.g. a relative path), for a log line.
    public let addressProblem: String?
    /// `$WATCHDOG_USEC`: systemd restarts the service when no `WATCHDOG=1` arrives for this
    /// long. `nil` when the watchdog is off, or when it belongs to another process
    /// (`$WATCHDOG_PID` names a different PID).
    public let watchdogTimeout: Duration?
    /// How often to send `WATCHDOG=1`: half of ``watchdogTimeout``, or `nil` when the watchdog
    /// is off.
    public let watchdogInterval: Duration?

    private let lastWatchdog: Mutex<ContinuousClock.Instant?>
    private let sentCount: Atomic<Int>
    private let failedCount: Atomic<Int>

    /// Whether notifications are sent (`$NOTIFY_SOCKET` names a usable socket).
    public var isEnabled: Bool { address != nil }

    /// Whether systemd expects `WATCHDOG=1` from this process.
    public var isWatchdogEnabled: Bool { address != nil && watchdogInterval != nil }

    /// Datagrams sent so far.
    public var sent: Int { sentCount.load(ordering: .relaxed) }

    /// Datagrams that could not be sent so far.
    public var failed: Int { failedCount.load(ordering: .relaxed) }

    /// A notifier for this process, from its environment.
    ///
    /// - Parameter unsetEnvironment: remove `NOTIFY_SOCKET`, `WATCHDOG_USEC` and
    ///   `WATCHDOG_PID` from the environment (like `sd_notify`'s `unset_environment`), so that
    ///   child processes do not inherit them. `unsetenv` is not thread-safe: pass `true` only
    ///   before other threads start, e.g. first thing in `run`.
    public convenience init(unsetEnvironment: Bool = false) {
        var environment: [String: String] = [:]
        for name in Self.environmentNames {
            if let value = getenv(name) { environment[name] = String(cString: value) }
        }
        self.init(environment: environment, processID: Int(getpid()))
        if unsetEnvironment {
            for name in Self.environmentNames { unsetenv(name) }
        }
    }

    /// A notifier configured from `environment` as if it were the environment of process
    /// `processID` (for tests, and for callers that captured the environment earlier).
    public init(environment: [String: String], processID: Int) {
        let parsed = Self.parseAddress(environment["NOTIFY_SOCKET"])
        address = parsed.address
        addressProblem = parsed.problem
        let timeout = Self.parseWatchdog(
            usec: environment["WATCHDOG_USEC"], pid: environment["WATCHDOG_PID"], processID: processID)
        watchdogTimeout = timeout
        watchdogInterval = timeout.map { $0 / 2 }
        lastWatchdog = Mutex(nil)
        sentCount = Atomic(0)
        failedCount = Atomic(0)
    }

    /// A notifier that sends nothing.
    public static var disabled: SystemdNotifier { SystemdNotifier(environment: [:], processID: 0) }

    /// The environment variables systemd sets for the protocol.
    public static let environmentNames = ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"]

    // MARK: - Messages

    /// `READY=1`, with an optional `STATUS=`: start-up is complete. systemd holds back units
    /// ordered after this one, and `systemctl start` waits, until it arrives.
    @discardableResult
    public func ready(status: String? = nil) -> Bool {
        send(["READY=1"] + (status.map { ["STATUS=" + Self.oneLine($0)] } ?? []))
    }

    /// `STATUS=` with `text` on one line: what `systemctl status` shows.
    @discardableResult
    public func status(_ text: String) -> Bool {
        send(["STATUS=" + Self.oneLine(text)])
    }

    /// `WATCHDOG=1` if ``watchdogInterval`` has passed since the last one (or none was sent
    /// yet); otherwise nothing. Call it from the loop whose progress proves the service works,
    /// as often as it turns.
    ///
    /// - Returns: `true` when a ping was sent.
    @discardableResult
    public func watchdog() -> Bool {
        guard let interval = watchdogInterval, address != nil else { return false }
        let now = ContinuousClock.now
        let due = lastWatchdog.withLock { last -> Bool in
            if let previous = last, now - previous < interval { return false }
            last = now
            return true
        }
        guard due else { return false }
        if send(["WATCHDOG=1"]) { return true }
        lastWatchdog.withLock { $0 = nil }  // try again at the next call
        return false
    }

    /// `WATCHDOG=1` now, regardless of pacing (e.g. right after a long, legitimate pause).
    @discardableResult
    public func watchdogNow() -> Bool {
        guard watchdogInterval != nil, address != nil else { return false }
        lastWatchdog.withLock { $0 = ContinuousClock.now }
        return send(["WATCHDOG=1"])
    }

    /// `RELOADING=1` with `MONOTONIC_USEC=` (systemd ≥ 253 checks it for `Type=notify-reload`):
    /// a reload started. Send ``ready(status:)`` when it is done.
    @discardableResult
    public func reloading(status: String? = nil) -> Bool {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        let usec = UInt64(ts.tv_sec) * 1_000_000 + UInt64(ts.tv_nsec) / 1000
        return send(
            ["RELOADING=1", "MONOTONIC_USEC=\(usec)"] + (status.map { ["STATUS=" + Self.oneLine($0)] } ?? []))
    }

    /// `STOPPING=1`, with an optional `STATUS=`: shutdown started (systemd shows
    /// "deactivating" and stops expecting watchdog pings).
    @discardableResult
    public func stopping(status: String? = nil) -> Bool {
        send(["STOPPING=1"] + (status.map { ["STATUS=" + Self.oneLine($0)] } ?? []))
    }

    /// `EXTEND_TIMEOUT_USEC=`: ask systemd for `duration` more before the start, stop or
    /// watchdog timeout fires (a long final seal, a long store check at start).
    @discardableResult
    public func extendTimeout(by duration: Duration) -> Bool {
        send(["EXTEND_TIMEOUT_USEC=\(Self.microseconds(duration))"])
    }

    /// Sends `assignments` (each `NAME=value`, no newlines inside) as one datagram.
    ///
    /// - Returns: `true` when it was sent, `false` when notifications are off or sending
    ///   failed (counted in ``failed``; see ``lastError``).
    @discardableResult
    public func send(_ assignments: [String]) -> Bool {
        guard let address else { return false }
        let message = assignments.joined(separator: "\n")
        switch Self.sendDatagram(Array(message.utf8), to: address) {
        case nil:
            sentCount.add(1, ordering: .relaxed)
            return true
        case let code?:
            failedCount.add(1, ordering: .relaxed)
            lastErrno.store(code, ordering: .relaxed)
            return false
        }
    }

    private let lastErrno = Atomic<Int32>(0)

    /// The reason the last failed send failed (`strerror`), if any failed.
    public var lastError: String? {
        let code = lastErrno.load(ordering: .relaxed)
        return code == 0 ? nil : String(cString: strerror(code))
    }

    // MARK: - Parsing

    /// The socket address in a `$NOTIFY_SOCKET` value, or why it cannot be used.
    ///
    /// Accepted: an absolute path, or `@name` for the abstract namespace; at most 107 bytes
    /// (`sun_path` minus its terminator). `vsock:` addresses (systemd ≥ 254, for VMs) are not
    /// supported.
    static func parseAddress(_ value: String?) -> (address: Address?, problem: String?) {
        guard let value, !value.isEmpty else { return (nil, nil) }
        let limit = Self.maximumPathBytes
        if value.hasPrefix("@") {
            let name = String(value.dropFirst())
            guard !name.isEmpty else { return (nil, "NOTIFY_SOCKET=@ names no abstract socket") }
            guard name.utf8.count <= limit else {
                return (nil, "NOTIFY_SOCKET is longer than \(limit) bytes")
            }
            return (.abstract(name), nil)
        }
        guard value.hasPrefix("/") else {
            return (nil, "NOTIFY_SOCKET=\(value) is neither an absolute path nor @name (vsock is not supported)")
        }
        guard value.utf8.count <= limit else {
            return (nil, "NOTIFY_SOCKET is longer than \(limit) bytes")
        }
        return (.path(value), nil)
    }

    /// The watchdog timeout from `$WATCHDOG_USEC` (a positive decimal integer of
    /// microseconds), unless `$WATCHDOG_PID` names another process than `processID`.
    static func parseWatchdog(usec: String?, pid: String?, processID: Int) -> Duration? {
        guard let usec, let value = UInt64(usec), value > 0, value < UInt64(Int64.max) else { return nil }
        if let pid {
            guard let owner = Int(pid), owner > 0, owner == processID else { return nil }
        }
        return .microseconds(Int64(value))
    }

    /// `text` on one line: line breaks become spaces (a newline would end the assignment).
    static func oneLine(_ text: String) -> String {
        var out = ""
        out.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            out.unicodeScalars.append(scalar == "\n" || scalar == "\r" ? " " : scalar)
        }
        return out
    }

    /// Whole microseconds in `duration` (rounded down, at least 0).
    static func microseconds(_ duration: Duration) -> UInt64 {
        UInt64(max(0, duration.microsecondsClamped))
    }

    /// `sun_path` holds 108 bytes; a path needs its terminating NUL, an abstract name its
    /// leading NUL.
    static let maximumPathBytes = MemoryLayout<sockaddr_un>.size - MemoryLayout<sa_family_t>.size - 1

    // MARK: - Socket

    /// Sends one datagram to `address` from a fresh socket; returns `errno` on failure.
    static func sendDatagram(_ bytes: [UInt8], to address: Address) -> Int32? {
        #if canImport(Glibc) || canImport(Musl)
            let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #else
            let fd = socket(AF_UNIX, SOCK_DGRAM, 0)
        #endif
        guard fd >= 0 else { return errno }
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let name: [UInt8]
        switch address {
        case .path(let path): name = Array(path.utf8)
        case .abstract(let abstract): name = [0] + Array(abstract.utf8)
        }
        guard name.count <= maximumPathBytes + (address.isAbstract ? 1 : 0) else { return ENAMETOOLONG }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            raw.copyBytes(from: name)
        }
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path) ?? MemoryLayout<sa_family_t>.size
        // A file path is NUL-terminated (the zeroed sun_path provides it); an abstract name is
        // exactly its bytes, and trailing NULs would be part of the name.
        let length = socklen_t(pathOffset + name.count + (address.isAbstract ? 0 : 1))
        #if canImport(Glibc) || canImport(Musl)
            let flags = Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT)
        #else
            let flags = Int32(MSG_DONTWAIT)
        #endif
        while true {
            let n = withUnsafePointer(to: &addr) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                    bytes.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, flags, sa, length) }
                }
            }
            if n >= 0 { return nil }
            if errno == EINTR { continue }
            return errno
        }
    }
}

extension SystemdNotifier.Address {
    /// Whether this is an abstract-namespace socket.
    public var isAbstract: Bool {
        if case .abstract = self { return true }
        return false
    }
}
