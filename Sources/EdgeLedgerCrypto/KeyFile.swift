import EdgeLedgerCore
import EdgeLedgerSystem

/// Private key files: PKCS#8 PEM, mode 0600, never overwritten.
///
/// Uses POSIX `open`/`fstat`/`read`/`write` directly so that the mode is checked on the file
/// actually opened and a new file never exists with a wider mode, not even briefly.
public enum KeyFile {
    /// Largest key file accepted; PEM keys are well under 1 KiB.
    static let maxSize = 64 * 1024

    /// Loads the private key at `path`.
    ///
    /// - Throws: `CryptoError` when the file cannot be read, when it is readable or writable by
    ///   group or others (the hint says `chmod 600 PATH`), or when it is not a supported key.
    public static func load(path: String) throws(CryptoError) -> PrivateKey {
        var bytes = try readPrivate(path: path)
        defer { wipe(&bytes) }
        do {
            return try PrivateKey(pem: String(decoding: bytes, as: UTF8.self))
        } catch {
            throw CryptoError("private key file \(path): \(error.message)", hint: error.hint)
        }
    }

    /// Writes `key` as PKCS#8 PEM to a new file at `path` with mode 0600.
    ///
    /// - Throws: `CryptoError` when `path` already exists (keys are never overwritten) or the
    ///   file cannot be written; a partly written file is removed.
    public static func save(_ key: PrivateKey, to path: String) throws(CryptoError) {
        var bytes = Array(key.pem.utf8)
        defer { wipe(&bytes) }
        try writeNew(path: path, bytes: bytes, mode: 0o600)
    }

    /// Reads a file that holds a secret, refusing it when group or others have any access.
    static func readPrivate(path: String) throws(CryptoError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            throw CryptoError(
                "cannot open private key file \(path): \(String(cString: strerror(code)))",
                hint: code == ENOENT ? "create a key with edge-ledger keygen" : nil)
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw CryptoError("cannot stat private key file \(path): \(errnoText())")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw CryptoError("private key path \(path) is not a regular file")
        }
        let mode = info.st_mode & 0o7777
        guard mode & 0o077 == 0 else {
            throw CryptoError(
                "private key file \(path) is accessible by group or others (mode \(octal(mode)))",
                hint: "restrict it to its owner: chmod 600 \(path)")
        }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        defer { wipe(&chunk) }
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                wipe(&out)
                throw CryptoError("cannot read private key file \(path): \(errnoText())")
            }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<n])
            if out.count > maxSize {
                wipe(&out)
                throw CryptoError("private key file \(path) is larger than \(maxSize) bytes; not a key")
            }
        }
        return out
    }

    /// Creates `path` exclusively with `mode`, writes `bytes`, and syncs file and directory.
    static func writeNew(path: String, bytes: [UInt8], mode: mode_t) throws(CryptoError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else {
            let code = errno
            if code == EEXIST {
                throw CryptoError(
                    "key file \(path) already exists; refusing to overwrite it",
                    hint: "keep the existing key, or move it away first if you really mean to replace it")
            }
            throw CryptoError("cannot create key file \(path): \(String(cString: strerror(code)))")
        }
        var failure: CryptoError? = nil
        // The umask may have removed bits but never adds any; make the mode exact anyway.
        if fchmod(fd, mode) != 0 {
            failure = CryptoError("cannot set mode \(octal(mode)) on \(path): \(errnoText())")
        }
        var offset = 0
        while failure == nil && offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                failure = CryptoError("cannot write key file \(path): \(errnoText())")
            } else {
                offset += n
            }
        }
        if failure == nil && fsync(fd) != 0 {
            failure = CryptoError("cannot sync key file \(path): \(errnoText())")
        }
        if close(fd) != 0 && failure == nil {
            failure = CryptoError("cannot close key file \(path): \(errnoText())")
        }
        if let failure {
            unlink(path)
            throw failure
        }
        syncDirectory(of: path)
    }

    /// Best effort: make the new directory entry durable.
    private static func syncDirectory(of path: String) {
        let dir: String
        if let slash = path.lastIndex(of: "/") {
            dir = slash == path.startIndex ? "/" : String(path[..<slash])
        } else {
            dir = "."
        }
        let fd = open(dir, O_RDONLY | O_CLOEXEC)
        if fd >= 0 {
            _ = fsync(fd)
            close(fd)
        }
    }

    /// Overwrites `bytes` with zeros before they are released (best effort).
    static func wipe(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress else { return }
            memset(base, 0, raw.count)
        }
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }

    private static func octal(_ mode: mode_t) -> String {
        let s = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - s.count)) + s
    }
}
