import CPostgres
import EdgeLedgerSystem
import Logging

/// One libpq connection, used synchronously: every call blocks until the server answers.
///
/// Not thread-safe: one thread at a time (the caller's pool confines it, and runs it on threads
/// of its own, not on Swift concurrency's). After a connection failure (``isConnected`` is
/// false, the error's ``PostgresError/isConnectionFailure`` is true), drop it and open a new
/// one: it never reconnects by itself.
///
/// ``execute(_:_:)`` prepares each distinct SQL text once per connection (and once more per
/// different set of parameter types), sends parameters in binary and receives binary results.
package final class PostgresConnection {
    /// Server description for messages: "host:port/dbname" (never the password).
    package let location: String
    private var handle: OpaquePointer?
    var statements: [StatementKey: String] = [:]
    private var preparedCount = 0
    private let notices: NoticeSink

    /// Prepared statements kept before they are all deallocated (`DEALLOCATE ALL`) and the
    /// cache starts again: a bound for SQL built at run time.
    package static let statementCacheLimit = 1_000

    /// Connects to `url`: a libpq connection URI (`postgres://user:pw@host:port/db?sslmode=…`)
    /// or a `key=value` string.
    ///
    /// Sets connect_timeout=10, keepalives=1, keepalives_idle=10, keepalives_interval=5,
    /// keepalives_count=3, tcp_user_timeout=30000, client_encoding=UTF8 and `application_name`
    /// unless the URL sets them. Server notices (NOTICE, WARNING) go to `logger` at debug level.
    package init(
        url: String, applicationName: String = "edge-ledger-upstream",
        logger: Logger = Logger(label: "edge-ledger.postgres")
    ) throws(PostgresError) {
        // Keywords before "dbname" are defaults: the URL, expanded in its place, overrides them.
        let settings: [(String, String)] = [
            ("connect_timeout", "10"), ("keepalives", "1"), ("keepalives_idle", "10"),
            ("keepalives_interval", "5"), ("keepalives_count", "3"), ("tcp_user_timeout", "30000"),
            ("client_encoding", "UTF8"), ("application_name", applicationName), ("dbname", url),
        ]
        let keys: [UnsafeMutablePointer<CChar>?] = settings.map { strdup($0.0) } + [nil]
        let values: [UnsafeMutablePointer<CChar>?] = settings.map { strdup($0.1) } + [nil]
        defer {
            keys.forEach { free($0) }
            values.forEach { free($0) }
        }
        let keyPointers: [UnsafePointer<CChar>?] = keys.map { $0.map { UnsafePointer($0) } }
        let valuePointers: [UnsafePointer<CChar>?] = values.map { $0.map { UnsafePointer($0) } }
        let connection = PQconnectdbParams(keyPointers, valuePointers, 1)
        guard let connection else {
            throw PostgresError(
                message: "libpq could not allocate a connection (out of memory)", what: "connecting",
                isConnectionFailure: true)
        }
        location = Self.describe(connection)
        notices = NoticeSink(logger: logger, location: location)
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = Self.redact(Self.errorMessage(connection), url: url)
            PQfinish(connection)
            throw PostgresError(message: message, what: "connecting to \(location)", isConnectionFailure: true)
        }
        handle = connection
        PQsetNoticeProcessor(
            connection,
            { context, message in
                guard let context, let message else { return }
                Unmanaged<NoticeSink>.fromOpaque(context).takeUnretainedValue().log(String(cString: message))
            }, Unmanaged.passUnretained(notices).toOpaque())
    }

    deinit { close() }

    /// Whether the connection is usable (`PQstatus` is `CONNECTION_OK`).
    package var isConnected: Bool {
        guard let handle else { return false }
        return PQstatus(handle) == CONNECTION_OK
    }

    /// Closes the connection (`PQfinish`); later calls fail with a connection failure.
    package func close() {
        guard let handle else { return }
        PQfinish(handle)
        self.handle = nil
        statements.removeAll()
    }

    /// Runs one parameterised statement (`$1`, `$2`, …) and returns its rows.
    ///
    /// The statement is prepared once per connection and SQL text, with the parameter types of
    /// `params` (prepared again when they differ), then executed with binary parameters and
    /// binary results.
    @discardableResult
    package func execute(_ sql: String, _ params: [PostgresValue] = []) throws(PostgresError) -> PostgresResult {
        let connection = try live(sql)
        let parameters = try PostgresParameters(params, what: PostgresError.running(sql))
        var attempt = 1
        while true {
            let name = try prepared(sql, types: parameters.types, connection)
            let raw = parameters.withArrays { values, lengths, formats in
                PQexecPrepared(connection, name, Int32(params.count), values, lengths, formats, 1)
            }
            do {
                return try check(raw, sql, connection)
            } catch let error where error.sqlState == "26000" {
                // The prepared statements were deallocated behind the cache's back (DEALLOCATE,
                // DISCARD ALL): prepare again, and retry at once unless a transaction is open
                // (it is aborted now).
                statements.removeAll()
                guard attempt == 1, PQtransactionStatus(connection) == PQTRANS_IDLE else { throw error }
                attempt += 1
            }
        }
    }

    /// Runs SQL text without parameters, which may hold several statements separated by `;`
    /// (DDL, `BEGIN`, `COMMIT`), with `PQexec`; results are discarded.
    ///
    /// Statements of one call without an explicit `BEGIN` run in one implicit transaction.
    package func executeScript(_ sql: String) throws(PostgresError) {
        let connection = try live(sql)
        _ = try check(PQexec(connection, sql), sql, connection)
    }

    /// `name` as an SQL identifier in double quotes, inner double quotes doubled: for names that
    /// cannot be parameters (`CREATE DATABASE`, table names).
    package static func quoteIdentifier(_ name: String) -> String {
        "\"" + name.replacing("\"", with: "\"\"") + "\""
    }

    // MARK: Internals

    struct StatementKey: Hashable {
        var sql: String
        var types: [Oid]
    }

    func live(_ sql: String) throws(PostgresError) -> OpaquePointer {
        guard let handle else {
            throw PostgresError(
                message: "the connection to \(location) is closed", what: PostgresError.running(sql),
                isConnectionFailure: true)
        }
        return handle
    }

    /// The name of the statement prepared for `sql` with `types`, preparing it first if needed.
    func prepared(_ sql: String, types: [Oid], _ connection: OpaquePointer) throws(PostgresError) -> String {
        let key = StatementKey(sql: sql, types: types)
        if let name = statements[key] { return name }
        if statements.count >= Self.statementCacheLimit {
            try executeScript("DEALLOCATE ALL")
            statements.removeAll()
        }
        preparedCount += 1
        let name = "edge_ledger_\(preparedCount)"
        let raw = types.withUnsafeBufferPointer {
            PQprepare(connection, name, sql, Int32(types.count), $0.baseAddress)
        }
        _ = try check(raw, sql, connection)
        statements[key] = name
        return name
    }

    /// `raw` as a result when the command succeeded; otherwise clears it and throws.
    func check(
        _ raw: OpaquePointer?, _ sql: String, _ connection: OpaquePointer
    ) throws(PostgresError)
        -> PostgresResult
    {
        guard let raw else {
            throw PostgresError(
                message: Self.errorMessage(connection), what: PostgresError.running(sql),
                isConnectionFailure: PQstatus(connection) != CONNECTION_OK)
        }
        let status = PQresultStatus(raw)
        if status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY {
            return PostgresResult(raw)
        }
        defer { PQclear(raw) }
        guard status == PGRES_FATAL_ERROR || status == PGRES_NONFATAL_ERROR else {
            // COPY (or anything else that leaves the protocol mid-way): the connection cannot
            // take the next command, so it is closed rather than left stuck.
            let name = String(cString: PQresStatus(status))
            close()
            throw PostgresError(
                message: "the statement returned \(name), which this connection does not handle (no COPY);"
                    + " the connection was closed", what: PostgresError.running(sql), isConnectionFailure: true)
        }
        func field(_ code: Character) -> String? {
            guard let value = PQresultErrorField(raw, Int32(code.asciiValue!)) else { return nil }
            let text = String(cString: value)
            return text.isEmpty ? nil : text
        }
        var message = field("M") ?? Self.errorMessage(connection)
        if let position = field("P") { message += " (at character \(position))" }
        if let detail = field("D") { message += ". Detail: " + detail }
        if let hint = field("H") { message += ". Hint: " + hint }
        throw PostgresError(
            sqlState: field("C"), message: message, what: PostgresError.running(sql),
            isConnectionFailure: PQstatus(connection) != CONNECTION_OK)
    }

    /// libpq's last message on one line.
    static func errorMessage(_ connection: OpaquePointer) -> String {
        let text = PQerrorMessage(connection).map { String(cString: $0) } ?? ""
        let words = text.split(whereSeparator: \.isWhitespace)
        return words.isEmpty ? "unknown libpq error" : words.joined(separator: " ")
    }

    /// "host:port/dbname" from what libpq resolved (also after a failed attempt).
    private static func describe(_ connection: OpaquePointer) -> String {
        let host = PQhost(connection).map { String(cString: $0) } ?? ""
        let port = PQport(connection).map { String(cString: $0) } ?? ""
        let db = PQdb(connection).map { String(cString: $0) } ?? ""
        guard !host.isEmpty || !db.isEmpty else { return "PostgreSQL (URL not understood)" }
        return "\(host.isEmpty ? "localhost" : host):\(port.isEmpty ? "5432" : port)/\(db)"
    }

    /// `message` with the URL's password, if any, replaced: libpq quotes parts of a malformed
    /// connection string.
    private static func redact(_ message: String, url: String) -> String {
        var password: Substring?
        if let scheme = url.firstRange(of: "://") {
            let authority = url[scheme.upperBound...].prefix { $0 != "/" && $0 != "?" }
            if let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") {
                password = authority[authority.index(after: colon)..<at]
            }
        } else if let range = url.firstRange(of: "password=") {
            password = url[range.upperBound...].prefix { $0 != " " }
        }
        guard let password, !password.isEmpty else { return message }
        return message.replacing(password, with: "<password>")
    }
}

/// Where a connection's server notices go: the connection's logger, at debug level.
private final class NoticeSink {
    let logger: Logger
    let location: String

    init(logger: Logger, location: String) {
        self.logger = logger
        self.location = location
    }

    func log(_ message: String) {
        let notice = message.split(whereSeparator: \.isNewline).joined(separator: " ")
        logger.debug("PostgreSQL notice", metadata: ["server": "\(location)", "notice": "\(notice)"])
    }
}
