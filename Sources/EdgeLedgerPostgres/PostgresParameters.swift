import CPostgres

/// The binary forms of a statement's parameters in one buffer, and the pointer, length and
/// format arrays `PQexecPrepared` takes.
struct PostgresParameters {
    /// PostgreSQL's limit for one value (1 GB).
    static let maximumValueSize = 0x3FFF_FFFF

    private var buffer: [UInt8] = []
    private var offsets: [Int] = []
    private var lengths: [Int32] = []
    let types: [Oid]

    /// Encodes `values`; throws when one is larger than PostgreSQL accepts.
    init(_ values: [PostgresValue], what: @autoclosure () -> String) throws(PostgresError) {
        types = values.map(\.typeOID)
        var total = 1
        for (index, value) in values.enumerated() {
            let size = value.encodedSize ?? 0
            guard size <= Self.maximumValueSize else {
                throw PostgresError(
                    message: "parameter $\(index + 1) is \(size) bytes, more than PostgreSQL's 1 GB per value;"
                        + " split it", what: what())
            }
            total += size
        }
        // One byte more than needed: an empty value still gets a non-NULL pointer.
        buffer.reserveCapacity(total)
        buffer.append(0)
        offsets.reserveCapacity(values.count)
        lengths.reserveCapacity(values.count)
        for value in values {
            let start = buffer.count
            value.encode(into: &buffer)
            offsets.append(value.encodedSize == nil ? -1 : start)
            lengths.append(Int32(buffer.count - start))
        }
    }

    /// Calls `body` with the value pointers (NULL for NULL parameters), lengths and formats
    /// (all binary), valid only during the call.
    func withArrays<R>(
        _ body: (
            _ values: UnsafePointer<UnsafePointer<CChar>?>?, _ lengths: UnsafePointer<Int32>?,
            _ formats: UnsafePointer<Int32>?
        ) -> R
    ) -> R {
        let formats = [Int32](repeating: 1, count: offsets.count)
        return buffer.withUnsafeBytes { raw in
            let base = raw.baseAddress!.assumingMemoryBound(to: CChar.self)
            let pointers: [UnsafePointer<CChar>?] = offsets.map { $0 < 0 ? nil : UnsafePointer(base + $0) }
            return pointers.withUnsafeBufferPointer { values in
                lengths.withUnsafeBufferPointer { lengths in
                    formats.withUnsafeBufferPointer { formats in
                        body(values.baseAddress, lengths.baseAddress, formats.baseAddress)
                    }
                }
            }
        }
    }
}
