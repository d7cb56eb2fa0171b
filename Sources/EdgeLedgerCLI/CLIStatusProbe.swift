import EdgeLedgerSystem

/// What `status` learns about the running agent without writing anything: who holds the
/// store's writer lock, and what the agent's HTTP API says.
enum CLIStatusProbe {
    // MARK: - Writer lock

    /// The PID of the process holding an exclusive `flock` on `lockPath` (the agent holds
    /// `<store>-writer.lock` while it runs), from `/proc/locks`; the lock itself is never
    /// touched, so a starting agent cannot be disturbed.
    ///
    /// - Returns: `.holder(pid)`, `.free`, or `.unknown` (no lock file, no /proc/locks).
    static func lockHolder(lockPath: String, procLocks: String = "/proc/locks") -> LockState {
        var info = stat()
        guard stat(lockPath, &info) == 0 else { return .unknown }
        guard let text = try? CLIFiles.readText(procLocks, what: "lock table", limit: 16 << 20) else {
            return .unknown
        }
        return holder(in: text, device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }

    enum LockState: Equatable {
        case holder(Int)
        case free
        case unknown
    }

    /// Parses `/proc/locks` lines such as `1: FLOCK  ADVISORY  WRITE 1234 fd:01:393218 0 EOF`
    /// for a granted (not waiting: `->`) FLOCK on device `device`, inode `inode`.
    static func holder(in text: String, device: UInt64, inode: UInt64) -> LockState {
        let major = ((device >> 8) & 0xfff) | ((device >> 32) & ~UInt64(0xfff))
        let minor = (device & 0xff) | ((device >> 12) & ~UInt64(0xff))
        for line in text.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 6, !fields.contains("->"), fields[1] == "FLOCK" else { continue }
            let id = fields[5].split(separator: ":")
            guard id.count == 3, let maj = UInt64(id[0], radix: 16), let min = UInt64(id[1], radix: 16),
                let ino = UInt64(id[2]), maj == major, min == minor, ino == inode,
                let pid = Int(fields[4])
            else { continue }
            return .holder(pid)
        }
        return .free
    }

    // MARK: - HTTP

    /// A response from the agent's API.
    struct Response {
        var status: Int
        var body: String
    }

    /// `GET http://host:port<path>` with HTTP/1.1 and `Connection: close`, at most `timeout`
    /// seconds in total; `token` goes in `Authorization: Bearer`.
    ///
    /// - Throws: ``CLIError`` saying why nothing usable came back (refused, timed out, …).
    static func get(
        host: String, port: UInt16, path: String, token: String?, timeout: Double
    ) throws(CLIError)
        -> Response
    {
        let deadline = SystemClock.monotonicSeconds() + timeout
        let fd = try connect(host: host, port: port, deadline: deadline)
        defer { close(fd) }
        let authority = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        var request = "GET \(path) HTTP/1.1\r\nHost: \(authority)\r\nUser-Agent: edge-ledger-status\r\n"
        request += "Accept: text/plain, application/json\r\nConnection: close\r\n"
        if let token { request += "Authorization: Bearer \(token)\r\n" }
        request += "\r\n"
        do {
            try CLIOutput.write(fd: fd, Array(request.utf8)[...])
        } catch {
            throw CLIError("cannot send the request: \(error)")
        }
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while received.count < 4 << 20 {
            let remaining = deadline - SystemClock.monotonicSeconds()
            guard remaining > 0 else { throw CLIError("no complete answer within \(timeout) s") }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(max(1, remaining * 1000)))
            if ready < 0 {
                if errno == EINTR { continue }
                throw CLIError("poll: \(String(cString: strerror(errno)))")
            }
            if ready == 0 { throw CLIError("no complete answer within \(timeout) s") }
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw CLIError("read: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            received.append(contentsOf: chunk[0..<n])
            if let response = parse(received, complete: false) { return response }
        }
        guard let response = parse(received, complete: true) else {
            throw CLIError("not an HTTP response")
        }
        return response
    }

    /// Parses an HTTP/1.x response; `nil` while incomplete (unless `complete`, when the
    /// connection closed and the body is whatever arrived).
    static func parse(_ bytes: [UInt8], complete: Bool) -> Response? {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = bytes.firstRange(of: separator) else { return nil }
        let head = String(decoding: bytes[..<end.lowerBound], as: UTF8.self)
        let lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        guard let statusLine = lines.first, statusLine.hasPrefix("HTTP/1."),
            let code = statusLine.split(separator: " ").dropFirst().first.flatMap({ Int($0) })
        else { return nil }
        var length: Int? = nil
        var chunked = false
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = CLIFormat.trim(line[line.index(after: colon)...])
            if name == "content-length" { length = Int(value) }
            if name == "transfer-encoding", value.lowercased().contains("chunked") { chunked = true }
        }
        let body = Array(bytes[end.upperBound...])
        if chunked {
            guard let decoded = dechunk(body) else { return complete ? Response(status: code, body: "") : nil }
            return Response(status: code, body: String(decoding: decoded, as: UTF8.self))
        }
        if let length {
            guard body.count >= length else { return complete ? Response(status: code, body: "") : nil }
            return Response(status: code, body: String(decoding: body.prefix(length), as: UTF8.self))
        }
        return complete ? Response(status: code, body: String(decoding: body, as: UTF8.self)) : nil
    }

    /// The body of a complete chunked transfer encoding, or `nil` when incomplete.
    static func dechunk(_ bytes: [UInt8]) -> [UInt8]? {
        var out: [UInt8] = []
        var i = 0
        while true {
            guard let lineEnd = bytes[i...].firstRange(of: [13, 10]) else { return nil }
            let sizeText = String(decoding: bytes[i..<lineEnd.lowerBound], as: UTF8.self)
            guard let size = Int(sizeText.split(separator: ";").first.map(String.init) ?? "", radix: 16) else {
                return nil
            }
            i = lineEnd.upperBound
            if size == 0 { return out }
            guard bytes.count >= i + size + 2 else { return nil }
            out.append(contentsOf: bytes[i..<(i + size)])
            i += size + 2
        }
    }

    /// A connected TCP socket to `host:port`, trying each address `getaddrinfo` gives.
    private static func connect(host: String, port: UInt16, deadline: Double) throws(CLIError) -> Int32 {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>? = nil
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            throw CLIError("cannot resolve \(host): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        var current: UnsafeMutablePointer<addrinfo>? = first
        while let info = current {
            current = info.pointee.ai_next
            let fd = socket(
                info.pointee.ai_family, info.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue),
                info.pointee.ai_protocol)
            guard fd >= 0 else { continue }
            let flags = fcntl(fd, F_GETFL)
            _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
            #if canImport(Glibc)
                var result = Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen)
            #elseif canImport(Musl)
                var result = Musl.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen)
            #else
                var result = Darwin.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen)
            #endif
            if result != 0, errno == EINPROGRESS {
                var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                let remaining = max(1, (deadline - SystemClock.monotonicSeconds()) * 1000)
                if poll(&poller, 1, Int32(remaining)) == 1 {
                    var error: Int32 = 0
                    var size = socklen_t(MemoryLayout<Int32>.size)
                    getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size)
                    result = error == 0 ? 0 : -1
                    errno = error
                } else {
                    result = -1
                    errno = ETIMEDOUT
                }
            }
            if result == 0 {
                _ = fcntl(fd, F_SETFL, flags)
                return fd
            }
            lastError = String(cString: strerror(errno))
            close(fd)
        }
        throw CLIError(lastError)
    }

    // MARK: - Metrics

    /// The broker connection from Prometheus text: the first sample of
    /// `edge_ledger_mqtt_connected` (or `edge_ledger_broker_connected`), 1 = connected.
    static func broker(fromMetrics text: String) -> CLIStatusReport.Broker {
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            for name in ["edge_ledger_mqtt_connected", "edge_ledger_broker_connected"] where line.hasPrefix(name) {
                var rest = line.dropFirst(name.count)
                if rest.first == "{" {
                    guard let close = rest.firstIndex(of: "}") else { continue }
                    rest = rest[rest.index(after: close)...]
                } else if rest.first != " " {
                    continue  // a longer metric name
                }
                // `name{labels} value [timestamp]`
                guard let valueText = rest.split(separator: " ").first, let value = Double(valueText) else { continue }
                return value >= 1 ? .connected : .disconnected
            }
        }
        return .unknown
    }
}
