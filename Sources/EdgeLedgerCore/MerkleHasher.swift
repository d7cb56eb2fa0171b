/// A hash function as the Merkle tree needs it (RFC 6962 §2.1).
///
/// The core has no cryptography of its own; `EdgeLedgerCrypto` provides OpenSSL-backed
/// implementations for SHA-256 and SM3. Implementations must be thread-safe.
public protocol MerkleHasher: Sendable {
    /// Which algorithm this is; recorded in checkpoints and the store.
    var algorithm: HashAlgorithm { get }

    /// `H(bytes)`.
    func hash(_ bytes: UnsafeRawBufferPointer) -> Hash32

    /// `H(prefix || first || second)`; the RFC 6962 leaf and node hashes are built on this.
    func hash(prefix: UInt8, _ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer) -> Hash32
}

extension MerkleHasher {
    /// The root of the empty tree: `H()`.
    public var emptyRoot: Hash32 {
        hash(UnsafeRawBufferPointer(start: nil, count: 0))
    }

    /// RFC 6962 leaf hash `H(0x00 || entry)`.
    @inlinable public func leafHash(_ entry: UnsafeRawBufferPointer) -> Hash32 {
        hash(prefix: 0x00, entry, UnsafeRawBufferPointer(start: nil, count: 0))
    }

    /// RFC 6962 leaf hash `H(0x00 || entry)`.
    @inlinable public func leafHash(_ entry: [UInt8]) -> Hash32 {
        entry.withUnsafeBytes { leafHash($0) }
    }

    /// RFC 6962 interior node hash `H(0x01 || left || right)`.
    @inlinable public func nodeHash(_ left: Hash32, _ right: Hash32) -> Hash32 {
        left.withUnsafeBytes { l in
            right.withUnsafeBytes { r in hash(prefix: 0x01, l, r) }
        }
    }
}
