/// The anchoring hook of the reference upstream (`[anchor]` in upstream.toml): a command run
/// once per new verified checkpoint with a JSON document on stdin, shaped for ChainMaker's
/// standard evidence contract (`id` = origin#size, `hash` = hex root, `metadata`).
public struct AnchorConfiguration: Sendable, Equatable {
    /// The command as an argument vector, run without a shell; empty (the default) disables
    /// anchoring. A first element containing `/` that is relative resolves against the
    /// configuration file's directory; a bare name is looked up in `PATH`.
    public var command: [String]
    /// The command must finish within this time, 1s...1h. Default 30s.
    public var timeout: Duration
    /// Retry backoff after a failure (non-zero exit, timeout). Default 5s doubling to 10m.
    public var retry: BackoffConfiguration
    /// The command's whole environment: each element is a variable name passed on from the
    /// upstream's environment when set there (`"PATH"`), or a fixed `"NAME=value"`. Nothing
    /// else reaches the command (the upstream's tokens stay out of it). Default `["PATH"]`.
    public var environment: [String]
    /// `already_anchored_status`: the exit status by which the command says "this id is already
    /// anchored, with this hash" (a retry after an attempt that landed but timed out): counted as
    /// success. Default 3.
    public var alreadyAnchoredStatus: Int32

    /// Whether anchoring is configured.
    public var isEnabled: Bool { !command.isEmpty }

    /// Creates anchoring settings.
    public init(
        command: [String] = [], timeout: Duration = .seconds(30),
        retry: BackoffConfiguration = BackoffConfiguration(initial: .seconds(5), max: .seconds(600)),
        environment: [String] = ["PATH"], alreadyAnchoredStatus: Int32 = 3
    ) {
        self.command = command
        self.timeout = timeout
        self.retry = retry
        self.environment = environment
        self.alreadyAnchoredStatus = alreadyAnchoredStatus
    }

    /// The command's environment as `NAME=value` strings: the fixed variables of
    /// ``environment`` and the named ones that `inherited` (the upstream's environment) has.
    public func childEnvironment(inherited: (String) -> String?) -> [String] {
        environment.compactMap { item in
            if item.contains("=") { return item }
            return inherited(item).map { "\(item)=\($0)" }
        }
    }

    /// Whether `item` is `NAME` or `NAME=value` with a portable variable name
    /// (`[A-Za-z_][A-Za-z0-9_]*`).
    static func isEnvironmentItem(_ item: String) -> Bool {
        let name = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)[0].utf8
        let digits = UInt8(ascii: "0")...UInt8(ascii: "9")
        let letters = UInt8(ascii: "a")...UInt8(ascii: "z")
        guard let first = name.first, !digits.contains(first) else { return false }
        return name.allSatisfy { c in c == UInt8(ascii: "_") || letters.contains(c | 0x20) || digits.contains(c) }
    }

    init(reading r: ConfigTableReader) {
        let d = AnchorConfiguration()
        var command: [String] = []
        if case .string(let s) = r.value("command") {
            r.error(
                "command",
                "expected an array of strings (the argument vector, no shell), e.g. [\"/usr/local/bin/anchor\", \"--contract\", \"evidence\"], got \(ConfigValue.quote(s))"
            )
        } else if let argv = r.stringArray("command", allowEmptyStrings: true) {
            command = argv
            if let first = argv.first {
                if first.isEmpty {
                    r.error("command", "the program (first element) must not be empty")
                } else if first.contains("/") {
                    command[0] = r.context.resolve(path: first)
                }
            }
        }
        var environment = d.environment
        if let items = r.stringArray("environment") {
            if let bad = items.first(where: { !Self.isEnvironmentItem($0) }) {
                r.error(
                    "environment",
                    "\(ConfigValue.quote(bad)) is neither a variable name (letters, digits, _) nor NAME=value, e.g. "
                        + "[\"PATH\", \"HOME\", \"ANCHOR_PROFILE=/etc/anchor/profile.yml\"]")
            } else {
                environment = items
            }
        }
        self.init(
            command: command,
            timeout: r.duration("timeout", default: d.timeout, in: .seconds(1)...(.seconds(3600))),
            retry: BackoffConfiguration(reading: r.table("retry"), defaults: d.retry), environment: environment,
            alreadyAnchoredStatus: Int32(
                r.integer("already_anchored_status", default: Int(d.alreadyAnchoredStatus), in: 1...125)))
        r.finish()
    }
}
