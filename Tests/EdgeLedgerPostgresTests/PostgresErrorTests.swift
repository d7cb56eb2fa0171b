import EdgeLedgerPostgres
import EdgeLedgerTestSupport
import Foundation
import Testing

/// Errors say what happened (SQLSTATE, message), what we were doing, and whether the
/// connection is gone.
@Suite struct PostgresErrorTests {
    @Test func uniqueViolationCarriesItsSQLState() throws {
        let db = try freshConnection()
        try db.executeScript("CREATE TABLE u (id bigint PRIMARY KEY)")
        try db.execute("INSERT INTO u (id) VALUES ($1)", [.int64(1)])
        let error = try #require(
            postgresError { () throws(PostgresError) in try db.execute("INSERT INTO u (id) VALUES ($1)", [.int64(1)]) })
        #expect(error.sqlState == "23505")
        #expect(error.isUniqueViolation)
        #expect(!error.isConnectionFailure && !error.isSerializationFailure)
        #expect(error.message.contains("Key (id)=(1) already exists"))
        #expect(error.description.hasPrefix("PostgreSQL 23505: duplicate key value violates unique constraint"))
        #expect(error.description.contains(#"while running "INSERT INTO u (id) VALUES ($1)""#))
        #expect(db.isConnected)
        #expect(try scalar(db, "SELECT count(*) FROM u") == 1)
    }

    @Test func syntaxErrorNamesTheSQL() throws {
        let db = try freshConnection()
        let sql = "SELEC 1 FROM " + String(repeating: "x", count: 200)
        let error = try #require(postgresError { () throws(PostgresError) in try db.execute(sql) })
        #expect(error.sqlState == "42601")
        #expect(error.message.contains("syntax error at or near \"SELEC\" (at character 1)"))
        #expect(error.what == "running \"" + sql.prefix(80) + "…\"")
        #expect(error.description.contains("while running \"SELEC 1 FROM xxx"))
        #expect(!error.isConnectionFailure)
        #expect(try scalar(db, "SELECT 1::int8") == 1)
    }

    @Test func closedPortFailsFastNamingTheServer() throws {
        let port = try FreePort.find()
        let started = Date()
        let error = try #require(
            postgresError { () throws(PostgresError) in
                _ = try PostgresConnection(url: "postgres://edgeledger:sekrit@127.0.0.1:\(port)/nowhere")
            })
        #expect(Date().timeIntervalSince(started) < 5)
        #expect(error.isConnectionFailure)
        #expect(error.sqlState == nil)
        #expect(error.what == "connecting to 127.0.0.1:\(port)/nowhere")
        #expect(error.message.contains("Connection refused"))
        #expect(error.description.contains("drop it and open a new one"))
        #expect(!error.description.contains("sekrit"))
    }

    @Test func malformedURLIsReportedWithoutItsPassword() throws {
        let error = try #require(
            postgresError { () throws(PostgresError) in
                _ = try PostgresConnection(url: "postgres://edgeledger:sekrit@127.0.0.1:1/db?bogus=1")
            })
        #expect(error.message.contains("invalid URI query parameter"))
        #expect(!error.description.contains("sekrit"))
    }

    @Test func serializationFailureSaysRetry() throws {
        let url = try PostgresCluster.shared().freshDatabase(prefix: "serial")
        let first = try PostgresConnection(url: url)
        let second = try PostgresConnection(url: url)
        try first.executeScript("CREATE TABLE s (id bigint PRIMARY KEY, v bigint); INSERT INTO s VALUES (1, 0)")
        try first.executeScript("BEGIN ISOLATION LEVEL REPEATABLE READ")
        #expect(try scalar(first, "SELECT v FROM s WHERE id = $1", [.int64(1)]) == 0)
        try second.execute("UPDATE s SET v = v + 1 WHERE id = $1", [.int64(1)])
        let error = try #require(
            postgresError { () throws(PostgresError) in
                try first.execute("UPDATE s SET v = v + 10 WHERE id = $1", [.int64(1)])
            })
        #expect(error.sqlState == "40001")
        #expect(error.isSerializationFailure)
        #expect(error.description.hasSuffix("retry it"))
        try first.executeScript("ROLLBACK")
        #expect(try scalar(first, "SELECT v FROM s WHERE id = $1", [.int64(1)]) == 1)
    }

    @Test func closedConnectionRefusesWork() throws {
        let db = try freshConnection()
        db.close()
        #expect(!db.isConnected)
        let error = try #require(postgresError { () throws(PostgresError) in try db.execute("SELECT 1") })
        #expect(error.isConnectionFailure)
        #expect(error.message.contains("is closed"))
        db.close()
    }

    @Test func classifiesSQLStates() {
        let lost = ["08006", "08003", "57P01", "57P02", "57P03"]
        for state in lost { #expect(PostgresError(sqlState: state, message: "m", what: "w").isConnectionFailure) }
        for state in ["23505", "40001", "40P01", "42601", "57014"] {
            #expect(!PostgresError(sqlState: state, message: "m", what: "w").isConnectionFailure)
        }
        #expect(PostgresError(sqlState: "40P01", message: "deadlock", what: "w").isSerializationFailure)
        #expect(!PostgresError(sqlState: "23505", message: "m", what: "w").isSerializationFailure)
        #expect(PostgresError(message: "m", what: "w").description == "PostgreSQL error: m while w")
    }
}
