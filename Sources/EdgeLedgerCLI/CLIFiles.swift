import EdgeLedgerSystem

/// File-system helpers on plain POSIX calls (no Foundation).
enum CLIFiles {
    /// Whether anything (file, directory, dangling symbolic link) exists at `path`.
    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// Whether `path` is a directory (following symbolic links).
    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }

    /// The permission bits of `path`, or `nil` when it cannot be stat'ed.
    static func mode(_ path: String) -> mode_t? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return info.st_mode & 0o7777
    }

    /// Creates directory `path` with `mode` (and missing parents with the default mode).
    ///
    /// - Returns: `true` when the directory was created, `false` when it already existed.
    /// - Throws: ``CLIError`` when `path` exists but is not a directory, or cannot be created.
    @discardableResult
    static func makeDirectory(_ path: String, mode: mode_t) throws(CLIError) -> Bool {
        if isDirectory(path) { return false }
        if exists(path) {
            throw CLIError("\(path) exists and is not a directory", hint: "choose another directory")
        }
        let parent = directory(of: path)
        if parent != path, !isDirectory(parent) {
            try makeDirectory(parent, mode: 0o755)
        }
        guard mkdir(path, mode) == 0 else {
            let code = errno
            if code == EEXIST, isDirectory(path) { return false }
            throw CLIError(
                "cannot create directory \(path): \(String(cString: strerror(code)))",
                hint: code == EACCES ? "run as a user that may write to \(parent), or choose another directory" : nil)
        }
        // The umask may have removed bits; make the mode exact.
        _ = chmod(path, mode)
        return true
    }

    /// Creates `path` (which must not exist) with `mode`, writes `bytes`, and syncs it.
    ///
    /// - Throws: ``CLIError`` when `path` exists (nothing is overwritten) or cannot be written;
    ///   a partly written file is removed.
    static func writeNewFile(_ path: String, _ bytes: [UInt8], mode: mode_t) throws(CLIError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else {
            let code = errno
            if code == EEXIST {
                throw CLIError(
                    "\(path) already exists; refusing to overwrite it",
                    hint: "move it away first, or choose another path")
            }
            throw CLIError("cannot create \(path): \(String(cString: strerror(code)))")
        }
        var failure: CLIError? = nil
        if fchmod(fd, mode) != 0 {
            failure = CLIError("cannot set the mode of \(path): \(String(cString: strerror(errno)))")
        }
        var offset = 0
        while failure == nil, offset < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                #if canImport(Glibc)
                    Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                #elseif canImport(Musl)
                    Musl.write(fd, raw.baseAddress! + offset, raw.count - offset)
                #else
                    Darwin.write(fd, raw.baseAddress! + offset, raw.count - offset)
                #endif
            }
            if n < 0 {
                if errno == EINTR { continue }
                failure = CLIError("cannot write \(path): \(String(cString: strerror(errno)))")
            } else {
                offset += n
            }
        }
        if failure == nil, fsync(fd) != 0 {
            failure = CLIError("cannot sync \(path): \(String(cString: strerror(errno)))")
        }
        if close(fd) != 0, failure == nil {
            failure = CLIError("cannot close \(path): \(String(cString: strerror(errno)))")
        }
        if let failure {
            unlink(path)
            throw failure
        }
    }

    /// Writes `text` to the new file `path`; see ``writeNewFile(_:_:mode:)``.
    static func writeNewFile(_ path: String, text: String, mode: mode_t) throws(CLIError) {
        try writeNewFile(path, Array(text.utf8), mode: mode)
    }

    /// Reads a whole (small) file as UTF-8 text.
    ///
    /// - Throws: ``CLIError`` naming the file when it cannot be read, exceeds `limit` bytes or
    ///   is not UTF-8; `what` describes it ("verifier key file").
    static func readText(_ path: String, what: String, limit: Int = 1 << 20) throws(CLIError) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw CLIError("cannot open \(what) \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw CLIError("cannot read \(what) \(path): \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<n])
            if out.count > limit { throw CLIError("\(what) \(path) is larger than \(limit) bytes") }
        }
        guard let text = String(validating: out, as: UTF8.self) else {
            throw CLIError("\(what) \(path) is not UTF-8 text")
        }
        return text
    }

    /// Removes the file `path`, ignoring errors (rollback of a failed command).
    static func remove(_ path: String) {
        unlink(path)
    }

    /// Removes the empty directory `path`, ignoring errors.
    static func removeDirectory(_ path: String) {
        rmdir(path)
    }

    /// The directory part of `path` (`.` for a bare name, `/` for the root).
    static func directory(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "." }
        if slash == trimmed.startIndex { return "/" }
        return String(trimmed[..<slash])
    }

    /// `directory/name`, without doubling a trailing slash.
    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// The machine's host name (empty when unknown).
    static func hostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
