import EdgeLedgerCore
import EdgeLedgerStore
import EdgeLedgerSystem

extension MirrorUploadSession {
    /// Stores the buffered packages: all of them in one transaction when they extend the log
    /// together, otherwise one by one (which also finds the package to refuse and answers as it
    /// would have alone). Returns the answer when a package is refused or cannot be placed.
    func flush() async -> MirrorResponse? {
        guard let upload, !buffered.isEmpty else { return nil }
        if let refusal = await takeTurn() { return refusal }
        let packages = buffered
        clearBuffer()
        return await inStore {
            if packages.count > 1, await storeTogether(packages, upload) {
                acceptedPackages += packages.count
                return nil
            }
            for package in packages {
                if let refusal = await store(package, upload) { return refusal }
                acceptedPackages += 1
            }
            return nil
        }
    }

    /// The whole body is in and the buffered packages end at `upload_end`: stages them and
    /// commits the upload in one transaction (the common push: a second's entries, then the
    /// cosignature). Returns `nil`, having written nothing, for anything but that plain case;
    /// the caller then stages and commits apart, which answers every other case.
    func storeAndCommit(_ upload: Upload) async -> MirrorResponse? {
        guard let last = buffered.last?.package, last.end == upload.header.uploadEnd,
            let group = await group(buffered, upload)
        else { return nil }
        let (checkpoint, document) = verifiedCheckpoint(upload)
        let commit: MirrorCommit
        do {
            commit = try await mirror.store.stageAndCommitMirrored(
                gateway: upload.gateway, stagedSize: group.stagedSize, entries: group.entries,
                leafHashes: group.leafHashes, hasher: upload.log.hasher, check: group.check, checkpoint: checkpoint,
                anchorDocument: document)
        } catch {
            knownStaged = nil
            return nil
        }
        acceptedPackages += buffered.count
        storedEntries += UInt64(group.entries.count)
        advanceStaged(to: group.stagedSize + UInt64(group.entries.count))
        clearBuffer()
        return answer(commit, checkpoint, upload)
    }

    /// Stores `packages` (consecutive, the first holding the next entry) in one transaction.
    /// Returns false, having written nothing, for anything but that plain case: a refusal, a
    /// moved next entry, packages held already; the caller then goes one by one.
    private func storeTogether(_ packages: [MirrorHashedPackage], _ upload: Upload) async -> Bool {
        guard let group = await group(packages, upload) else { return false }
        do {
            try await mirror.store.stage(
                gateway: upload.gateway, stagedSize: group.stagedSize, entries: group.entries,
                leafHashes: group.leafHashes, hasher: upload.log.hasher, check: group.check,
                locking: upload.header.origin)
        } catch {
            knownStaged = nil
            return false
        }
        storedEntries += UInt64(group.entries.count)
        advanceStaged(to: group.stagedSize + UInt64(group.entries.count))
        return true
    }

    /// What staging `packages` together writes, when the first holds the log's next entry: the
    /// entries not held yet, their leaf hashes, and the check that verifies each package against
    /// the pending checkpoint on the tiles the staging transaction computes.
    private func group(_ hashed: [MirrorHashedPackage], _ upload: Upload) async -> MirrorStagingGroup? {
        let hasher = upload.log.hasher
        let pending = upload.pending
        guard let first = hashed.first?.package, let staged = await nextEntry(upload),
            first.start <= staged, first.end > staged
        else { return nil }
        let fresh = Int(staged - first.start)
        let firstHeld = Int(staged - first.subtreeStart)
        var batch = CollectorEntryBatch()
        var freshHashes: [Hash32] = []
        for (i, item) in hashed.enumerated() {
            let skip = i == 0 ? fresh : 0
            for entry in item.package.entries[skip...] { batch.append(entry) }
            freshHashes += item.leafHashes[skip...]
        }
        return MirrorStagingGroup(stagedSize: staged, entries: batch, leafHashes: freshHashes) { ext in
            for (i, item) in hashed.enumerated() {
                let package = item.package
                let tileIndex = package.subtreeStart / MirrorUploadHeader.packageWidth
                let tile = ext.tiles.first { $0.id.level == 0 && $0.id.index == tileIndex }?.hashes ?? []
                let held = i == 0 ? firstHeld : Int(package.start - package.subtreeStart)
                try package.verify(
                    leafHashes: item.leafHashes, held: tile.prefix(held), treeSize: pending.size, root: pending.root,
                    hasher: hasher, ownSubtreeHash: item.subtreeHash)
            }
        }
    }

    /// The log's next entry: as this request last saw or made it, otherwise read.
    private func nextEntry(_ upload: Upload) async -> UInt64? {
        if let knownStaged { return knownStaged }
        knownStaged = try? await mirror.store.gatewayState(origin: upload.header.origin)?.stagedSize
        return knownStaged
    }

    /// Verifies `package` against the pending checkpoint and stores the entries not held yet, by
    /// compare-and-set on the next entry (retried when a concurrent pull or upload moved it).
    /// Returns the answer when the package is refused or cannot be placed.
    func store(_ hashed: MirrorHashedPackage, _ upload: Upload) async -> MirrorResponse? {
        let store = mirror.store
        let hasher = upload.log.hasher
        let pending = upload.pending
        let origin = upload.header.origin
        let package = hashed.package
        let leafHashes = hashed.leafHashes
        let tileIndex = package.subtreeStart / MirrorUploadHeader.packageWidth
        for _ in 0..<3 {
            let state: CollectorGatewayState
            do {
                guard let read = try await store.gatewayState(origin: origin) else {
                    return .failure(.internalError, 500, "\(origin) is no longer registered", origin: origin)
                }
                state = read
            } catch {
                return .failure(.internalError, 500, "cannot read the state of \(origin): \(error)", origin: origin)
            }
            let staged = state.stagedSize
            knownStaged = staged
            guard package.start <= staged else {
                return await resume(.conflict, 409, "entries before \(package.start) are no longer held")
            }
            do {
                if package.end <= staged {
                    // Every entry is held: authenticate the package anyway, store nothing.
                    let held = try await store.tile(gateway: upload.gateway, level: 0, index: tileIndex) ?? []
                    try package.verify(
                        leafHashes: leafHashes, held: held[...], treeSize: pending.size, root: pending.root,
                        hasher: hasher, ownSubtreeHash: hashed.subtreeHash)
                    return nil
                }
                let fresh = Int(staged - package.start)
                var batch = CollectorEntryBatch()
                for entry in package.entries[fresh...] { batch.append(entry) }
                let heldCount = Int(staged - package.subtreeStart)
                try await store.stage(
                    gateway: upload.gateway, stagedSize: staged, entries: batch,
                    leafHashes: Array(leafHashes[fresh...]),
                    hasher: hasher,
                    check: { ext in
                        let tile = ext.tiles.first { $0.id.level == 0 && $0.id.index == tileIndex }?.hashes ?? []
                        try package.verify(
                            leafHashes: leafHashes, held: tile.prefix(heldCount), treeSize: pending.size,
                            root: pending.root, hasher: hasher, ownSubtreeHash: hashed.subtreeHash)
                    }, locking: origin)
                storedEntries += UInt64(batch.count)
                advanceStaged(to: staged + UInt64(batch.count))
                return nil
            } catch let refusal as MirrorPackageRefusal {
                return await refuse(package, refusal, state: state, upload)
            } catch let error as StoreError where error.kind == .conflict {
                knownStaged = nil
                continue
            } catch {
                return .failure(.internalError, 500, "cannot store entries of \(origin): \(error)", origin: origin)
            }
        }
        return await resume(.conflict, 409, "the next entry kept moving (a concurrent pull or upload)")
    }

    private func refuse(
        _ package: MirrorPackage, _ refusal: MirrorPackageRefusal, state: CollectorGatewayState, _ upload: Upload
    ) async -> MirrorResponse {
        let origin = upload.header.origin
        let entries = "entries \(package.start)..<\(package.end)"
        var response: MirrorResponse
        switch refusal {
        case .badProof(let error):
            response = .failure(
                .badProof, 422,
                "package \(package.index) (\(entries)) does not verify against the checkpoint of size "
                    + "\(upload.pending.size): \(error.message); nothing of it was stored", origin: origin)
            response.refusal = "bad_proof"
        case .heldEntryDiffers(let index) where index >= state.verifiedSize:
            // Proven against the signed checkpoint, the upload is right: the held entries beyond
            // the verified size (staged by a pull, unverified) are not the log's. Discard them.
            _ = try? await mirror.store.discardStaged(gateway: upload.gateway)
            forgetStaged()
            response = await resume(
                .conflict, 409,
                "entry \(index) differs from the unverified one held; the unverified entries were discarded")
            response.refusal = "held_entry_differs"
        case .heldEntryDiffers(let index):
            response = .failure(
                .badProof, 422, "entry \(index) differs from the verified one the mirror holds", origin: origin)
            response.refusal = "held_entry_differs"
        case .missingHeld(let needed, let held):
            response = .failure(
                .internalError, 500,
                "the stored tile before \(package.start) holds \(held) hashes, \(needed) are needed", origin: origin)
        }
        return response
    }

    /// Every package is in: verifies the tree at `upload_end` like a pull and makes the pending
    /// checkpoint the verified one, then cosigns it (only after the commit).
    func commit(_ upload: Upload) async -> MirrorResponse {
        let origin = upload.header.origin
        let (checkpoint, document) = verifiedCheckpoint(upload)
        let commit: MirrorCommit
        do {
            commit = try await mirror.store.commitMirrored(
                gateway: upload.gateway, checkpoint: checkpoint, hasher: upload.log.hasher, anchorDocument: document)
        } catch  where error.kind == .conflict {
            _ = try? await mirror.store.discardStaged(gateway: upload.gateway)
            forgetStaged()
            return await resume(.conflict, 409, "\(error.message); the unverified entries were discarded")
        } catch {
            return .failure(
                .internalError, 500, "cannot commit \(origin) at \(checkpoint.size): \(error)", origin: origin)
        }
        return answer(commit, checkpoint, upload)
    }

    /// The pending checkpoint of the upload as the checkpoint its commit verifies, and its
    /// anchoring document (with anchoring on).
    private func verifiedCheckpoint(_ upload: Upload) -> (CollectedCheckpoint, String?) {
        let pending = upload.pending
        let checkpoint = CollectedCheckpoint(
            origin: upload.header.origin, size: pending.size, root: pending.root, note: pending.note,
            verifiedAt: SystemClock.nowNanoseconds())
        let document =
            mirror.anchoring
            ? AnchorDocument.json(
                origin: checkpoint.origin, size: pending.size, root: pending.root,
                hash: upload.log.hasher.algorithm, note: pending.note, cosigners: mirror.cosigners) : nil
        return (checkpoint, document)
    }

    /// The answer to a committed upload: the mirror's cosignature (200) once `checkpoint` is the
    /// verified one, otherwise why not.
    private func answer(_ commit: MirrorCommit, _ checkpoint: CollectedCheckpoint, _ upload: Upload) -> MirrorResponse {
        let origin = upload.header.origin
        let pending = upload.pending
        switch commit {
        case .committed: break
        case .behind(let verified):
            return .info(
                .conflict, 409, MirrorInfo(treeSize: verified, nextEntry: verified), origin: origin,
                "the mirror checkpoint is at \(verified), beyond upload_end \(pending.size)")
        case .missing(let staged):
            return .info(
                .conflict, 409, MirrorInfo(treeSize: upload.header.uploadEnd, nextEntry: staged), origin: origin,
                "only \(staged) entries are held")
        case .forked:
            return .failure(.forked, 422, "\"\(origin)\" is forked: the mirror cosigns nothing of it", origin: origin)
        }
        mirror.onVerified?(checkpoint)
        do {
            let text = try Note(parsing: Array(pending.note.utf8)).text
            let line = try mirror.cosigner.cosign(text: text).line
            var response = MirrorResponse(
                outcome: .committed, status: 200, contentType: "text/plain; charset=utf-8", body: line + "\n",
                origin: origin, message: "committed and cosigned size \(pending.size)")
            response.storedEntries = storedEntries
            response.committedSize = pending.size
            return response
        } catch {
            return .failure(.internalError, 500, "cannot cosign \(origin) at \(pending.size): \(error)", origin: origin)
        }
    }
}
