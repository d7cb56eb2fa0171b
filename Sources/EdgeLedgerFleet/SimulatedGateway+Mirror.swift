import EdgeLedgerCore

/// Push mode (C2SP tlog-mirror), as the agent's `MirrorUploader` does it: the latest checkpoint
/// goes to the mirror's `add-checkpoint`, then the entries the mirror lacks to `add-entries` in
/// packages of 256 with their subtree consistency proofs, made from the gateway's own tiles.
extension SimulatedGateway {
    /// The next step of an upload: the checkpoint to set as the mirror's pending one (with the old
    /// size its proof starts from), or, when the mirror's pending checkpoint is the latest
    /// already, only the entries. `nil` when the mirror has cosigned the latest checkpoint.
    func mirrorStep() throws -> (latest: Published, oldSize: UInt64, body: String?)? {
        try state.withLock { s in
            guard let latest = s.published, latest.size > s.mirrorCosigned else { return nil }
            let old = s.mirrorSize
            if old == latest.size { return (latest, old, nil) }
            let proof =
                old == 0 || old > latest.size
                ? [] : try TiledTree.consistencyProof(from: old, to: latest.size, reader: s.tiles, hasher: hasher)
            return (latest, old, WitnessRequest.body(oldSize: old, proof: proof, note: latest.note))
        }
    }

    /// Records the size of the mirror's checkpoint (after a 200 or a 409 to `add-checkpoint`; 0
    /// to set the checkpoint again and ask where the mirror stands).
    func mirrorHolds(_ size: UInt64) {
        state.withLock { s in
            s.mirrorSize = size
            if size == 0 { s.mirrorNext = nil }
        }
    }

    /// The mirror's next entry as last advertised (`nil`: unknown, ask it).
    var mirrorNext: UInt64? {
        get { state.withLock { $0.mirrorNext } }
        set { state.withLock { $0.mirrorNext = newValue } }
    }

    /// Holds sealing until the mirror cosigned the latest checkpoint: the checkpoint an upload
    /// was prepared for stays the latest. Returns its size (`nil`: nothing is published).
    func holdSealingForUpload() -> UInt64? {
        state.withLock { s in
            guard let size = s.published?.size else { return nil }
            s.sealingHeldUntil = size
            return size
        }
    }

    /// Records the mirror's cosignature of `size` (a 200 to `add-entries`).
    func mirrorCosigned(_ size: UInt64) {
        state.withLock { s in
            s.mirrorCosigned = max(s.mirrorCosigned, size)
            s.mirrorNext = size
        }
    }

    /// An `add-entries` body: the header for `[start, size)` and at most `packages` packages of
    /// its canonical sequence (none when `start == size`: a question where the mirror stands),
    /// and where its packages end (`start` without packages).
    func addEntriesBody(start: UInt64, size: UInt64, packages: UInt64) throws -> (body: [UInt8], end: UInt64) {
        let header = MirrorUploadHeader(origin: origin, uploadStart: start, uploadEnd: size)
        var body = header.encoded
        let count = min(header.packageCount, packages)
        guard count > 0 else { return (body, start) }
        body.reserveCapacity(body.count + Int(count) * 256 * 112)
        let bounds = (0..<count).map { header.package($0) }
        // The proofs are made under the lock (the tiles grow while sealing); entries outside it.
        let proofs = try state.withLock { s in
            try bounds.map {
                try TiledTree.subtreeConsistencyProof(
                    start: $0.subtreeStart, end: $0.end, size: size, reader: s.tiles, hasher: hasher)
            }
        }
        for (b, proof) in zip(bounds, proofs) {
            MirrorPackage.encode(entries: (b.start..<b.end).lazy.map { self.entry(at: $0) }, proof: proof, into: &body)
        }
        return (body, bounds[bounds.count - 1].end)
    }
}
