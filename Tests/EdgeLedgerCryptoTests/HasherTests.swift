import EdgeLedgerCore
import EdgeLedgerCrypto
import Foundation
import Testing

@Suite struct HasherTests {
    @Test func sha256EmptyRoot() throws {
        #expect(
            OpenSSLHasher.sha256.emptyRoot.hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func sha256KnownAnswer() {
        #expect(
            OpenSSLHasher.sha256.hash(Array("abc".utf8)).hex
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func sm3Vectors() throws {
        let vectors = try CryptoVectors.load()
        #expect(vectors.sm3.count >= 3)
        let sm3 = try OpenSSLHasher(.sm3)
        #expect(sm3.algorithm == .sm3)
        for v in vectors.sm3 {
            #expect(sm3.hash(Array(v.message_utf8.utf8)).hex == v.digest.lowercased(), "\(v.source)")
        }
    }

    /// The prefix form must equal hashing the concatenation, for short (stack buffer) and long
    /// (multi-update) inputs, for both algorithms.
    @Test(arguments: [HashAlgorithm.sha256, .sm3], [0, 1, 32, 64, 200, 255, 256, 1000])
    func prefixFormMatchesConcatenation(algorithm: HashAlgorithm, length: Int) throws {
        let hasher = try OpenSSLHasher(algorithm)
        let first = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let second = (0..<(length / 2)).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        let joined = [0x01] + first + second
        let viaPrefix = first.withUnsafeBytes { f in second.withUnsafeBytes { s in hasher.hash(prefix: 0x01, f, s) } }
        #expect(viaPrefix == hasher.hash(joined))
    }

    /// Interleaving algorithms and instances on one thread uses separate contexts correctly.
    @Test func interleavedAlgorithms() throws {
        let sm3 = try OpenSSLHasher(.sm3)
        let sha = try OpenSSLHasher(.sha256)
        let abc = Array("abc".utf8)
        for _ in 0..<3 {
            #expect(sm3.hash(abc).hex == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0")
            #expect(sha.hash(abc).hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
            #expect(OpenSSLHasher.sha256.hash(abc) == sha.hash(abc))
        }
    }

    /// Many threads hashing at once agree with a single-threaded reference.
    @Test func concurrentHashingAgrees() async throws {
        let hasher = OpenSSLHasher.sha256
        let sm3 = try OpenSSLHasher(.sm3)
        let inputs = (0..<200).map { i in (0..<(i % 90)).map { UInt8(truncatingIfNeeded: $0 ^ i) } }
        let expected = inputs.map { (hasher.hash($0), sm3.hash($0)) }
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var ok = true
                    for _ in 0..<20 {
                        for (i, input) in inputs.enumerated() {
                            ok = ok && hasher.hash(input) == expected[i].0 && sm3.hash(input) == expected[i].1
                        }
                    }
                    return ok
                }
            }
            for try await ok in group { #expect(ok) }
        }
        // And from plain threads, which exit and free their contexts.
        let results = ThreadResults()
        var threads: [Thread] = []
        for _ in 0..<4 {
            let thread = Thread {
                results.append(inputs.enumerated().allSatisfy { hasher.hash($0.element) == expected[$0.offset].0 })
            }
            threads.append(thread)
            thread.start()
        }
        while results.count < 4 { try await Task.sleep(for: .milliseconds(5)) }
        #expect(results.all)
    }
}

private final class ThreadResults: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Bool] = []
    func append(_ v: Bool) { lock.withLock { values.append(v) } }
    var count: Int { lock.withLock { values.count } }
    var all: Bool { lock.withLock { values.allSatisfy { $0 } } }
}
