import EdgeLedgerStore
import EdgeLedgerTestSupport
import EdgeLedgerUpstream

/// The upstream's store on either engine, for the suites that run against both: an SQLite file
/// in `dir`, or a fresh database on the test process's private PostgreSQL cluster (migrated).
enum UpstreamTestStores {
    static func make(
        _ engine: UpstreamEngine, dir: TemporaryFolder, name: String = "upstream.db"
    ) throws
        -> CollectorStore
    {
        switch engine {
        case .sqlite:
            return try CollectorStore(path: dir.file(name), durability: .process)
        case .postgres:
            let url = try PostgresCluster.shared().freshDatabase(prefix: "up")
            return try CollectorStore(postgresURL: url, connections: 4, migrate: true)
        }
    }
}
