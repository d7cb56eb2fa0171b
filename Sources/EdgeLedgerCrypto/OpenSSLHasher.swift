import COpenSSL
import EdgeLedgerCore

/// SHA-256 or SM3 through OpenSSL 3's EVP interface.
///
/// The `EVP_MD` is fetched once at initialisation (explicit fetch avoids the per-call
/// provider lookup of `EVP_sha256()`); each hash uses a short-lived `EVP_MD_CTX`, so one
/// instance is safe to use from any number of threads.
public struct OpenSSLHasher: MerkleHasher, @unchecked Sendable {
    // @unchecked: `EVP_MD` objects are immutable after fetch and documented as thread-safe.
    public let algorithm: HashAlgorithm
    private let md: OpaquePointer

    /// A hasher for `algorithm`. Fails only if the OpenSSL build lacks the algorithm.
    public init(_ algorithm: HashAlgorithm) throws(CryptoError) {
        let name =
            switch algorithm {
            case .sha256: "SHA2-256"
            case .sm3: "SM3"
            }
        guard let md = EVP_MD_fetch(nil, name, nil) else {
            throw CryptoError("OpenSSL has no \(name) digest", hint: "install OpenSSL 3 with the default provider")
        }
        self.algorithm = algorithm
        self.md = md
    }

    /// A SHA-256 hasher; SHA-256 is in every OpenSSL 3 build.
    public static let sha256: OpenSSLHasher = try! OpenSSLHasher(.sha256)

    public func hash(_ bytes: UnsafeRawBufferPointer) -> Hash32 {
        digest { ctx in
            _ = EVP_DigestUpdate(ctx, bytes.baseAddress, bytes.count)
        }
    }

    public func hash(prefix: UInt8, _ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer) -> Hash32 {
        digest { ctx in
            var p = prefix
            _ = EVP_DigestUpdate(ctx, &p, 1)
            if first.count > 0 { _ = EVP_DigestUpdate(ctx, first.baseAddress, first.count) }
            if second.count > 0 { _ = EVP_DigestUpdate(ctx, second.baseAddress, second.count) }
        }
    }

    /// Hash of a byte array.
    public func hash(_ bytes: [UInt8]) -> Hash32 {
        bytes.withUnsafeBytes { hash($0) }
    }

    @inline(__always)
    private func digest(_ update: (OpaquePointer) -> Void) -> Hash32 {
        let ctx = EVP_MD_CTX_new()!
        defer { EVP_MD_CTX_free(ctx) }
        // Init cannot fail for a fetched digest short of memory exhaustion.
        _ = EVP_DigestInit_ex2(ctx, md, nil)
        update(ctx)
        return Hash32 { out in
            var len: UInt32 = 32
            _ = EVP_DigestFinal_ex(ctx, out.baseAddress!.assumingMemoryBound(to: UInt8.self), &len)
        }
    }
}
