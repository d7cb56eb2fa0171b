import Synchronization

/// Whole-file reads and atomic replacement (blocking: call them on a thread pool, never on an
/// event loop).
extension FileSystem {
    private static let temporaryCounter = Atomic<UInt64>(0)

    /// The bytes of the file at `path`, or `nil` when it does not exist; at most `limit` bytes.
    ///
    /// - Throws: the reason (`strerror`) when it exists but cannot be read, or is larger than
    ///   `limit`.
    public static func readContents(_ path: String, limit: Int) throws(FileSystemError) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw FileSystemError(path: path, "cannot open", errno: errno)
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw FileSystemError(path: path, "cannot stat", errno: errno) }
        let size = Int(st.st_size)
        guard size <= limit else {
            throw FileSystemError(path: path, "is \(size) bytes, more than the \(limit) expected")
        }
        var out = [UInt8](repeating: 0, count: size)
        var offset = 0
        while offset < size {
            let n = out.withUnsafeMutableBytes { read(fd, $0.baseAddress! + offset, size - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileSystemError(path: path, "cannot read", errno: errno)
            }
            if n == 0 { break }  // shrank meanwhile: return what is there, the caller checks it
            offset += n
        }
        if offset < size { out.removeLast(size - offset) }
        return out
    }

    /// Replaces (or creates) the file at `path` with `bytes` atomically: written to a temporary
    /// file beside it, `fsync`ed, renamed over `path`, and the directory synced. A reader sees
    /// the old file or the whole new one, never a part; a crash leaves at most a temporary file
    /// (named `<path>.tmp-<pid>-<n>`).
    ///
    /// - Parameters:
    ///   - mode: the new file's permissions, narrowed by the process's umask unless `exactMode`.
    ///   - exactMode: give the file exactly `mode` (a file other tools read, whose mode the
    ///     operator expects whatever the umask).
    /// - Throws: what failed, naming the file; the temporary file is removed.
    public static func replaceAtomically(
        _ path: String, with bytes: UnsafeRawBufferPointer, mode: UInt16 = 0o644, exactMode: Bool = false
    ) throws(FileSystemError) {
        let temporary = "\(path).tmp-\(getpid())-\(temporaryCounter.add(1, ordering: .relaxed).newValue)"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(mode))
        guard fd >= 0 else { throw FileSystemError(path: temporary, "cannot create", errno: errno) }
        var failure: FileSystemError? = nil
        if exactMode, fchmod(fd, mode_t(mode)) != 0 {
            failure = FileSystemError(path: temporary, "cannot set the mode of", errno: errno)
        }
        var offset = 0
        while failure == nil, offset < bytes.count {
            let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                failure = FileSystemError(path: temporary, "cannot write", errno: errno)
            } else {
                offset += n
            }
        }
        if failure == nil, fsync(fd) != 0 { failure = FileSystemError(path: temporary, "cannot sync", errno: errno) }
        if close(fd) != 0, failure == nil { failure = FileSystemError(path: temporary, "cannot close", errno: errno) }
        if failure == nil, rename(temporary, path) != 0 {
            failure = FileSystemError(path: path, "cannot rename \(temporary) to", errno: errno)
        }
        if let failure {
            unlink(temporary)
            throw failure
        }
        syncDirectory(of: path)
    }

    /// `fsync` of the directory holding `path` (makes a rename durable); errors are ignored.
    public static func syncDirectory(of path: String) {
        let directory = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let dfd = open(directory.isEmpty ? (path.hasPrefix("/") ? "/" : ".") : directory, O_RDONLY | O_CLOEXEC)
        guard dfd >= 0 else { return }
        _ = fsync(dfd)
        close(dfd)
    }
}

/// A file could not be read or written: which file, what, and why.
public struct FileSystemError: Error, Sendable, CustomStringConvertible {
    /// The file.
    public var path: String
    /// What failed and why, e.g. `cannot write /x/y: No space left on device`.
    public var description: String

    /// An error about `path`: `<what> <path>` and, with an `errno`, its `strerror`.
    public init(path: String, _ what: String, errno code: Int32? = nil) {
        self.path = path
        if let code {
            self.description = "\(what) \(path): \(String(cString: strerror(code)))"
        } else {
            self.description = "\(path) \(what)"
        }
    }
}
