import COpenSSL
import EdgeLedgerCore
import EdgeLedgerSystem

/// SHA-256 or SM3 through OpenSSL 3's EVP interface.
///
/// The `EVP_MD` is fetched once at initialisation (explicit fetch avoids the per-call
/// provider lookup of `EVP_sha256()`). Each thread keeps one `EVP_MD_CTX` per algorithm in
/// thread-local storage and re-initialises it for every hash, which saves the allocation and
/// teardown of a context per call (about a third of the cost of a 65-byte hash). A context is
/// only ever touched by its own thread and no user code runs while it is in use, so one
/// instance is safe to use from any number of threads.
public struct OpenSSLHasher: MerkleHasher, @unchecked Sendable {
    // @unchecked: `EVP_MD` objects are immutable after fetch and documented as thread-safe.
    /// Which algorithm this hasher computes.
    public let algorithm: HashAlgorithm
    private let md: OpaquePointer
    private let slot: Int

    /// A hasher for `algorithm`. Fails only if the OpenSSL build lacks the algorithm.
    public init(_ algorithm: HashAlgorithm) throws(CryptoError) {
        let name =
            switch algorithm {
            case .sha256: "SHA2-256"
            case .sm3: "SM3"
            }
        guard let md = EVP_MD_fetch(nil, name, nil) else {
            ERR_clear_error()
            throw CryptoError("OpenSSL has no \(name) digest", hint: "install OpenSSL 3 with the default provider")
        }
        self.algorithm = algorithm
        self.md = md
        self.slot = algorithm == .sha256 ? 0 : 1
    }

    /// A SHA-256 hasher; SHA-256 is in every OpenSSL 3 build.
    public static let sha256: OpenSSLHasher = try! OpenSSLHasher(.sha256)

    /// `H(bytes)`.
    public func hash(_ bytes: UnsafeRawBufferPointer) -> Hash32 {
        digest { ctx in
            if bytes.count > 0 { _ = EVP_DigestUpdate(ctx, bytes.baseAddress, bytes.count) }
        }
    }

    /// `H(prefix || first || second)`. Short inputs (such as the 65 bytes of a Merkle node)
    /// are gathered into one stack buffer and hashed with a single update.
    public func hash(prefix: UInt8, _ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer) -> Hash32 {
        let total = 1 + first.count + second.count
        if total <= 256 {
            return withUnsafeTemporaryAllocation(byteCount: 256, alignment: 16) { buffer in
                let base = buffer.baseAddress!
                base.storeBytes(of: prefix, as: UInt8.self)
                if first.count > 0 { (base + 1).copyMemory(from: first.baseAddress!, byteCount: first.count) }
                if second.count > 0 {
                    (base + 1 + first.count).copyMemory(from: second.baseAddress!, byteCount: second.count)
                }
                return digest { ctx in _ = EVP_DigestUpdate(ctx, base, total) }
            }
        }
        return digest { ctx in
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
        let ctx = HasherContexts.context(slot: slot)
        // Init cannot fail for a fetched digest short of memory exhaustion.
        _ = EVP_DigestInit_ex2(ctx, md, nil)
        update(ctx)
        return Hash32 { out in
            var len: UInt32 = 32
            _ = EVP_DigestFinal_ex(ctx, out.baseAddress!.assumingMemoryBound(to: UInt8.self), &len)
        }
    }
}

/// Per-thread `EVP_MD_CTX`s, one slot per hash algorithm, freed when the thread exits.
private enum HasherContexts {
    static let slotCount = 2

    static let key: pthread_key_t = {
        var key = pthread_key_t()
        let rc = pthread_key_create(&key) { raw in
            let raw: UnsafeMutableRawPointer? = raw
            guard let slots = raw?.assumingMemoryBound(to: OpaquePointer?.self) else { return }
            for i in 0..<HasherContexts.slotCount {
                if let ctx = slots[i] { EVP_MD_CTX_free(ctx) }
            }
            slots.deallocate()
        }
        precondition(rc == 0, "pthread_key_create failed: \(rc)")
        return key
    }()

    @inline(__always)
    static func context(slot: Int) -> OpaquePointer {
        let slots: UnsafeMutablePointer<OpaquePointer?>
        if let existing = pthread_getspecific(key) {
            slots = existing.assumingMemoryBound(to: OpaquePointer?.self)
        } else {
            slots = .allocate(capacity: slotCount)
            slots.initialize(repeating: nil, count: slotCount)
            precondition(pthread_setspecific(key, slots) == 0, "pthread_setspecific failed")
        }
        if let ctx = slots[slot] { return ctx }
        guard let ctx = EVP_MD_CTX_new() else { fatalError("OpenSSL: out of memory allocating a digest context") }
        slots[slot] = ctx
        return ctx
    }
}
