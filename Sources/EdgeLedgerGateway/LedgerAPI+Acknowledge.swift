import EdgeLedgerCore
import EdgeLedgerHTTP
import EdgeLedgerStore
import Hummingbird

/// Acknowledgements with proof of possession (`POST /ack/challenge`, `POST /ack`) and the record
/// of what each upstream fetched (docs/FORMAT.md, "Acknowledgements").
///
/// 1. The upstream names the size it wants to acknowledge: `POST /ack/challenge {"size": N}`.
///    The gateway refuses a size beyond its sealed tree or beyond what this upstream fetched
///    with its own credential (409), and otherwise answers a fresh nonce and entry indexes it
///    drew now (``AckChallengeBook``).
/// 2. The upstream answers `POST /ack {"size", "root", "challenge", "proof"}` with the
///    ``AckProof`` digest over those entries' bytes from its own store. The challenge is used up
///    by the attempt; the acknowledgement is recorded only when the root is the log's and the
///    digest matches.
extension LedgerAPI {
    private enum ChallengeOutcome: Sendable {
        case issued(AckChallengeBook.Challenge)
        case beyond(sealed: UInt64)
        case notFetched(fetched: UInt64)
    }

    private enum AckOutcome: Sendable {
        case accepted(UpstreamState)
        case notFetched(fetched: UInt64)
    }

    /// The `[[upstreams]]` name of the client, who must be one.
    private func acknowledgingUpstream(
        _ request: Request, _ context: some LedgerRequestContextProtocol
    ) async throws -> String {
        guard let client = try await authorize(request, context, .acknowledge) else {
            throw APIFailure.internalError  // unreachable: acknowledgements are never anonymous
        }
        guard let upstream = client.upstream else {
            throw APIFailure.forbidden(
                "\(client) is not an upstream: acknowledgements need the token named like an [[upstreams]] entry "
                    + "or its client_subject certificate")
        }
        return upstream
    }

    func challenge(_ request: Request, _ context: some LedgerRequestContextProtocol) async throws -> Response {
        let upstream = try await acknowledgingUpstream(request, context)
        let body = try await RequestBodyReader.collect(request, limit: maxBodyBytes, timeout: requestTimeout)
        let size: UInt64
        do {
            size = try AckChallengeRequest(json: body).size
        } catch {
            throw APIFailure.badRequest(error.description)
        }
        let (challenges, hasher, fetches, acknowledger) = (
            self.challenges, self.hasher, self.fetches, self.acknowledger
        )
        let outcome = try await readers.read { reader -> ChallengeOutcome in
            let sealed = try reader.sealedSize()
            guard size <= sealed else { return .beyond(sealed: sealed) }
            if let mark = fetches.unpersisted(upstream) {
                try acknowledger.recordFetched(upstream: upstream, below: mark)
            }
            let fetched = try reader.acknowledgeableBelow(upstream: upstream)
            guard size <= fetched else { return .notFetched(fetched: fetched) }
            return .issued(try challenges.issue(upstream: upstream, size: size, reader: reader, hasher: hasher))
        }
        switch outcome {
        case .issued(let challenge):
            return APIResponse.json(challenge.json(lifetime: challenges.lifetime))
        case .beyond(let sealed):
            return beyondSealed(upstream: upstream, size: size, sealed: sealed)
        case .notFetched(let fetched):
            return notFetched(upstream: upstream, size: size, fetched: fetched)
        }
    }

    func acknowledge(_ request: Request, _ context: some LedgerRequestContextProtocol) async throws -> Response {
        let upstream = try await acknowledgingUpstream(request, context)
        let body = try await RequestBodyReader.collect(request, limit: maxBodyBytes, timeout: requestTimeout)
        let ack: AckRequest
        do throws(AckRequestError) {
            ack = try AckRequest(json: body)
        } catch {
            guard error.isMissingChallenge else { throw APIFailure.badRequest(error.description) }
            requestMetrics.acknowledged(upstream: upstream, result: "no_proof")
            throw APIFailure(.preconditionRequired, error.description)
        }
        guard let challenge = challenges.redeem(upstream: upstream, nonce: ack.challenge) else {
            requestMetrics.acknowledged(upstream: upstream, result: "unknown_challenge")
            logger.warning(
                "an acknowledgement answered a challenge that is unknown, expired or already used",
                metadata: ["upstream": "\(upstream)", "size": "\(ack.size)"])
            return refusal(
                "the challenge is unknown, expired or already answered: ask POST /ack/challenge for a fresh one",
                size: ack.size)
        }
        guard challenge.size == ack.size else {
            requestMetrics.acknowledged(upstream: upstream, result: "unknown_challenge")
            return refusal(
                "the challenge was issued for size \(challenge.size), not \(ack.size): ask for a fresh one",
                size: ack.size)
        }
        guard challenge.root == ack.root else {
            return fork(upstream: upstream, size: ack.size, root: ack.root, expected: challenge.root)
        }
        guard AckProof.matches(challenge.expected, ack.proof) else {
            requestMetrics.acknowledged(upstream: upstream, result: "bad_proof")
            logger.error(
                """
                an upstream's acknowledgement carries a wrong proof of possession: it does not hold the challenged \
                entries; nothing is recorded and nothing will be pruned for it
                """,
                metadata: [
                    "upstream": "\(upstream)", "size": "\(ack.size)",
                    "indexes": "\(challenge.indexes.map { String($0) }.joined(separator: ","))",
                ])
            return refusal(
                "wrong proof of possession: the digest over the challenged entries does not match this log's entries",
                size: ack.size)
        }
        let acknowledger = self.acknowledger
        let outcome = try await readers.read { reader -> AckOutcome in
            let fetched = try reader.acknowledgeableBelow(upstream: upstream)
            guard ack.size <= fetched else { return .notFetched(fetched: fetched) }
            return .accepted(
                try acknowledger.recordAcknowledgement(upstream: upstream, size: ack.size, root: ack.root, at: nil))
        }
        switch outcome {
        case .accepted(let state):
            requestMetrics.acknowledged(upstream: upstream, result: "accepted")
            logger.info(
                "acknowledgement",
                metadata: ["upstream": "\(upstream)", "size": "\(ack.size)", "acked": "\(state.ackedSize)"])
            onAcknowledge?(state)
            return APIResponse.json(
                JSONWriter.object(
                    [
                        ("upstream", JSONWriter.string(upstream)), ("size", String(ack.size)),
                        ("acked_size", String(state.ackedSize)),
                    ], spaced: true))
        case .notFetched(let fetched):
            return notFetched(upstream: upstream, size: ack.size, fetched: fetched)
        }
    }

    /// Records that entry bundle `id` was served to `upstream`'s credential (in the read that
    /// served it); persists the upstream's contiguous mark every `FetchTracker.persistEvery`
    /// entries (and before each challenge). A failure to persist is logged: the stored mark then
    /// stays lower than what was served, which only delays pruning.
    func recordFetch(upstream: String, bundle id: TileID, reader: LedgerReader) {
        let first = id.index * 256
        let range = first..<(first + UInt64(id.width))
        do throws(StoreError) {
            if !fetches.isLoaded(upstream) {
                fetches.load(upstream: upstream, below: try reader.acknowledgeableBelow(upstream: upstream))
            }
            if let below = fetches.served(upstream: upstream, range) {
                try acknowledger.recordFetched(upstream: upstream, below: below)
            }
        } catch {
            logger.error(
                "cannot record which entries an upstream fetched; its acknowledgements count only up to the last recorded fetch",
                metadata: ["upstream": "\(upstream)", "entries": "\(range)", "error": "\(error)"])
        }
    }

    // MARK: - Refusals

    /// 409 with `{"error", "size", ...extra}` (each extra value already JSON text).
    private func refusal(_ message: String, size: UInt64, _ extra: [(String, String)] = []) -> Response {
        APIResponse.json(
            JSONWriter.object([("error", JSONWriter.string(message)), ("size", String(size))] + extra, spaced: true),
            status: .conflict)
    }

    private func notFetched(upstream: String, size: UInt64, fetched: UInt64) -> Response {
        requestMetrics.acknowledged(upstream: upstream, result: "not_fetched")
        logger.warning(
            "an upstream wants to acknowledge entries it has not fetched with its own credential; refused",
            metadata: ["upstream": "\(upstream)", "size": "\(size)", "fetched": "\(fetched)"])
        return refusal(
            "size \(size) is beyond what this upstream fetched with its own credential (entries below "
                + "\(fetched)): fetch the entry bundles (GET /tile/entries/...) first", size: size,
            [("fetched_size", String(fetched))])
    }

    private func beyondSealed(upstream: String, size: UInt64, sealed: UInt64) -> Response {
        requestMetrics.acknowledged(upstream: upstream, result: "beyond_sealed")
        logger.error(
            "an upstream acknowledged more entries than this log has sealed (was the store restored from an old backup?)",
            metadata: ["upstream": "\(upstream)", "size": "\(size)", "sealed": "\(sealed)"])
        return refusal(
            "size \(size) is beyond this log's latest checkpoint (\(sealed))", size: size,
            [("sealed_size", String(sealed))])
    }

    private func fork(upstream: String, size: UInt64, root: Hash32, expected: Hash32) -> Response {
        requestMetrics.acknowledged(upstream: upstream, result: "fork")
        logger.critical(
            "FORK: an upstream acknowledged a different root than this log's",
            metadata: [
                "upstream": "\(upstream)", "size": "\(size)", "their_root": "\(root)", "our_root": "\(expected)",
            ])
        return refusal(
            "root mismatch at size \(size): the upstream holds a different log", size: size,
            [
                ("root", JSONWriter.string(Base64.encode(root.bytes))),
                ("expected_root", JSONWriter.string(Base64.encode(expected.bytes))),
            ])
    }
}
