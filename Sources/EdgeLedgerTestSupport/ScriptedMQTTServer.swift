import EdgeLedgerSystem
import Foundation

/// A scripted MQTT 5 "server" on a free loopback port, for what a real broker at hand does not
/// send: it accepts connections one after another, reads the CONNECT, answers with a successful
/// MQTT 5 CONNACK, writes `afterConnect` (e.g. a DISCONNECT with a reason code) and closes.
public final class ScriptedMQTTServer: @unchecked Sendable {
    // @unchecked: `listener` is written once in init and closed in deinit; the thread only reads it.

    /// The TCP port on 127.0.0.1.
    public let port: Int
    private let listener: Int32

    /// Listens and starts serving connections on a thread of its own.
    public init(afterConnect: [UInt8]) throws {
        port = try FreePort.find()
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestSupportError("socket() failed") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, 8) == 0 else {
            close(fd)
            throw TestSupportError("cannot listen on 127.0.0.1:\(port)")
        }
        listener = fd
        let script = afterConnect
        Thread.detachNewThread {
            while true {
                let client = accept(fd, nil, nil)
                guard client >= 0 else { return }
                Self.serve(client, script)
            }
        }
    }

    deinit {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private static func serve(_ fd: Int32, _ script: [UInt8]) {
        defer { close(fd) }
        // Fixed header: packet type, then the remaining length (variable-length integer).
        var byte: UInt8 = 0
        guard read(fd, &byte, 1) == 1, byte >> 4 == 1 else { return }
        var remaining = 0
        var shift = 0
        repeat {
            guard read(fd, &byte, 1) == 1 else { return }
            remaining |= Int(byte & 0x7F) << shift
            shift += 7
        } while byte & 0x80 != 0 && shift < 28
        var body = [UInt8](repeating: 0, count: remaining)
        var got = 0
        while got < remaining {
            let n = body.withUnsafeMutableBytes { read(fd, $0.baseAddress! + got, remaining - got) }
            guard n > 0 else { return }
            got += n
        }
        // CONNACK: no session present, reason code 0, no properties.
        let reply: [UInt8] = [0x20, 0x03, 0x00, 0x00, 0x00] + script
        _ = reply.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        usleep(200_000)
    }
}
