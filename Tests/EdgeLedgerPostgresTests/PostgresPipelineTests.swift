import EdgeLedgerPostgres
import EdgeLedgerTestSupport
import Testing

/// Statements sent together in one round trip (libpq's pipeline mode).
@Suite struct PostgresPipelineTests {
    @Test func runsInOrderAndReturnsEveryResult() throws {
        let db = try freshConnection()
        try db.executeScript("CREATE TABLE t (id bigint PRIMARY KEY, body bytea)")
        let results = try db.pipeline([
            PostgresStatement("BEGIN"),
            PostgresStatement("INSERT INTO t VALUES ($1, $2)", [.int64(1), .bytea([1, 2])]),
            PostgresStatement(
                "INSERT INTO t SELECT $1 + o, d FROM unnest($2::bytea[]) WITH ORDINALITY AS x(d, o)",
                [.int64(1), .byteaArray([[3], [4], [5]])]),
            PostgresStatement("SELECT count(*), sum(id)::bigint FROM t"),
            PostgresStatement("COMMIT"),
        ])
        #expect(results.count == 5)
        #expect(results[2].affectedRows == 3)
        #expect(results[3].int64(0, 0) == 4)
        #expect(results[3].int64(0, 1) == 10)
        // Out of pipeline mode: the connection takes ordinary statements again, committed.
        #expect(try scalar(db, "SELECT count(*) FROM t") == 4)
        #expect(try db.pipeline([]).isEmpty)
        #expect(try db.pipeline([PostgresStatement("SELECT $1::int8 * 3", [.int64(5)])])[0].int64(0, 0) == 15)
    }

    @Test func aFailureStopsThePipelineAndSaysWhichStatement() throws {
        let db = try freshConnection()
        try db.executeScript("CREATE TABLE t (id bigint PRIMARY KEY); INSERT INTO t VALUES (1)")
        let failed = try #require(
            postgresError { () throws(PostgresError) in
                _ = try db.pipeline([
                    PostgresStatement("BEGIN"),
                    PostgresStatement("INSERT INTO t VALUES ($1)", [.int64(2)]),
                    PostgresStatement("INSERT INTO t VALUES ($1)", [.int64(1)]),
                    PostgresStatement("INSERT INTO t VALUES ($1)", [.int64(3)]),
                    PostgresStatement("COMMIT"),
                ])
            })
        #expect(failed.isUniqueViolation)
        #expect(failed.statementIndex == 2)
        #expect(failed.description.contains("INSERT INTO t VALUES ($1)"))
        #expect(db.isConnected)
        // The transaction is aborted: nothing after the failure ran, nothing of it is kept.
        try db.executeScript("ROLLBACK")
        #expect(try scalar(db, "SELECT count(*) FROM t") == 1)
        #expect(try scalar(db, "SELECT max(id) FROM t") == 1)
    }

    @Test func aFullStatementCacheIsEmptiedBeforeThePipelineNotDuringIt() throws {
        let db = try freshConnection()
        for i in 0..<(PostgresConnection.statementCacheLimit - 1) {
            _ = try db.execute("SELECT \(i)::int8")
        }
        let results = try db.pipeline([
            PostgresStatement("SELECT $1::int8 + 1", [.int64(1)]),
            PostgresStatement("SELECT $1::int8 + 2", [.int64(1)]),
            PostgresStatement("SELECT $1::int8 + 3", [.int64(1)]),
        ])
        #expect(results.map { $0.int64(0, 0) } == [2, 3, 4])
    }

    @Test func theServerGoingAwayClosesTheConnection() throws {
        let cluster = try PostgresCluster()
        let db = try PostgresConnection(url: try cluster.createDatabase("pipeline"))
        try db.executeScript("CREATE TABLE t (x bigint)")
        cluster.kill()
        let error = try #require(
            postgresError { () throws(PostgresError) in
                _ = try db.pipeline([
                    PostgresStatement("BEGIN"), PostgresStatement("INSERT INTO t VALUES ($1)", [.int64(1)]),
                    PostgresStatement("COMMIT"),
                ])
            })
        #expect(error.isConnectionFailure)
        #expect(!db.isConnected)
    }
}
