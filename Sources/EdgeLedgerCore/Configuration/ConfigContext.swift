/// State shared while one configuration document is validated: the problems found so far, the
/// environment for `*_env` secrets, and the directory relative paths resolve against.
final class ConfigContext {
    private(set) var issues: [ConfigIssue] = []
    private(set) var warnings: [ConfigIssue] = []
    let environment: [String: String]
    let baseDirectory: String?

    init(environment: [String: String], baseDirectory: String?) {
        self.environment = environment
        self.baseDirectory = baseDirectory
    }

    func error(_ path: String, _ message: String) {
        issues.append(ConfigIssue(path: path, message: message))
    }

    func warn(_ path: String, _ message: String) {
        warnings.append(ConfigIssue(path: path, message: message))
    }

    /// Resolves a relative file path against the base directory (absolute paths unchanged).
    func resolve(path: String) -> String {
        ConfigContext.resolve(path: path, against: baseDirectory)
    }

    static func resolve(path: String, against base: String?) -> String {
        guard let base, !base.isEmpty, !path.hasPrefix("/") else { return path }
        var relative = Substring(path)
        while relative.hasPrefix("./") {
            relative = relative.dropFirst(2)
            while relative.hasPrefix("/") { relative = relative.dropFirst() }
        }
        if relative.isEmpty || relative == "." { return base }
        return base.hasSuffix("/") ? base + relative : base + "/" + relative
    }

    /// Throws every collected issue, if any.
    func check() throws(ConfigError) {
        if !issues.isEmpty { throw ConfigError(issues: issues) }
    }
}
