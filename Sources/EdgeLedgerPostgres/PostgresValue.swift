import CPostgres

/// A statement parameter, sent in binary with an explicit type OID (so `$1` needs no cast in
/// the SQL, except to pick an array's element type in `unnest($1::bytea[])`, which is harmless).
package enum PostgresValue: Sendable {
    /// A typed NULL.
    case null(PostgresType)
    /// `int8`, sent big-endian.
    case int64(Int64)
    /// `text`, sent as its UTF-8 bytes (PostgreSQL rejects NUL characters in text).
    case text(String)
    /// `bytea`.
    case bytea([UInt8])
    /// `bytea[]`, one dimension, in the binary array format: for
    /// `INSERT … SELECT … FROM unnest($1::bytea[]) WITH ORDINALITY`.
    case byteaArray([[UInt8]])
    /// `int8[]`, one dimension.
    case int64Array([Int64])
    /// `text[]`, one dimension (PostgreSQL rejects NUL characters in text).
    case textArray([String])

    /// The OID the statement is prepared with.
    var typeOID: Oid {
        switch self {
        case .null(let type): type.oid
        case .int64: PostgresOID.int8
        case .text: PostgresOID.text
        case .bytea: PostgresOID.bytea
        case .byteaArray: PostgresOID.byteaArray
        case .int64Array: PostgresOID.int8Array
        case .textArray: PostgresOID.textArray
        }
    }

    /// The size of the binary form, without encoding it; `nil` for NULL.
    var encodedSize: Int? {
        switch self {
        case .null: nil
        case .int64: 8
        case .text(let s): s.utf8.count
        case .bytea(let b): b.count
        case .byteaArray(let items): Self.arrayHeaderSize(items.count) + items.reduce(0) { $0 + 4 + $1.count }
        case .int64Array(let items): Self.arrayHeaderSize(items.count) + items.count * 12
        case .textArray(let items): Self.arrayHeaderSize(items.count) + items.reduce(0) { $0 + 4 + $1.utf8.count }
        }
    }

    /// Appends the binary form to `out` (nothing for NULL).
    func encode(into out: inout [UInt8]) {
        switch self {
        case .null: break
        case .int64(let v): Self.append(UInt64(bitPattern: v), to: &out)
        case .text(let s): out.append(contentsOf: s.utf8)
        case .bytea(let b): out.append(contentsOf: b)
        case .byteaArray(let items):
            Self.appendArrayHeader(count: items.count, element: PostgresOID.bytea, to: &out)
            for item in items {
                Self.append(UInt32(item.count), to: &out)
                out.append(contentsOf: item)
            }
        case .int64Array(let items):
            Self.appendArrayHeader(count: items.count, element: PostgresOID.int8, to: &out)
            for item in items {
                Self.append(UInt32(8), to: &out)
                Self.append(UInt64(bitPattern: item), to: &out)
            }
        case .textArray(let items):
            Self.appendArrayHeader(count: items.count, element: PostgresOID.text, to: &out)
            for item in items {
                Self.append(UInt32(item.utf8.count), to: &out)
                out.append(contentsOf: item.utf8)
            }
        }
    }

    /// Dimensions, has-nulls flag and element type, then size and lower bound of the one
    /// dimension; an empty array has no dimensions.
    private static func arrayHeaderSize(_ count: Int) -> Int { count == 0 ? 12 : 20 }

    private static func appendArrayHeader(count: Int, element: Oid, to out: inout [UInt8]) {
        append(UInt32(count == 0 ? 0 : 1), to: &out)
        append(UInt32(0), to: &out)
        append(UInt32(element), to: &out)
        guard count > 0 else { return }
        append(UInt32(count), to: &out)
        append(UInt32(1), to: &out)
    }

    private static func append<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { out.append(contentsOf: $0) }
    }
}
