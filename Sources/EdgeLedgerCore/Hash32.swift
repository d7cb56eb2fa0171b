/// A 32-byte hash value (SHA-256 or SM3 output), stored inline without heap allocation.
///
/// Merkle computations create millions of these; keeping them as four words makes
/// equality and copies cheap and allocation-free.
public struct Hash32: Hashable, Sendable {
    @usableFromInline var w0: UInt64
    @usableFromInline var w1: UInt64
    @usableFromInline var w2: UInt64
    @usableFromInline var w3: UInt64

    /// The all-zero value; not a valid hash of anything in practice.
    public static let zero = Hash32(w0: 0, w1: 0, w2: 0, w3: 0)

    @inlinable init(w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64) {
        self.w0 = w0
        self.w1 = w1
        self.w2 = w2
        self.w3 = w3
    }

    /// Creates a hash from exactly 32 bytes; returns `nil` for any other length.
    @inlinable public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 32 else { return nil }
        self = .zero
        withUnsafeMutableBytes { dst in
            _ = dst.initializeMemory(as: UInt8.self, from: bytes)
        }
    }

    /// Creates a hash by letting `body` fill its 32 bytes.
    @inlinable public init(unsafeUninitializedBytes body: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
        self = .zero
        try withUnsafeMutableBytes(body)
    }

    /// Calls `body` with the 32 bytes of this hash.
    @inlinable public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var copy = self
        return try Swift.withUnsafeBytes(of: &copy) { raw in
            try body(UnsafeRawBufferPointer(rebasing: raw[0..<32]))
        }
    }

    /// Calls `body` with the 32 mutable bytes of this hash.
    @inlinable public mutating func withUnsafeMutableBytes<R>(
        _ body: (UnsafeMutableRawBufferPointer) throws -> R
    ) rethrows -> R {
        try Swift.withUnsafeMutableBytes(of: &self) { raw in
            try body(UnsafeMutableRawBufferPointer(rebasing: raw[0..<32]))
        }
    }

    /// The 32 bytes as an array.
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// Lowercase hexadecimal, 64 characters.
    public var hex: String { Hex.encode(bytes) }

    /// `hashes` one after the other, 32 bytes each (a hash tile's bytes).
    public static func concatenated(_ hashes: some Collection<Hash32>) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(hashes.count * 32)
        for hash in hashes { hash.withUnsafeBytes { bytes.append(contentsOf: $0) } }
        return bytes
    }
}

extension Hash32: CustomStringConvertible {
    public var description: String { hex }
}
