import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore
import EdgeLedgerSystem

/// The measurements of `docs/PERFORMANCE.md`, each against a fresh database in a scratch
/// directory. Raw-C baselines and store runs alternate within each round, so both see the same
/// machine state.
struct LedgerBenchmarks {
    let options: BenchOptions
    let scratch: String
    let hasher = OpenSSLHasher.sha256
    let origin = "bench.example/gw"
    let signer: any NoteSigner
    let verifier: any NoteVerifier
    /// A 27-byte topic and a 149-byte payload: a 200-byte entry, like the raw baseline's blob.
    static let topic = "factory/plant-7/line-2/temp"
    static let payload = Array(
        (#"{"sensor":"t-17","seq":123456,"ts":"2026-01-01T00:00:00.123Z","value":21.5,"unit":"C","#
            + #""status":"ok","fw":"1.4.2","battery":87,"rssi":-67,"pad":"xxx"}"#).utf8)
    static let entrySize = Entry.headerSize + topic.utf8.count + payload.count
    private var fileCounter = 0

    init(options: BenchOptions) throws {
        self.options = options
        var template = Array((options.directory + "/edge-ledger-bench.XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw BenchError("cannot create a scratch directory in \(options.directory)")
        }
        scratch = String(cString: made)
        let key = try PrivateKey.generate(.ed25519)
        signer = NoteKeys.signer(for: key, name: origin)
        verifier = NoteKeys.verifier(for: key.publicKey, name: origin)
    }

    /// A fresh database path; `remove` deletes it with its WAL files.
    mutating func freshPath() -> String {
        fileCounter += 1
        return scratch + "/db-\(fileCounter).sqlite"
    }

    func remove(_ path: String) {
        for suffix in ["", "-wal", "-shm", "-writer.lock"] { unlink(path + suffix) }
    }

    func removeScratch() { rmdir(scratch) }

    func reading(_ n: Int) -> ReadingInput {
        ReadingInput(receivedAt: 1_767_225_600_000_000_000 + Int64(n), qos: 1, topic: Self.topic, payload: Self.payload)
    }

    /// The signing closure: one real Ed25519 signature per checkpoint.
    func sign(_ request: SealRequest) throws -> String {
        let text = Checkpoint(origin: origin, size: request.size, root: request.root).text
        return try NoteSigning.sign(text: text, with: [signer]).serialized
    }

    // MARK: - Appends

    mutating func rawSingle(synchronous: String, commits: Int) -> (wall: Double, cpu: Double) {
        let path = freshPath()
        defer { remove(path) }
        let raw = RawSQLiteBench(path: path, synchronous: synchronous, blobSize: Self.entrySize)
        for _ in 0..<100 { raw.insertOne() }  // warm the page cache and WAL
        let watch = Stopwatch()
        for _ in 0..<commits { raw.insertOne() }
        return watch.elapsed()
    }

    mutating func storeSingle(durability: Durability, commits: Int) throws -> (wall: Double, cpu: Double) {
        let path = freshPath()
        defer { remove(path) }
        let store = try LedgerStore(path: path, durability: durability, hasher: hasher)
        for n in 0..<100 { try store.append(reading(n)) }
        let watch = Stopwatch()
        for n in 100..<(100 + commits) { try store.append(reading(n)) }
        let t = watch.elapsed()
        return t
    }

    mutating func rawBatch(rows: Int) -> (wall: Double, cpu: Double) {
        let path = freshPath()
        defer { remove(path) }
        let raw = RawSQLiteBench(path: path, synchronous: "NORMAL", blobSize: Self.entrySize)
        raw.insertBatch(1000)
        let watch = Stopwatch()
        for _ in 0..<(rows / 1000) { raw.insertBatch(1000) }
        return watch.elapsed()
    }

    mutating func storeBatch(rows: Int) throws -> (wall: Double, cpu: Double) {
        let path = freshPath()
        defer { remove(path) }
        let store = try LedgerStore(path: path, hasher: hasher)
        var n = 0
        func batch() -> [ReadingInput] {
            defer { n += 1000 }
            return (n..<n + 1000).map { reading($0) }
        }
        try store.append(batch: batch())
        var batches: [[ReadingInput]] = []
        for _ in 0..<(rows / 1000) { batches.append(batch()) }  // built outside the timed loop
        let watch = Stopwatch()
        for b in batches { try store.append(batch: b) }
        return watch.elapsed()
    }

    // MARK: - Sealing, proofs, verification

    /// Appends `entries` new entries (untimed), then times one seal of all of them.
    func sealRun(_ store: LedgerStore, entries: Int) throws -> (wall: Double, cpu: Double, tiles: Int) {
        var n = Int(store.nextIndex)
        let end = n + entries
        while n < end {
            let count = min(10_000, end - n)
            try store.append(batch: (n..<n + count).map { reading($0) })
            n += count
        }
        let watch = Stopwatch()
        guard let result = try store.seal(sign: sign) else { throw BenchError("nothing was sealed") }
        let t = watch.elapsed()
        return (t.wall, t.cpu, result.tilesWritten)
    }

    /// Times `count` RFC 6962 node hashes `H(0x01 || l || r)`: the unit cost of sealing and proofs.
    func nodeHashRun(count: Int) -> (wall: Double, cpu: Double) {
        var h = hasher.leafHash([1, 2, 3])
        let watch = Stopwatch()
        for _ in 0..<count { h = hasher.nodeHash(h, h) }
        let t = watch.elapsed()
        if h == .zero { print("") }  // keep the loop
        return t
    }

    /// Times `count` inclusion proofs for pseudo-random indices at the sealed size.
    func proofRun(_ reader: LedgerReader, size: UInt64, count: Int, seed: UInt64) throws -> (wall: Double, cpu: Double)
    {
        var x = seed | 1
        let watch = Stopwatch()
        for _ in 0..<count {
            x ^= x << 13
            x ^= x >> 7
            x ^= x << 17
            _ = try reader.inclusionProof(index: x % size, size: size)
        }
        return watch.elapsed()
    }
}

/// A benchmark setup failure.
struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
