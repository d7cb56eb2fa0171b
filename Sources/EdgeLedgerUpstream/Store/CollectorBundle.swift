/// The C2SP tlog-tiles entry bundle layout: `u16 big-endian length || entry`, repeated.
public enum CollectorBundle {
    /// The bundle of `entries`, in order.
    public static func encode(_ entries: [[UInt8]]) -> [UInt8] {
        var data: [UInt8] = []
        data.reserveCapacity(entries.reduce(0) { $0 + 2 + $1.count })
        for entry in entries { entry.withUnsafeBytes { append($0, to: &data) } }
        return data
    }

    /// Appends `entry` to the bundle `data` (its length as u16 big-endian, then its bytes).
    /// Entries are at most 65,535 bytes: the collectors and the mirror refuse larger ones.
    public static func append(_ entry: UnsafeRawBufferPointer, to data: inout [UInt8]) {
        data.append(UInt8(truncatingIfNeeded: entry.count >> 8))
        data.append(UInt8(truncatingIfNeeded: entry.count))
        data.append(contentsOf: entry)
    }

    /// The byte ranges of the entries of a bundle holding exactly `width` entries, or `nil` when
    /// it is malformed.
    public static func split(_ data: UnsafeRawBufferPointer, width: Int) -> [Range<Int>]? {
        var out: [Range<Int>] = []
        out.reserveCapacity(width)
        var offset = 0
        while offset < data.count {
            guard offset + 2 <= data.count else { return nil }
            let length = Int(data[offset]) << 8 | Int(data[offset + 1])
            guard offset + 2 + length <= data.count else { return nil }
            out.append(offset + 2..<offset + 2 + length)
            offset += 2 + length
        }
        return out.count == width ? out : nil
    }
}
