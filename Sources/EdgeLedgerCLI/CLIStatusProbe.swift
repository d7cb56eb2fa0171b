import EdgeLedgerSystem

/// What `status` learns about the running agent without writing anything or asking it: who
/// holds the store's writer lock. (What the agent says comes from ``CLIAgentQuery``.)
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
}
