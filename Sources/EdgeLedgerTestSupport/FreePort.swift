import EdgeLedgerSystem
import Foundation

/// Loopback port helpers for tests that start servers.
public enum FreePort {
    /// A TCP port on 127.0.0.1 that was free a moment ago (bound, then closed).
    ///
    /// Chosen below Linux's ephemeral range (32768–60999): a port from that range can be taken
    /// by any outgoing connection in the meantime (the agent's own MQTT socket, say) before the
    /// server that was given it binds.
    public static func find() throws -> Int {
        for _ in 0..<200 {
            let port = Int.random(in: 20_000..<32_000)
            if try canBind(port: port) { return port }
        }
        throw TestSupportError("no free loopback port between 20000 and 32000")
    }

    private static func canBind(port: Int) throws -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestSupportError("socket() failed") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        let len = socklen_t(MemoryLayout<sockaddr_in>.size)
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 }
        }
    }

    /// Waits until something accepts TCP connections on 127.0.0.1:`port`.
    public static func waitUntilListening(port: Int, timeout: Double) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if canConnect(port: port) { return }
            usleep(20_000)
        }
        throw TestSupportError("nothing listens on 127.0.0.1:\(port) after \(timeout)s")
    }

    /// True if a TCP connection to 127.0.0.1:`port` succeeds now.
    public static func canConnect(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
