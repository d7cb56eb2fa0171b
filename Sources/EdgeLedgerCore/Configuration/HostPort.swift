/// A network address as written in a configuration file: `host:port`, where host is a DNS
/// name, an IPv4 address, or an IPv6 address in brackets (`[::1]:8080`).
public struct HostPort: Sendable, Hashable, CustomStringConvertible {
    /// Host name or IP address, without brackets.
    public var host: String
    /// TCP port, 1...65535.
    public var port: UInt16

    /// Creates an address.
    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port` / `[v6]:port`; `nil` with no reason. Use ``problem(with:)`` for one.
    public init?(parsing text: String) {
        guard case .success(let value) = HostPort.parse(text) else { return nil }
        self = value
    }

    /// Why `text` is not a valid `host:port`, or `nil` when it is.
    public static func problem(with text: String) -> String? {
        if case .failure(let reason) = parse(text) { return reason.message }
        return nil
    }

    /// `host:port`, with IPv6 hosts in brackets.
    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// Whether the host is a loopback address or `localhost` (plaintext is acceptable there).
    public var isLoopback: Bool {
        let h = host.lowercased()
        return h == "localhost" || h.hasSuffix(".localhost") || h == "::1" || h.hasPrefix("127.")
    }

    /// Whether the host is a wildcard address (all interfaces).
    public var isWildcard: Bool { host == "0.0.0.0" || host == "::" }

    struct Reason: Error { let message: String }

    /// Why `host` (without port or brackets) is not a host name or IP address, or `nil`.
    public static func problem(withHost host: some StringProtocol) -> String? {
        guard !host.isEmpty else { return "missing host (use \"0.0.0.0\" or \"[::]\" for all interfaces)" }
        guard host.utf8.count <= 253 else { return "host name longer than 253 bytes" }
        for scalar in host.unicodeScalars {
            let ok =
                (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z") || (scalar >= "0" && scalar <= "9")
                || scalar == "." || scalar == "-" || scalar == "_" || scalar == ":" || scalar == "%"
            guard ok else { return "invalid character \(ConfigValue.quote(String(scalar))) in host" }
        }
        return nil
    }

    static func parse(_ text: String) -> Result<HostPort, Reason> {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                return .failure(Reason(message: "missing \"]\" after the IPv6 address"))
            }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return .failure(Reason(message: "missing \":port\" after \"]\"")) }
            portText = rest.dropFirst()
            guard host.contains(":") else { return .failure(Reason(message: "brackets are only for IPv6 addresses")) }
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                return .failure(Reason(message: "missing \":port\""))
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") {
                return .failure(Reason(message: "an IPv6 address must be written in brackets, e.g. \"[::1]:8080\""))
            }
        }
        if let problem = problem(withHost: host) { return .failure(Reason(message: problem)) }
        guard !portText.isEmpty, portText.utf8.count <= 5, portText.allSatisfy({ $0.isASCII && $0.isNumber }),
            let port = Int(portText), (1...65535).contains(port)
        else {
            return .failure(Reason(message: "port must be an integer 1...65535"))
        }
        return .success(HostPort(host: String(host), port: UInt16(port)))
    }
}
