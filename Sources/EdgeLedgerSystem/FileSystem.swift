/// The files and directories a store or a journal lives in.
public enum FileSystem {
    /// Creates the directories above `path` that are missing, like `mkdir -p "$(dirname path)"`,
    /// each with `mode` (before the umask).
    ///
    /// - Returns: `nil` on success, else the directory that could not be created and why.
    public static func createParents(of path: String, mode: UInt16 = 0o750) -> (directory: String, reason: String)? {
        var components = path.split(separator: "/", omittingEmptySubsequences: false).dropLast()
        var prefix = path.hasPrefix("/") ? "" : "."
        if path.hasPrefix("/") { components = components.dropFirst() }
        for component in components where !component.isEmpty {
            prefix += "/" + component
            if mkdir(prefix, mode_t(mode)) != 0 && errno != EEXIST {
                return (prefix, String(cString: strerror(errno)))
            }
        }
        return nil
    }

    /// Size of the file at `path` in bytes, 0 when it does not exist.
    public static func fileSize(_ path: String) -> Int64 {
        var st = stat()
        guard stat(path, &st) == 0 else { return 0 }
        return Int64(st.st_size)
    }
}
