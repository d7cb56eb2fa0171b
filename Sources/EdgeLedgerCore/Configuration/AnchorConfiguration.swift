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

    /// Whether anchoring is configured.
    public var isEnabled: Bool { !command.isEmpty }

    /// Creates anchoring settings.
    public init(
        command: [String] = [], timeout: Duration = .seconds(30),
        retry: BackoffConfiguration = BackoffConfiguration(initial: .seconds(5), max: .seconds(600))
    ) {
        self.command = command
        self.timeout = timeout
        self.retry = retry
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
        self.init(
            command: command,
            timeout: r.duration("timeout", default: d.timeout, in: .seconds(1)...(.seconds(3600))),
            retry: BackoffConfiguration(reading: r.table("retry"), defaults: d.retry))
        r.finish()
    }
}
