/// Creating the directories a store or a journal lives in.
public enum Directories {
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
}
