/// Command-line options of `edge-ledger-bench`.
struct BenchOptions {
    var runs = 5
    var singleCommits = 20_000
    var batchRows = 200_000
    var powerCommits = 500
    var sealEntries = 1_000_000
    var sealRuns = 3
    var proofs = 20_000
    var directory = "/tmp"
    var verify = true

    static let usage = """
        usage: edge-ledger-bench postgres --url URL [options]   (edge-ledger-bench postgres --help)
               edge-ledger-bench [--runs N] [--single N] [--batch-rows N] [--power N] [--seal-entries N]
                                 [--seal-runs N] [--proofs N] [--dir DIR] [--no-verify] [--quick]
          --runs N          runs per measurement; medians are printed (default 5)
          --single N        single-entry commits per run (default 20000)
          --batch-rows N    rows per run in 1,000-row transactions (default 200000)
          --power N         commits per run with synchronous=FULL (default 500)
          --seal-entries N  new entries per seal measurement (default 1000000)
          --seal-runs N     seal measurements (default 3)
          --proofs N        inclusion proofs per run (default 20000)
          --dir DIR         where the scratch databases go (default /tmp; use the gateway's data disk)
          --no-verify       skip the LedgerVerifier throughput measurement
          --quick           small sizes, for a smoke test
        """

    /// Parses `arguments` (without the program name); `nil` and a message on error.
    static func parse(_ arguments: [String]) -> Result<BenchOptions, BenchUsageError> {
        var o = BenchOptions()
        var i = 0
        func value() -> Int? {
            i += 1
            guard i < arguments.count, let v = Int(arguments[i]), v > 0 else { return nil }
            return v
        }
        while i < arguments.count {
            let arg = arguments[i]
            switch arg {
            case "--runs": guard let v = value() else { return .failure(.init(arg)) }; o.runs = v
            case "--single": guard let v = value() else { return .failure(.init(arg)) }; o.singleCommits = v
            case "--batch-rows": guard let v = value() else { return .failure(.init(arg)) }; o.batchRows = v
            case "--power": guard let v = value() else { return .failure(.init(arg)) }; o.powerCommits = v
            case "--seal-entries": guard let v = value() else { return .failure(.init(arg)) }; o.sealEntries = v
            case "--seal-runs": guard let v = value() else { return .failure(.init(arg)) }; o.sealRuns = v
            case "--proofs": guard let v = value() else { return .failure(.init(arg)) }; o.proofs = v
            case "--dir":
                i += 1
                guard i < arguments.count else { return .failure(.init(arg)) }
                o.directory = arguments[i]
            case "--no-verify": o.verify = false
            case "--quick":
                o.runs = 3
                o.singleCommits = 2_000
                o.batchRows = 20_000
                o.powerCommits = 200
                o.sealEntries = 50_000
                o.sealRuns = 2
                o.proofs = 2_000
            case "-h", "--help": return .failure(.init(nil))
            default: return .failure(.init(arg))
            }
            i += 1
        }
        return .success(o)
    }
}

/// A bad command line: the offending option, or `nil` for `--help`.
struct BenchUsageError: Error {
    var option: String?
    init(_ option: String?) { self.option = option }
}
