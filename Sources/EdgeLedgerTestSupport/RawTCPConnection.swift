import Dispatch
import EdgeLedgerSystem

/// A plain TCP connection made with the socket API, for tests that play a hostile or slow
/// client: it can bind its source address (any of 127/8 on Linux, so that a test has several
/// "clients" on one machine), send a byte at a time and see when the server closes it.
public final class RawTCPConnection: @unchecked Sendable {
    /// The socket; -1 once closed.
    public private(set) var descriptor: Int32

    /// Connects from `source` (an IPv4 address, port chosen by the kernel) to `host`:`port`.
    ///
    /// - Throws: ``TestSupportError`` when the socket cannot be made, bound or connected.
    public init(to host: String = "127.0.0.1", port: Int, from source: String? = nil) throws {
        #if canImport(Glibc)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw TestSupportError("socket() failed: errno \(errno)") }
        descriptor = fd
        if let source {
            var local = RawTCPConnection.address(source, port: 0)
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
                }
            }
            guard bound else {
                close()
                throw TestSupportError("bind(\(source)) failed: errno \(errno)")
            }
        }
        var remote = RawTCPConnection.address(host, port: port)
        let connected = withUnsafePointer(to: &remote) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard connected else {
            close()
            throw TestSupportError("connect(\(host):\(port)) failed: errno \(errno)")
        }
    }

    deinit { close() }

    private static func address(_ host: String, port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr(host)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        return address
    }

    /// Sends `text` without blocking; returns false when the connection is gone (or the send
    /// buffer is full).
    @discardableResult
    public func send(_ text: String) -> Bool {
        guard descriptor >= 0 else { return false }
        let bytes = Array(text.utf8)
        let fd = descriptor
        #if canImport(Glibc)
            let flags = Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT)
            return bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, flags) } == bytes.count
        #else
            return bytes.withUnsafeBytes { Darwin.send(fd, $0.baseAddress, $0.count, MSG_DONTWAIT) } == bytes.count
        #endif
    }

    /// Reads until the server closes the connection or `timeout` passes; returns what arrived
    /// and whether the server closed it.
    public func readUntilClosed(timeout: Duration) -> (text: String, closed: Bool) {
        guard descriptor >= 0 else { return ("", true) }
        let deadline = ContinuousClock.now + timeout
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return (String(decoding: received, as: UTF8.self), false) }
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let (seconds, attoseconds) = left.components
            let milliseconds = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
            guard poll(&poller, 1, milliseconds) > 0 else { continue }
            let n = recv(descriptor, &buffer, buffer.count, 0)
            if n <= 0 { return (String(decoding: received, as: UTF8.self), true) }
            received.append(contentsOf: buffer[0..<n])
        }
    }

    /// ``readUntilClosed(timeout:)`` on a dispatch thread, so that waiting never blocks the
    /// Swift concurrency pool (which serves the HTTP server under test in the same process).
    public func readUntilClosed(timeout: Duration) async -> (text: String, closed: Bool) {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: self.readUntilClosed(timeout: timeout)) }
        }
    }

    /// Whether the server has closed the connection (waits up to `timeout` for it).
    public func isClosed(within timeout: Duration) async -> Bool { await readUntilClosed(timeout: timeout).closed }

    /// Closes the socket.
    public func close() {
        if descriptor >= 0 {
            #if canImport(Glibc)
                _ = Glibc.close(descriptor)
            #else
                _ = Darwin.close(descriptor)
            #endif
            descriptor = -1
        }
    }

    /// Sends a `GET path` with `Connection: close` from `source` and returns the status line and
    /// how long the exchange took (status 0 when the server closed without answering or did not
    /// answer within `timeout`).
    public static func get(
        _ path: String, port: Int, from source: String? = nil, headers: String = "", timeout: Duration = .seconds(5)
    ) async throws -> (status: Int, elapsed: Duration) {
        let start = ContinuousClock.now
        let connection = try RawTCPConnection(port: port, from: source)
        connection.send("GET \(path) HTTP/1.1\r\nHost: localhost\r\n\(headers)Connection: close\r\n\r\n")
        let (text, _) = await connection.readUntilClosed(timeout: timeout)
        let elapsed = ContinuousClock.now - start
        let fields = text.prefix { $0 != "\r" }.split(separator: " ")
        let status = fields.count >= 2 ? Int(fields[1]) ?? 0 : 0
        return (status, elapsed)
    }
}
