import EdgeLedgerCore

extension Witness {
    /// What ``admit(body:client:)`` decided.
    enum Admission {
        /// Parsed, of a known log, from an allowed client, signed by the log.
        case admitted(WitnessRequest, Checkpoint, WitnessedLog)
        /// Refused with this answer.
        case refused(WitnessResponse)
    }

    /// The checks of an `add-checkpoint` request that need no state (shared by the witness and
    /// the mirror): the body parses, the origin is known, `client` may submit it, a trusted key
    /// signed it, and the old size is at most the checkpoint's.
    func admit(body: [UInt8], client: WitnessClient?) -> Admission {
        let request: WitnessRequest
        do {
            request = try WitnessRequest(parsing: body)
        } catch {
            return .refused(.failure(.malformed, 400, "malformed add-checkpoint request: \(error.message)"))
        }
        let checkpoint: Checkpoint
        do {
            checkpoint = try Checkpoint(parsing: request.note.text)
        } catch {
            return .refused(.failure(.malformed, 400, "malformed checkpoint: \(error.message)"))
        }
        let origin = checkpoint.origin
        let size = checkpoint.size
        guard let log = log(origin: origin) else {
            return .refused(.failure(.unknownLog, 404, "unknown log \"\(origin)\"", origin: origin, size: size))
        }
        if let client, !log.clients.contains(where: client.matches) {
            return .refused(
                .failure(
                    .clientNotAllowed, 403,
                    "the \(client) may not submit checkpoints of \"\(origin)\" (list it in that gateway's "
                        + "witness_clients)", origin: origin, size: size))
        }
        do {
            _ = try NoteSigning.open(request.note, verifiers: log.verifiers, policy: log.policy)
        } catch {
            return .refused(
                .failure(
                    .badSignature, 403, "checkpoint signature does not verify: \(error.message)", origin: origin,
                    size: size))
        }
        guard request.oldSize <= size else {
            return .refused(
                .failure(
                    .malformed, 400, "old size \(request.oldSize) is larger than the checkpoint size \(size)",
                    origin: origin, size: size))
        }
        return .admitted(request, checkpoint, log)
    }

    /// The tlog-witness rules against the current state (shared by the witness and the mirror):
    /// the old size is the current size, a proof from 0 is empty, and the consistency proof
    /// connects the current root to the checkpoint's.
    static func checkRules(
        _ request: WitnessRequest, _ checkpoint: Checkpoint, hasher: any MerkleHasher, current: WitnessLogState?
    ) throws(WitnessRejection) {
        let known = current?.size ?? 0
        let size = checkpoint.size
        guard request.oldSize == known else { throw .conflict(known, "old size \(request.oldSize) is not") }
        if request.oldSize == 0 {
            guard request.proof.isEmpty else {
                throw .malformed("a consistency proof from old size 0 must be empty")
            }
        } else if let current {
            if request.oldSize == size && checkpoint.root != current.root {
                throw .conflict(known, "fork: a checkpoint of size \(size) with another root was cosigned;")
            }
            do throws(ProofError) {
                try Merkle.verifyConsistency(
                    oldSize: request.oldSize, newSize: size, oldRoot: current.root, newRoot: checkpoint.root,
                    proof: request.proof, hasher: hasher)
            } catch {
                throw .badProof(error.message)
            }
        }
    }
}
