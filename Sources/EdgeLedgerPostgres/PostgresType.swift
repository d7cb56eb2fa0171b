import CPostgres

/// The type of a typed NULL parameter (``PostgresValue/null(_:)``): the server needs one to
/// prepare the statement.
package enum PostgresType: Sendable {
    /// `int8` (bigint).
    case int64
    /// `text`.
    case text
    /// `bytea`.
    case bytea

    /// The type's OID in `pg_type`.
    var oid: Oid {
        switch self {
        case .int64: PostgresOID.int8
        case .text: PostgresOID.text
        case .bytea: PostgresOID.bytea
        }
    }
}

/// The built-in type OIDs (`pg_type.oid`, fixed since PostgreSQL 7) the connection sends or
/// decodes.
enum PostgresOID {
    static let bool: Oid = 16
    static let bytea: Oid = 17
    static let name: Oid = 19
    static let int8: Oid = 20
    static let int2: Oid = 21
    static let int4: Oid = 23
    static let text: Oid = 25
    static let oid: Oid = 26
    static let json: Oid = 114
    static let unknown: Oid = 705
    static let byteaArray: Oid = 1001
    static let int8Array: Oid = 1016
    static let textArray: Oid = 1009
    static let bpchar: Oid = 1042
    static let varchar: Oid = 1043

    /// Types whose binary form is their UTF-8 text.
    static let textual: Set<Oid> = [text, varchar, bpchar, name, unknown, json]
}
