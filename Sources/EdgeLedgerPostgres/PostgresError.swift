/// A PostgreSQL operation failed: the server's SQLSTATE and message, or libpq's own message for
/// a connection that could not be made or was lost, and what we were doing.
///
/// ``isConnectionFailure`` tells the caller to drop the connection and open a new one: the
/// connection never reconnects by itself.
package struct PostgresError: Error, CustomStringConvertible, Sendable {
    /// The five-character SQLSTATE (`PG_DIAG_SQLSTATE`), e.g. "23505", "40001"; `nil` when the
    /// failure happened in libpq (no connection, connection lost, bad parameters).
    package var sqlState: String?
    /// The primary message, followed by the server's detail and hint when it sent them.
    package var message: String
    /// What we were doing: `running "<the first 80 characters of the SQL>"` or
    /// `connecting to host:port/dbname`.
    package var what: String
    /// The connection is unusable (libpq status `CONNECTION_BAD`, SQLSTATE class 08, or the
    /// server shutting down or crashing: 57P01–57P03): drop it and connect again.
    package var isConnectionFailure: Bool
    /// In a ``PostgresConnection/pipeline(_:)``, the position of the statement that failed.
    package var statementIndex: Int?

    /// Creates an error; `isConnectionFailure` is also true for the SQLSTATEs that mean the
    /// connection is gone (class 08, 57P01–57P03).
    package init(sqlState: String? = nil, message: String, what: String, isConnectionFailure: Bool = false) {
        self.sqlState = sqlState
        self.message = message
        self.what = what
        self.isConnectionFailure = isConnectionFailure || Self.meansConnectionLost(sqlState)
    }

    /// A unique or primary-key constraint rejected the row (SQLSTATE 23505).
    package var isUniqueViolation: Bool { sqlState == "23505" }

    /// The transaction lost a serialization conflict or a deadlock (40001, 40P01): retry it.
    package var isSerializationFailure: Bool { sqlState == "40001" || sqlState == "40P01" }

    /// "PostgreSQL 23505: duplicate key value violates … while running "INSERT …"", followed by
    /// what to do when that is not obvious.
    package var description: String {
        var text = "PostgreSQL " + (sqlState.map { $0 + ": " } ?? "error: ") + message + " while " + what
        if isConnectionFailure {
            text +=
                "; the connection is unusable: drop it and open a new one"
                + " (check that the server runs and is reachable, and the URL)"
        } else if isSerializationFailure {
            text += "; the transaction was rolled back: retry it"
        }
        return text
    }

    /// `running "<SQL>"`, the SQL cut to its first 80 characters on one line.
    package static func running(_ sql: String) -> String {
        let oneLine = sql.split(whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\t" || $0 == " " })
            .joined(separator: " ")
        let cut = oneLine.count > 80 ? String(oneLine.prefix(80)) + "…" : oneLine
        return "running \"\(cut)\""
    }

    private static func meansConnectionLost(_ sqlState: String?) -> Bool {
        guard let sqlState else { return false }
        return sqlState.hasPrefix("08") || sqlState == "57P01" || sqlState == "57P02" || sqlState == "57P03"
    }
}
