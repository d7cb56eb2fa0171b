import EdgeLedgerPostgres
import EdgeLedgerTestSupport
import Testing

/// The server going away under an open connection, on a private cluster each.
@Suite struct PostgresServerFaultTests {
    @Test func restartFailsTheOldConnectionAndANewOneWorks() throws {
        let cluster = try PostgresCluster()
        let url = try cluster.createDatabase("restart")
        let db = try PostgresConnection(url: url)
        try db.executeScript("CREATE TABLE t (x bigint); INSERT INTO t VALUES (1)")
        try cluster.restart()
        let error = try #require(
            postgresError { () throws(PostgresError) in try db.execute("SELECT count(*) FROM t") })
        #expect(error.isConnectionFailure)
        #expect(error.description.contains(#"while running "SELECT count(*) FROM t""#))
        #expect(!db.isConnected)
        let again = try PostgresConnection(url: url)
        #expect(try scalar(again, "SELECT count(*) FROM t") == 1)
    }

    @Test func killFailsTheOldConnectionAndStartRecovers() throws {
        let cluster = try PostgresCluster()
        let url = try cluster.createDatabase("crash")
        let db = try PostgresConnection(url: url)
        try db.executeScript("CREATE TABLE t (x bigint); INSERT INTO t VALUES (1)")
        cluster.kill()
        let error = try #require(
            postgresError { () throws(PostgresError) in try db.execute("INSERT INTO t VALUES ($1)", [.int64(2)]) })
        #expect(error.isConnectionFailure)
        #expect(!db.isConnected)
        let refused = postgresError { () throws(PostgresError) in _ = try PostgresConnection(url: url) }
        #expect(refused?.isConnectionFailure == true)
        try cluster.start()
        let again = try PostgresConnection(url: url)
        #expect(try scalar(again, "SELECT count(*) FROM t") == 1)
    }
}
