import EdgeLedgerPostgres
import EdgeLedgerSystem

/// `edge-ledger-bench postgres --url URL`: what libpq through ``PostgresConnection`` sustains
/// against a server: single-row commits, and rows/s of `INSERT … SELECT … FROM unnest($n::bytea[])
/// WITH ORDINALITY` (one statement and one transaction per batch) at two batch sizes, with a
/// multi-row `INSERT … VALUES` batch for comparison. Each run starts from an empty table.
struct PostgresBench {
    struct Options {
        var url = ""
        var runs = 3
        var commits = 1_000
        var rows = 1_024_000
        var entrySize = 100

        static let usage = """
            usage: edge-ledger-bench postgres --url URL [--runs N] [--commits N] [--rows N] [--entry-size N]
              --url URL         the database to use (its table bench_entries is dropped and created);
                                scripts/bench-postgres.sh starts a private cluster with fsync=on
              --runs N          runs per measurement; medians are printed (default 3)
              --commits N       single-row transactions per run (default 1000)
              --rows N          rows per run of each batch size (default 1024000: 250 batches of 4096)
              --entry-size N    bytes per entry (default 100)
            """

        static func parse(_ arguments: [String]) -> Result<Options, BenchUsageError> {
            var o = Options()
            var i = 0
            while i < arguments.count {
                let arg = arguments[i]
                i += 1
                if arg == "-h" || arg == "--help" { return .failure(.init(nil)) }
                guard i < arguments.count else { return .failure(.init(arg)) }
                let value = arguments[i]
                i += 1
                switch arg {
                case "--url": o.url = value
                case "--runs": guard let v = Int(value), v > 0 else { return .failure(.init(arg)) }; o.runs = v
                case "--commits": guard let v = Int(value), v > 0 else { return .failure(.init(arg)) }; o.commits = v
                case "--rows": guard let v = Int(value), v > 0 else { return .failure(.init(arg)) }; o.rows = v
                case "--entry-size":
                    guard let v = Int(value), v > 0 else { return .failure(.init(arg)) }
                    o.entrySize = v
                default: return .failure(.init(arg))
                }
            }
            return o.url.isEmpty ? .failure(.init("--url")) : .success(o)
        }
    }

    let options: Options
    let db: PostgresConnection
    private var next: Int64 = 0

    init(options: Options) throws(PostgresError) {
        self.options = options
        db = try PostgresConnection(url: options.url, applicationName: "edge-ledger-bench")
    }

    mutating func run() throws(PostgresError) {
        let settings = try db.execute(
            "SELECT current_setting('server_version'), current_setting('fsync'), current_setting('synchronous_commit')")
        print(
            "edge-ledger-bench postgres: \(options.runs) runs per measurement (medians), entry \(options.entrySize) bytes,"
                + " server \(db.location), PostgreSQL \(settings.text(0, 0) ?? "?"), fsync=\(settings.text(0, 1) ?? "?"),"
                + " synchronous_commit=\(settings.text(0, 2) ?? "?")")
        try db.executeScript(
            "DROP TABLE IF EXISTS bench_entries; CREATE TABLE bench_entries (seq bigint PRIMARY KEY, entry bytea NOT NULL)"
        )
        defer { try? db.executeScript("DROP TABLE IF EXISTS bench_entries") }

        var explicit = Measurement(
            name: "single row: BEGIN; INSERT; COMMIT", unit: "commit", operations: options.commits)
        var autocommit = Measurement(
            name: "single row: INSERT (autocommit)", unit: "commit", operations: options.commits)
        let big = 4096
        let small = 256
        var unnestBig = Measurement(
            name: "unnest($::bytea[]), \(big)-row txns", unit: "row", operations: options.rows / big * big)
        var unnestSmall = Measurement(
            name: "unnest($::bytea[]), \(small)-row txns", unit: "row", operations: options.rows / small * small)
        var valuesBig = Measurement(
            name: "INSERT … VALUES ($1,$2),… \(big)-row txns", unit: "row", operations: options.rows / big * big)
        for round in 1...options.runs {
            explicit.record(try single(explicitTransaction: true))
            autocommit.record(try single(explicitTransaction: false))
            unnestBig.record(try unnestBatches(rows: unnestBig.operations, batch: big))
            unnestSmall.record(try unnestBatches(rows: unnestSmall.operations, batch: small))
            valuesBig.record(try valuesBatches(rows: valuesBig.operations, batch: big))
            print("  round \(round)/\(options.runs) done")
        }
        print("")
        let header =
            Format.pad("measurement", 44, left: true) + Format.pad("ops/s", 12) + Format.pad("unit", 8)
            + Format.pad("µs/op", 10) + Format.pad("client CPU µs/op", 18)
        print(header)
        print(String(repeating: "-", count: header.count))
        for m in [explicit, autocommit, unnestBig, unnestSmall, valuesBig] {
            print(
                Format.pad(m.name, 44, left: true) + Format.pad(Format.grouped(Int(m.rate.rounded())), 12)
                    + Format.pad(m.unit, 8) + Format.pad(Format.fixed(m.microsPerOp, 2), 10)
                    + Format.pad(Format.fixed(m.cpuMicrosPerOp, 2), 18))
        }
        print("")
        print("client CPU is this process's (libpq, encoding); the server's runs on the same machine")
    }

    private func entry(_ seq: Int64) -> [UInt8] {
        (0..<options.entrySize).map { UInt8(truncatingIfNeeded: Int64($0) &* 31 &+ seq) }
    }

    private mutating func fresh() throws(PostgresError) {
        try db.executeScript("TRUNCATE bench_entries")
        try db.executeScript("CHECKPOINT")
    }

    /// `commits` transactions of one row each.
    private mutating func single(explicitTransaction: Bool) throws(PostgresError) -> (wall: Double, cpu: Double) {
        try fresh()
        let payload = entry(0)
        let watch = Stopwatch()
        for _ in 0..<options.commits {
            next += 1
            if explicitTransaction { try db.executeScript("BEGIN") }
            try db.execute("INSERT INTO bench_entries (seq, entry) VALUES ($1, $2)", [.int64(next), .bytea(payload)])
            if explicitTransaction { try db.executeScript("COMMIT") }
        }
        return watch.elapsed()
    }

    /// `rows` rows in transactions of `batch` rows, one `unnest` statement each.
    private mutating func unnestBatches(rows: Int, batch: Int) throws(PostgresError) -> (wall: Double, cpu: Double) {
        try fresh()
        let entries = (0..<batch).map { entry(Int64($0)) }
        let sql =
            "INSERT INTO bench_entries (seq, entry) SELECT $1 + ord, e FROM unnest($2::bytea[]) WITH ORDINALITY AS u(e, ord)"
        let watch = Stopwatch()
        for _ in 0..<(rows / batch) {
            try db.executeScript("BEGIN")
            let r = try db.execute(sql, [.int64(next), .byteaArray(entries)])
            precondition(r.affectedRows == batch)
            try db.executeScript("COMMIT")
            next += Int64(batch)
        }
        return watch.elapsed()
    }

    /// `rows` rows in transactions of `batch` rows, one multi-row `INSERT … VALUES` each.
    private mutating func valuesBatches(rows: Int, batch: Int) throws(PostgresError) -> (wall: Double, cpu: Double) {
        try fresh()
        let entries = (0..<batch).map { entry(Int64($0)) }
        let sql =
            "INSERT INTO bench_entries (seq, entry) VALUES "
            + (0..<batch).map { "($\(2 * $0 + 1), $\(2 * $0 + 2))" }.joined(separator: ", ")
        let watch = Stopwatch()
        for _ in 0..<(rows / batch) {
            var params: [PostgresValue] = []
            params.reserveCapacity(2 * batch)
            for (i, e) in entries.enumerated() {
                params.append(.int64(next + Int64(i) + 1))
                params.append(.bytea(e))
            }
            try db.executeScript("BEGIN")
            try db.execute(sql, params)
            try db.executeScript("COMMIT")
            next += Int64(batch)
        }
        return watch.elapsed()
    }
}
