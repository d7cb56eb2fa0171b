import EdgeLedgerPostgres
import EdgeLedgerTestSupport
import Logging
import Testing

/// Prepared-statement cache, scripts, transactions, settings and notices.
@Suite struct PostgresConnectionTests {
    /// How many prepared statements of this session have `sql` as their text.
    private func preparedCount(_ db: PostgresConnection, _ sql: String) throws -> Int64 {
        try scalar(db, "SELECT count(*) FROM pg_prepared_statements WHERE statement = $1", [.text(sql)])
    }

    @Test func preparesEachStatementOncePerParameterTypes() throws {
        let db = try freshConnection()
        let doubled = "SELECT $1::int8 * 2"
        for i in 0..<300 {
            #expect(try scalar(db, doubled, [.int64(Int64(i))]) == Int64(2 * i))
        }
        #expect(try preparedCount(db, doubled) == 1)

        let echo = "SELECT $1"
        #expect(try scalar(db, echo, [.int64(5)]) == 5)
        #expect(try db.execute(echo, [.text("five")]).text(0, 0) == "five")
        #expect(try db.execute(echo, [.bytea([5])]).bytes(0, 0) == [5])
        #expect(try db.execute(echo, [.null(.text)]).text(0, 0) == nil)
        #expect(try scalar(db, echo, [.int64(6)]) == 6)
        #expect(try preparedCount(db, echo) == 3)
    }

    @Test func preparesAgainAfterTheServerForgotTheStatements() throws {
        let db = try freshConnection()
        #expect(try scalar(db, "SELECT $1::int8 + 1", [.int64(1)]) == 2)
        try db.executeScript("DEALLOCATE ALL")
        #expect(try scalar(db, "SELECT $1::int8 + 1", [.int64(2)]) == 3)
    }

    @Test func scriptsRunSeveralStatementsAsOneImplicitTransaction() throws {
        let db = try freshConnection()
        try db.executeScript(
            """
            CREATE TABLE a (x bigint PRIMARY KEY);
            INSERT INTO a VALUES (1);
            INSERT INTO a VALUES (2);
            """)
        #expect(try scalar(db, "SELECT count(*) FROM a") == 2)
        let failed = postgresError { () throws(PostgresError) in
            try db.executeScript("INSERT INTO a VALUES (3); INSERT INTO a VALUES (1);")
        }
        #expect(failed?.isUniqueViolation == true)
        #expect(try scalar(db, "SELECT count(*) FROM a") == 2)
        try db.executeScript("")
        try db.executeScript("  -- nothing but a comment")
    }

    @Test func rollbackDiscardsAndCommitKeeps() throws {
        let db = try freshConnection()
        try db.executeScript("CREATE TABLE t (id bigint PRIMARY KEY, body text)")
        try db.executeScript("BEGIN")
        try db.execute("INSERT INTO t VALUES ($1, $2)", [.int64(1), .text("gone")])
        #expect(try scalar(db, "SELECT count(*) FROM t") == 1)
        try db.executeScript("ROLLBACK")
        #expect(try scalar(db, "SELECT count(*) FROM t") == 0)

        try db.executeScript("BEGIN")
        try db.execute("INSERT INTO t VALUES ($1, $2)", [.int64(2), .text("kept")])
        let duplicate = postgresError { () throws(PostgresError) in
            try db.execute("INSERT INTO t VALUES ($1, $2)", [.int64(2), .text("again")])
        }
        #expect(duplicate?.isUniqueViolation == true)
        let aborted = postgresError { () throws(PostgresError) in try db.execute("SELECT count(*) FROM t") }
        #expect(aborted?.sqlState == "25P02")
        try db.executeScript("ROLLBACK")

        try db.executeScript("BEGIN")
        try db.execute("INSERT INTO t VALUES ($1, $2)", [.int64(3), .text("kept")])
        try db.executeScript("COMMIT")
        let rows = try db.execute("SELECT id, body FROM t")
        #expect(rows.rowCount == 1 && rows.int64(0, 0) == 3 && rows.text(0, 1) == "kept")
    }

    @Test func setsApplicationNameUnlessTheURLDoes() throws {
        let url = try PostgresCluster.shared().freshDatabase(prefix: "appname")
        let query = "SELECT current_setting('application_name'), current_setting('client_encoding')"
        let plain = try PostgresConnection(url: url).execute(query)
        #expect(plain.text(0, 0) == "edge-ledger-upstream")
        #expect(plain.text(0, 1) == "UTF8")
        #expect(try PostgresConnection(url: url, applicationName: "bench").execute(query).text(0, 0) == "bench")
        let overridden = try PostgresConnection(url: url + "?application_name=custom", applicationName: "bench")
        #expect(try overridden.execute(query).text(0, 0) == "custom")
    }

    @Test func locationNamesHostPortAndDatabaseButNoPassword() throws {
        let cluster = try PostgresCluster.shared()
        let url = try cluster.freshDatabase(prefix: "where")
        let database = String(url.split(separator: "/").last!)
        let withPassword = url.replacing("://edgeledger@", with: "://edgeledger:sekrit@")
        let db = try PostgresConnection(url: withPassword)
        #expect(db.location == "127.0.0.1:\(cluster.port)/\(database)")
        #expect(db.isConnected)
    }

    @Test func noticesGoToTheLoggerAtDebugLevel() throws {
        let log = CapturedLog()
        let url = try PostgresCluster.shared().freshDatabase(prefix: "notice")
        let db = try PostgresConnection(url: url, logger: log.logger(label: "pg", level: .debug))
        try db.executeScript("DO $$ BEGIN RAISE NOTICE 'hello from the server'; END $$")
        #expect(log.lines(containing: "hello from the server").count == 1)
    }

    @Test func copyClosesTheConnectionInsteadOfLeavingItStuck() throws {
        let db = try freshConnection()
        let error = try #require(
            postgresError { () throws(PostgresError) in try db.executeScript("COPY (SELECT 1) TO STDOUT") })
        #expect(error.isConnectionFailure)
        #expect(error.message.contains("PGRES_COPY_OUT"))
        #expect(!db.isConnected)
    }

    @Test func quotesIdentifiers() throws {
        #expect(PostgresConnection.quoteIdentifier(#"we"ird"#) == #""we""ird""#)
        let db = try freshConnection()
        let table = PostgresConnection.quoteIdentifier(#"Odd "Name"; DROP"#)
        try db.executeScript("CREATE TABLE \(table) (x bigint)")
        try db.execute("INSERT INTO \(table) VALUES ($1)", [.int64(9)])
        #expect(try scalar(db, "SELECT x FROM \(table)") == 9)
    }
}
