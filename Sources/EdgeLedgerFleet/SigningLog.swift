import EdgeLedgerSystem
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// When each checkpoint was signed, per gateway: CSV lines `origin,size,signed_at_ns` (Unix
/// nanoseconds, the same clock the upstream writes `checkpoints.verified_at` with), buffered and
/// written by ``flush()`` (the simulator flushes every second). `bench-fleet.sh` loads the file
/// into PostgreSQL and joins it with the upstream's verified checkpoints to get the lag from
/// signing at the gateway to verification upstream.
final class SigningLog: Sendable {
    private let file: Mutex<UnsafeMutablePointer<FILE>?>
    private let buffer = Mutex<[UInt8]>([])

    /// Opens (truncates) `path`; `nil` keeps no log.
    init(path: String?) throws {
        guard let path else {
            file = Mutex(nil)
            return
        }
        guard let handle = fopen(path, "w") else {
            throw FleetError("cannot open the signing log \(path): errno \(errno)")
        }
        file = Mutex(handle)
    }

    /// Records that `origin` signed a checkpoint of `size` at `time` (Unix ns).
    func record(origin: String, size: UInt64, time: Int64) {
        let line = "\(origin),\(size),\(time)\n"
        buffer.withLock { $0.append(contentsOf: line.utf8) }
    }

    /// Writes what was recorded since the last flush.
    func flush() {
        let pending = buffer.withLock { b -> [UInt8] in
            defer { b.removeAll(keepingCapacity: true) }
            return b
        }
        guard !pending.isEmpty else { return }
        file.withLock { handle in
            guard let handle else { return }
            pending.withUnsafeBytes { _ = fwrite($0.baseAddress, 1, $0.count, handle) }
            fflush(handle)
        }
    }
}

/// A problem that stops the simulator (bad options, an unwritable file).
struct FleetError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
