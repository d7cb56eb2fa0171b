import EdgeLedgerPostgres
import EdgeLedgerTestSupport
import Testing

/// A connection to a database of the test's own on the process's shared cluster.
func freshConnection(prefix: String = "pg") throws -> PostgresConnection {
    try PostgresConnection(url: try PostgresCluster.shared().freshDatabase(prefix: prefix))
}

/// The error `body` throws, or `nil` (and a test failure from the caller's `#require`).
func postgresError(_ body: () throws(PostgresError) -> Void) -> PostgresError? {
    do {
        try body()
        return nil
    } catch {
        return error
    }
}

/// The integer in the first column of the one row `sql` returns; a test failure (not a trap in
/// ``PostgresResult/int64(_:_:)``) when there is no such row.
func scalar(
    _ db: PostgresConnection, _ sql: String, _ params: [PostgresValue] = [],
    sourceLocation: SourceLocation = #_sourceLocation
) throws -> Int64 {
    let result = try db.execute(sql, params)
    try #require(result.rowCount == 1 && result.columnCount >= 1, sourceLocation: sourceLocation)
    return result.int64(0, 0)
}
