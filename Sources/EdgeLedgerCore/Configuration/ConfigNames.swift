/// Syntax checks shared by several configuration keys.
enum ConfigNames {
    /// Client and upstream names: 1...64 characters from `[A-Za-z0-9._-]`.
    static func problem(withClientName name: String) -> String? {
        let ok =
            (1...64).contains(name.utf8.count)
            && name.unicodeScalars.allSatisfy {
                ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") || $0 == "."
                    || $0 == "_" || $0 == "-"
            }
        return ok ? nil : "expected 1...64 characters from A-Z a-z 0-9 . _ -, got \(ConfigValue.quote(name))"
    }

    /// A C2SP log origin / note key name, e.g. `factory.example/plant-7/gw-12`.
    static func problem(withOrigin origin: String) -> String? {
        if let problem = NoteName.problem(with: origin) {
            let detail = problem.hasPrefix("key name ") ? String(problem.dropFirst(9)) : problem
            return "not a valid C2SP origin: " + detail
        }
        if origin.utf8.count > 255 { return "an origin must be at most 255 bytes" }
        return nil
    }

    /// An `http://` or `https://` base URL without query or fragment.
    static func problem(withURL url: String) -> String? {
        let lower = url.lowercased()
        let rest: Substring
        if lower.hasPrefix("https://") {
            rest = url.dropFirst(8)
        } else if lower.hasPrefix("http://") {
            rest = url.dropFirst(7)
        } else {
            return "expected an http:// or https:// URL, got \(ConfigValue.quote(url))"
        }
        if url.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7f || $0.properties.isWhitespace }) {
            return "a URL must not contain spaces or control characters"
        }
        if url.contains("?") || url.contains("#") { return "a base URL must not have a query or fragment" }
        let authority = rest.prefix { $0 != "/" }
        if authority.isEmpty || authority.hasPrefix(":") || authority.hasPrefix("@") {
            return "missing host in \(ConfigValue.quote(url))"
        }
        return nil
    }

    /// A URL with a trailing slash removed, so that paths can be appended.
    static func trimmedURL(_ url: String) -> String {
        var u = Substring(url)
        while u.hasSuffix("/") { u = u.dropLast() }
        return String(u)
    }

    /// Whether an http(s) URL points at a loopback host.
    static func isLoopback(url: String) -> Bool {
        let rest = url.drop { $0 != "/" }.drop { $0 == "/" }
        var host = rest.prefix { $0 != "/" }
        if let at = host.lastIndex(of: "@") { host = host[host.index(after: at)...] }
        if host.hasPrefix("["), let close = host.firstIndex(of: "]") {
            return HostPort(host: String(host[host.index(after: host.startIndex)..<close]), port: 1).isLoopback
        }
        let name = host.prefix { $0 != ":" }
        return HostPort(host: String(name), port: 1).isLoopback
    }

    /// An HTTP path prefix: empty, or `/segment[/segment...]` without a trailing slash.
    static func problem(withPrefix prefix: String) -> String? {
        if prefix.isEmpty { return nil }
        let ok =
            prefix.hasPrefix("/") && !prefix.hasSuffix("/") && !prefix.contains("//")
            && prefix.unicodeScalars.allSatisfy {
                ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") || $0 == "/"
                    || $0 == "." || $0 == "_" || $0 == "-" || $0 == "~"
            }
        return ok
            ? nil
            : "expected \"\" or a path such as \"/ledger\" (leading slash, no trailing slash, characters A-Z a-z 0-9 . _ - ~), got \(ConfigValue.quote(prefix))"
    }
}
