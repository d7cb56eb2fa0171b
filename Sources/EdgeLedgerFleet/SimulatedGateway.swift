import EdgeLedgerCore
import EdgeLedgerCrypto
import Synchronization

/// One simulated gateway of the fleet: a real EdgeLedger log (format-v1 entries carrying their
/// own index, RFC 6962 tree, C2SP hash tiles, a checkpoint signed with its own Ed25519 key),
/// without MQTT, SQLite or an agent.
///
/// **Memory.** Entries are never stored: entry `i` is a pure function of (gateway, `i`)
/// (``entry(at:)``), so bundles are regenerated when served. What is kept is the hash tiles
/// (32 bytes per leaf plus ~1/255 of that for the levels above), in a ``TileMap``: 18 million
/// entries take ~580 MB.
///
/// **Concurrency.** One task seals (``seal(upTo:)``); the HTTP server and the witness pusher
/// read. The tree, the published checkpoint and the witness state are guarded by one mutex,
/// held for a tile extension or a lookup, never while signing or doing I/O.
final class SimulatedGateway: Sendable {
    /// The gateway's number in the fleet (`gw-<number>`).
    let number: Int
    /// Its log origin, `fleet.example/gw-<number>`.
    let origin: String
    /// Its verifier key, `origin+keyid+base64` (what the upstream enrolls).
    let verifierKey: VerifierKey
    /// When its entry 0 was received (Unix ns); entry `i` was received `i` × ``interval`` later.
    let epoch: Int64
    /// Nanoseconds between two readings.
    let interval: Int64
    private let signer: any NoteSigner
    /// Its readings' topic, `plant-<number / 10>/gw-<number>/temperature`, as UTF-8.
    let topicBytes: [UInt8]
    let hasher = OpenSSLHasher.sha256
    /// Guarded state; ``SimulatedGateway+Mirror.swift`` reads it too.
    let state = Mutex(State())

    /// What the mutex guards.
    struct State {
        /// The tiles of the tree of ``size`` entries.
        var tiles = TileMap()
        /// Entries in the tree (sealed; a checkpoint for this size may still be being signed).
        var size: UInt64 = 0
        /// The latest signed checkpoint: what `GET /checkpoint` serves.
        var published: Published?
        /// The checkpoint last served to a collector (the witness accepts a first checkpoint only
        /// up to what the upstream's collector verified).
        var served: Published?
        /// The size the witness is believed to hold (0: none yet).
        var witnessSize: UInt64 = 0
        /// Push mode: the size of the mirror's pending or verified checkpoint (0: none yet).
        var mirrorSize: UInt64 = 0
        /// Push mode: the mirror's next entry as last advertised (`nil`: ask it).
        var mirrorNext: UInt64?
        /// Push mode: the largest size the mirror cosigned.
        var mirrorCosigned: UInt64 = 0
        /// Nothing more is sealed until the mirror cosigned this size (its upload was prepared
        /// for exactly that checkpoint: ``FleetMirrorPusher/prepare(_:)``).
        var sealingHeldUntil: UInt64 = 0
        /// Full entry bundles made before the run (``prepareBundles(upTo:)``), by index.
        var bundles: [UInt64: [UInt8]] = [:]
    }

    /// A signed checkpoint.
    struct Published: Sendable {
        var size: UInt64
        var note: String
    }

    /// A gateway numbered `number` whose readings arrive `rate` times a second, the first at
    /// `epoch` (Unix ns).
    init(number: Int, rate: Int, epoch: Int64) throws {
        self.number = number
        self.origin = "fleet.example/gw-\(number)"
        let key = try PrivateKey.generate(.ed25519)
        self.signer = NoteKeys.signer(for: key, name: origin)
        self.verifierKey = NoteKeys.verifierKey(for: key, name: origin)
        self.epoch = epoch
        self.interval = 1_000_000_000 / Int64(max(1, rate))
        self.topicBytes = Array("plant-\(number / 10)/gw-\(number)/temperature".utf8)
    }

    /// Entries sealed so far.
    var size: UInt64 { state.withLock { $0.size } }

    // MARK: - Entries

    /// Entry `index`: a QoS 1 reading on the gateway's topic with a small JSON payload, the same
    /// bytes every time it is asked for.
    func entry(at index: UInt64) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128)
        appendEntry(at: index, to: &out)
        return out
    }

    /// Appends entry `index` (``entry(at:)``) to `out`: the format-v1 encoding of
    /// `Entry(index:receivedAt:qos: 1, retain: false, topic:payload:)`, written in place (the
    /// fleet serves a million entries a second of backlog, so no strings or arrays per entry).
    func appendEntry(at index: UInt64, to out: inout [UInt8]) {
        let tenths = Int((index &* 2_654_435_761 &+ UInt64(number)) % 400) - 100
        out.append(Entry.formatVersion)
        out.append(1)  // flags: QoS 1, not retained
        out.appendBigEndian(index)
        out.appendBigEndian(epoch &+ Int64(index) &* interval)
        out.appendBigEndian(UInt16(topicBytes.count))
        out.append(contentsOf: topicBytes)
        let length = out.count
        out.appendBigEndian(UInt32(0))
        // {"sensor":<index % 8>,"celsius":<tenths / 10>.<|tenths % 10|>,"seq":<index>}
        out.append(contentsOf: Self.sensorKey)
        JSONWriter.appendInteger(index % 8, to: &out)
        out.append(contentsOf: Self.celsiusKey)
        JSONWriter.appendInteger(tenths / 10, to: &out)
        out.append(UInt8(ascii: "."))
        JSONWriter.appendInteger(abs(tenths % 10), to: &out)
        out.append(contentsOf: Self.seqKey)
        JSONWriter.appendInteger(index, to: &out)
        out.append(UInt8(ascii: "}"))
        let payload = UInt32(out.count - length - 4)
        withUnsafeBytes(of: payload.bigEndian) { bytes in
            for k in 0..<4 { out[length + k] = bytes[k] }
        }
    }

    private static let sensorKey = Array(#"{"sensor":"#.utf8)
    private static let celsiusKey = Array(#","celsius":"#.utf8)
    private static let seqKey = Array(#","seq":"#.utf8)

    /// The entry bundle at `index` of `width` entries (`u16 length || entry` each).
    func bundle(index: UInt64, width: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(width * 120)
        let first = index * UInt64(TileID.fullWidth)
        for i in first..<first + UInt64(width) {
            let length = out.count
            out.append(contentsOf: [0, 0])
            appendEntry(at: i, to: &out)
            let count = out.count - length - 2
            out[length] = UInt8(count >> 8)
            out[length + 1] = UInt8(count & 0xff)
        }
        return out
    }

    /// Makes the full entry bundles below `size` now, served from memory from then on (about
    /// 28 KiB a bundle: 110 MiB for a million entries). For the backlog gateway: a real gateway
    /// serves its bundles with its own CPU, here they would take the upstream's.
    func prepareBundles(upTo size: UInt64) {
        let full = size / UInt64(TileID.fullWidth)
        var made: [UInt64: [UInt8]] = [:]
        made.reserveCapacity(Int(full))
        for index in 0..<full { made[index] = bundle(index: index, width: TileID.fullWidth) }
        state.withLock { $0.bundles = made }
    }

    // MARK: - Sealing

    /// Appends entries up to `target` and signs a checkpoint of the new size; returns it (`nil`
    /// when there was nothing to append and a checkpoint exists).
    func seal(upTo target: UInt64) throws -> Published? {
        let (old, held, unpublished) = state.withLock {
            ($0.size, $0.mirrorCosigned < $0.sealingHeldUntil, $0.published == nil)
        }
        guard !held, target > old || unpublished else { return nil }
        let count = Int(max(target, old) - old)
        var leaves: [Hash32] = []
        leaves.reserveCapacity(count)
        for i in old..<old + UInt64(count) {
            leaves.append(hasher.leafHash(entry(at: i)))
        }
        let root: Hash32 = try state.withLock { s in
            let ext = try TiledTree.extend(from: old, appending: leaves, reader: s.tiles, hasher: hasher)
            s.tiles.apply(ext)
            s.size = ext.newSize
            return ext.root
        }
        let size = old + UInt64(count)
        let note = try NoteSigning.sign(
            text: Checkpoint(origin: origin, size: size, root: root).text, with: [signer]
        ).serialized
        let published = Published(size: size, note: note)
        state.withLock { $0.published = published }
        return published
    }

    // MARK: - Serving

    /// The latest signed checkpoint, remembered as served to a collector.
    func checkpointForCollector() -> String? {
        state.withLock { s in
            if s.published != nil { s.served = s.published }
            return s.published?.note
        }
    }

    /// What `GET /tile/…` answers for `id`: the bytes, or `nil` when the tile lies beyond the
    /// latest checkpoint (404).
    func tile(_ id: TileID) -> [UInt8]? {
        let (published, prepared) = state.withLock { s in
            (s.published?.size ?? 0, id.isEntryBundle && id.width == TileID.fullWidth ? s.bundles[id.index] : nil)
        }
        guard id.isContained(inTreeOfSize: published) else { return nil }
        if id.isEntryBundle { return prepared ?? bundle(index: id.index, width: id.width) }
        let hashes = state.withLock { $0.tiles[level: id.level, index: id.index] }
        guard let hashes, hashes.count >= id.width else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(id.width * 32)
        for hash in hashes[0..<id.width] { out.append(contentsOf: hash.bytes) }
        return out
    }

    // MARK: - Witness

    /// The `add-checkpoint` body to send now, with the old size it claims: the latest checkpoint
    /// with a consistency proof from the witness's size; while the witness holds nothing, the
    /// checkpoint last served to a collector (a first checkpoint is cosigned only up to what the
    /// upstream verified). `nil` when there is nothing new.
    func witnessRequest() throws -> (oldSize: UInt64, size: UInt64, body: String)? {
        try state.withLock { s in
            let old = s.witnessSize
            guard let latest = old == 0 ? s.served : s.published, latest.size > old else { return nil }
            let proof =
                old == 0
                ? [] : try TiledTree.consistencyProof(from: old, to: latest.size, reader: s.tiles, hasher: hasher)
            return (old, latest.size, WitnessRequest.body(oldSize: old, proof: proof, note: latest.note))
        }
    }

    /// Records the size the witness holds (after a 200 or a 409).
    func witnessHolds(_ size: UInt64) {
        state.withLock { $0.witnessSize = size }
    }

    /// The `[[gateways]]` entry that enrolls this gateway with an upstream.
    func enrollment(baseURL: String, witnessClient: String) -> String {
        """
        [[gateways]]
        origin = "\(origin)"
        url = "\(baseURL)/gw-\(number)"
        verifier_keys = ["\(verifierKey.string)"]
        witness_clients = ["\(witnessClient)"]
        acknowledge = false

        """
    }
}
