import EdgeLedgerSystem

/// A Unix datagram socket that receives notifications like systemd's: `SO_PASSCRED` set, so
/// the kernel attaches the sender's PID, UID and GID to each message.
public final class NotifySocket {
    /// `SCM_CREDENTIALS` (linux/socket.h).
    public static let scmCredentials: Int32 = 2
    public struct Message {
        public var text: String
        public var senderPID: pid_t
        public var senderUID: uid_t
    }

    public let fd: Int32
    /// The value for `$NOTIFY_SOCKET`.
    public let environmentValue: String
    private let path: String?

    /// Binds a socket file at `path`.
    public convenience init(path: String) throws {
        try self.init(name: Array(path.utf8), abstract: false, environmentValue: path, path: path)
    }

    /// Binds `name` in the abstract namespace.
    public convenience init(abstract name: String) throws {
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
    public func receive(timeout: Double = 5) throws -> Message {
        guard let message = try next(within: timeout) else {
            throw TestSupportError("no notification within \(timeout) s")
        }
        return message
    }

    /// The next datagram, or `nil` when none arrives within `timeout` seconds.
    public func next(within timeout: Double) throws -> Message? {
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
