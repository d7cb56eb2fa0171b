import CPostgres

/// One statement of a ``PostgresConnection/pipeline(_:)``: parameterised SQL (`$1`, `$2`, …)
/// and its parameters.
package struct PostgresStatement: Sendable {
    /// The SQL text.
    package var sql: String
    /// The parameters, sent in binary.
    package var params: [PostgresValue]

    /// A statement of `sql` with `params`.
    package init(_ sql: String, _ params: [PostgresValue] = []) {
        self.sql = sql
        self.params = params
    }
}

extension PostgresConnection {
    /// Runs `statements` in order in one round trip (libpq's pipeline mode) and returns their
    /// results, in order.
    ///
    /// Each statement is prepared as ``execute(_:_:)`` prepares it (before the pipeline, once per
    /// connection). A failing statement ends the pipeline: the ones after it are not run, and
    /// its error is thrown with ``PostgresError/statementIndex`` set. Only the last statement
    /// may return many rows: the answers to the ones before it are read after everything is sent.
    package func pipeline(_ statements: [PostgresStatement]) throws(PostgresError) -> [PostgresResult] {
        guard let first = statements.first else { return [] }
        if statements.count == 1 { return [try execute(first.sql, first.params)] }
        let connection = try live(first.sql)
        var parameters: [PostgresParameters] = []
        parameters.reserveCapacity(statements.count)
        for statement in statements {
            parameters.append(try PostgresParameters(statement.params, what: PostgresError.running(statement.sql)))
        }
        // Prepared before the pipeline starts (PQprepare waits for its answer); a full cache is
        // emptied first, so that no name prepared here is deallocated by the next one.
        if self.statements.count + statements.count > Self.statementCacheLimit {
            try executeScript("DEALLOCATE ALL")
            self.statements.removeAll()
        }
        var names: [String] = []
        names.reserveCapacity(statements.count)
        for (statement, parameter) in zip(statements, parameters) {
            names.append(try prepared(statement.sql, types: parameter.types, connection))
        }
        guard PQenterPipelineMode(connection) == 1 else {
            throw lost(connection, "entering pipeline mode", statements[0].sql)
        }
        for index in statements.indices {
            let sent = parameters[index].withArrays { values, lengths, formats in
                PQsendQueryPrepared(
                    connection, names[index], Int32(statements[index].params.count), values, lengths, formats, 1)
            }
            guard sent == 1 else { throw lost(connection, "sending a pipelined statement", statements[index].sql) }
        }
        guard PQpipelineSync(connection) == 1 else {
            throw lost(connection, "sending a pipeline", statements[statements.count - 1].sql)
        }
        var results: [PostgresResult] = []
        results.reserveCapacity(statements.count)
        var failure: PostgresError?
        for index in statements.indices {
            guard let raw = PQgetResult(connection) else {
                throw lost(connection, "reading a pipelined result", statements[index].sql)
            }
            // Each statement's results end with a NULL.
            while let extra = PQgetResult(connection) { PQclear(extra) }
            if PQresultStatus(raw) == PGRES_PIPELINE_ABORTED {
                PQclear(raw)
                continue
            }
            do {
                results.append(try check(raw, statements[index].sql, connection))
            } catch var error {
                if error.isConnectionFailure {
                    close()
                    error.statementIndex = index
                    throw error
                }
                if error.sqlState == "26000" { self.statements.removeAll() }
                if failure == nil {
                    error.statementIndex = index
                    failure = error
                }
            }
        }
        guard let sync = PQgetResult(connection) else {
            throw lost(connection, "reading the end of a pipeline", statements[statements.count - 1].sql)
        }
        let synced = PQresultStatus(sync) == PGRES_PIPELINE_SYNC
        PQclear(sync)
        guard synced, PQexitPipelineMode(connection) == 1 else {
            throw lost(connection, "leaving pipeline mode", statements[statements.count - 1].sql)
        }
        if let failure { throw failure }
        return results
    }

    /// Closes the connection after the pipeline protocol went wrong (nothing else can tell what
    /// the server has run), and the error saying so.
    private func lost(_ connection: OpaquePointer, _ doing: String, _ sql: String) -> PostgresError {
        let message = Self.errorMessage(connection)
        close()
        return PostgresError(
            message: "\(doing) failed (\(message)); the connection was closed",
            what: PostgresError.running(sql), isConnectionFailure: true)
    }
}
