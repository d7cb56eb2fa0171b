import EdgeLedgerSystem
import Foundation

/// A private `mosquitto` broker on a free loopback port, for tests, benchmarks and the demo.
///
/// It keeps persistent sessions in memory only (no persistence file): restarting it with
/// `restart()` keeps the port, and sessions are lost as with a real broker restart without
/// persistence unless `persistence` is set.
public final class MosquittoBroker: @unchecked Sendable {
    // @unchecked: mutated only by the test that owns it, from one task at a time.

    /// The TCP port on 127.0.0.1.
    public let port: Int
    /// Directory holding the broker's config, log and persistence file (removed with the broker).
    public var directory: URL { folder.url }
    private let folder: TemporaryFolder
    private var process: ChildProcess?
    private let persistence: Bool
    /// The listener's TLS, when it speaks TLS.
    public let tls: TLSListener?

    /// Starts `mosquitto` (searched in PATH and /usr/sbin) on a free port; with `tls`, the
    /// listener speaks only TLS.
    public init(persistence: Bool = true, tls: TLSListener? = nil) throws {
        self.port = try FreePort.find()
        self.persistence = persistence
        self.tls = tls
        self.folder = try TemporaryFolder(prefix: "mosquitto")
        try start()
    }

    deinit { stop() }

    /// The broker binary: `EDGE_LEDGER_MOSQUITTO` when set (e.g. a newer mosquitto built
    /// locally), else the first `mosquitto` in the usual directories.
    private static func executable() throws -> String {
        if let path = ProcessInfo.processInfo.environment["EDGE_LEDGER_MOSQUITTO"], !path.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: path) else {
                throw TestSupportError("EDGE_LEDGER_MOSQUITTO=\(path) is not an executable")
            }
            return path
        }
        for dir in ["/usr/sbin", "/usr/local/sbin", "/usr/bin", "/usr/local/bin"] {
            let path = dir + "/mosquitto"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw TestSupportError("mosquitto is not installed; run scripts/setup.sh")
    }

    /// The broker's version as `(major, minor, patch)`, from `mosquitto -h`; `nil` if unknown.
    /// (mosquitto sends MQTT 5 DISCONNECT 0x8E "session taken over" only from 2.0.15 on.)
    public static func version() -> (Int, Int, Int)? {
        guard let path = try? executable() else { return nil }
        let folder = try? TemporaryFolder(prefix: "mosquitto-version")
        guard let folder,
            let process = try? ChildProcess(executable: path, arguments: ["-h"], outputFile: folder.file("h"))
        else { return nil }
        _ = process.wait(timeout: 10)
        guard let text = try? String(contentsOfFile: folder.file("h"), encoding: .utf8),
            let range = text.range(of: "mosquitto version ")
        else { return nil }
        let numbers = text[range.upperBound...].prefix { $0.isNumber || $0 == "." }.split(separator: ".").compactMap {
            Int($0)
        }
        guard numbers.count >= 3 else { return nil }
        return (numbers[0], numbers[1], numbers[2])
    }

    /// Starts the broker process (again) and waits until it accepts connections.
    public func start() throws {
        let conf = directory.appendingPathComponent("mosquitto.conf")
        var text = """
            listener \(port) 127.0.0.1
            allow_anonymous true
            max_queued_messages 1000000
            max_inflight_messages 1000
            log_dest file \(directory.path)/mosquitto.log
            log_type error
            log_type warning
            """
        if let tls { text += try tls.configuration(in: directory) }
        if persistence {
            text += "\npersistence true\npersistence_location \(directory.path)/\nautosave_interval 1\n"
        }
        try text.write(to: conf, atomically: true, encoding: .utf8)
        // Run as root, mosquitto drops to its own user: let it write its log and persistence.
        chmod(directory.path, 0o777)
        process = try ChildProcess(
            executable: try Self.executable(), arguments: ["-c", conf.path],
            outputFile: directory.appendingPathComponent("stdout.log").path)
        try FreePort.waitUntilListening(port: port, timeout: 10)
    }

    /// Stops the broker (SIGTERM, which also saves persistence) and waits for it to exit.
    public func stop() {
        guard let p = process else { return }
        p.signal(SIGTERM)
        if p.wait(timeout: 10) == nil {
            p.signal(SIGKILL)
            p.wait(timeout: 5)
        }
        process = nil
    }

    /// Stops and starts the broker on the same port.
    public func restart() throws {
        stop()
        try start()
    }
}
