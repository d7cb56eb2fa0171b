import EdgeLedgerCore

/// Reading a configuration file with plain POSIX calls, and locating its directory.
package enum ConfigFile {
    /// The file's text; a missing, unreadable, oversized, or non-UTF-8 file is a ``ConfigError``.
    package static func text(at path: String, limit: Int) throws(ConfigError) -> String {
        guard !path.isEmpty else { throw ConfigError(path: "", message: "no configuration file given") }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failure(path, "cannot open", errno) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw failure(path, "cannot stat", errno) }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            throw ConfigError(path: "", message: "\(path) is a directory, not a configuration file")
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw failure(path, "cannot read", errno)
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
            if bytes.count > limit {
                throw ConfigError(path: "", message: "\(path) is larger than \(limit) bytes; not a configuration file?")
            }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ConfigError(
                path: "", message: "\(path) is not valid UTF-8 text", line: firstInvalidUTF8Line(bytes), column: nil)
        }
        return text
    }

    /// The directory containing `path`, made absolute against the working directory, for
    /// resolving relative paths inside the file.
    package static func directory(of path: String) -> String {
        var absolute = path
        if !path.hasPrefix("/"), let cwd = currentDirectory() {
            absolute = cwd.hasSuffix("/") ? cwd + path : cwd + "/" + path
        }
        guard let slash = absolute.lastIndex(of: "/") else { return "." }
        if slash == absolute.startIndex { return "/" }
        var dir = String(absolute[..<slash])
        while dir.hasSuffix("/.") { dir.removeLast(2) }
        return dir.isEmpty ? "/" : dir
    }

    private static func currentDirectory() -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getcwd(&buffer, buffer.count) != nil else { return nil }
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func failure(_ path: String, _ what: String, _ code: Int32) -> ConfigError {
        let reason: String
        switch code {
        case ENOENT: reason = "no such file"
        case EACCES: reason = "permission denied"
        case ENOTDIR: reason = "a parent is not a directory"
        case EISDIR: reason = "is a directory"
        default:
            if let message = strerror(code) {
                reason = String(cString: message)
            } else {
                reason = "error \(code)"
            }
        }
        return ConfigError(path: "", message: "\(what) \(path): \(reason)")
    }

    private static func firstInvalidUTF8Line(_ bytes: [UInt8]) -> Int {
        var line = 1
        var start = 0
        for i in 0...bytes.count where i == bytes.count || bytes[i] == UInt8(ascii: "\n") {
            if String(validating: bytes[start..<i], as: UTF8.self) == nil { return line }
            line += 1
            start = i + 1
        }
        return line
    }
}
