extension Array where Element == UInt8 {
    /// Appends `value` in big-endian byte order (network order): the integers of the entry
    /// format, its attribute records, the tlog-mirror upload body and the acknowledgement proof.
    public mutating func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
    }
}
