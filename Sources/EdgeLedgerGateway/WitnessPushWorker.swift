import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerHTTP
import EdgeLedgerStore
import EdgeLedgerSystem
import Logging
import ServiceLifecycle
import Synchronization

/// Pushes to one witness for ``WitnessPusher``: the latest checkpoint with a consistency proof
/// from the size the witness holds, the cosignatures it returns verified and stored, failures
/// retried with backoff.
final class WitnessPushWorker: Sendable {
    let name: String
    let url: String
    let client: PeerHTTPClient
    let verifier: (any NoteVerifier)?
    let backoff: Backoff
    let store: LedgerStore
    let pollInterval: Duration
    let logger: Logger
    let onAttempt: (@Sendable (_ failed: Bool, _ state: UpstreamState) -> Void)?
    /// For an upstream with `mode = "push"`: the checkpoint goes to the mirror's `add-checkpoint`
    /// (an empty 200), then this uploads the entries; `nil` for a witness.
    let mirror: MirrorUploader?
    let wakeup = WakeupSignal()
    /// What the logs call the upstream: `witness`, or `mirror` for a push upstream.
    var peer: String { mirror == nil ? "witness" : "mirror" }

    /// In-memory state of the worker, guarded (attempts run one at a time per worker).
    private struct Memory {
        /// The size the witness is believed to hold.
        var witnessSize: UInt64
        /// The largest size cosigned by this witness.
        var cosignedSize: UInt64
        var failures: Int
        /// The problem last logged; `nil` while healthy.
        var problem: String?
    }

    private let memory: Mutex<Memory>

    init(
        name: String, url: String, client: PeerHTTPClient, verifier: (any NoteVerifier)?, backoff: Backoff,
        store: LedgerStore, pollInterval: Duration, logger: Logger,
        onAttempt: (@Sendable (_ failed: Bool, _ state: UpstreamState) -> Void)?, mirror: MirrorUploader? = nil
    ) {
        self.mirror = mirror
        self.name = name
        self.url = url
        self.client = client
        self.verifier = verifier
        self.backoff = backoff
        self.store = store
        self.pollInterval = pollInterval
        self.logger = logger
        self.onAttempt = onAttempt
        let state = (try? store.upstream(named: name)) ?? nil
        self.memory = Mutex(
            Memory(
                witnessSize: state?.lastPushedSize ?? 0, cosignedSize: state?.lastPushedSize ?? 0,
                failures: state?.consecutiveFailures ?? 0, problem: nil))
    }

    enum Outcome: CustomStringConvertible {
        /// Nothing new to push.
        case idle
        /// Cosigned up to this size.
        case cosigned(UInt64, lines: Int)
        /// A configuration problem: retry after backoff.max.
        case rejected(String)
        /// Unreachable or a server error: retry with backoff.
        case unreachable(String)

        var description: String {
            switch self {
            case .idle: "idle"
            case .cosigned: "ok"
            case .rejected(let why), .unreachable(let why): why
            }
        }
    }

    func run() async {
        while !Task.isCancelled {
            let outcome = await attempt()
            let delay: Duration
            switch outcome {
            case .idle, .cosigned: delay = pollInterval
            case .rejected: delay = backoff.max
            case .unreachable: delay = backoff.delay(afterFailures: memory.withLock { $0.failures })
            }
            if case .cosigned = outcome {
                continue  // a newer checkpoint may already be waiting
            }
            switch outcome {
            case .idle, .cosigned:
                await wakeup.wait(timeout: delay)
            case .rejected, .unreachable:
                // While backing off, a new checkpoint does not shorten the wait.
                try? await Task.sleep(for: delay)
            }
        }
    }

    /// One push of the latest checkpoint, with at most one immediate retry after a 409.
    func attempt() async -> Outcome {
        let latest: CheckpointRecord
        do {
            guard let record = try store.latestCheckpoint() else { return .idle }
            latest = record
        } catch {
            logger.error("cannot read the latest checkpoint: \(error)")
            return .idle
        }
        guard latest.size != memory.withLock({ $0.cosignedSize }) else { return .idle }
        var retried = false
        while true {
            let old = memory.withLock { $0.witnessSize }
            let outcome = await push(latest, oldSize: old)
            switch outcome {
            case .conflict(let witnessSize) where !retried && witnessSize <= latest.size:
                logger.info(
                    "\(peer) holds another size; retrying from it",
                    metadata: ["believed": "\(old)", "witness_size": "\(witnessSize)", "size": "\(latest.size)"])
                memory.withLock { $0.witnessSize = witnessSize }
                retried = true
                continue
            case .conflict(let witnessSize) where witnessSize > latest.size:
                memory.withLock { $0.witnessSize = witnessSize }
                return finish(
                    .rejected(
                        "HTTP 409: the witness holds size \(witnessSize), larger than this log's latest checkpoint "
                            + "\(latest.size); it has seen checkpoints this store does not have (was the store "
                            + "restored from a backup, or does another log use this origin?)"),
                    latest: latest)
            case .conflict(let witnessSize):
                memory.withLock { $0.witnessSize = witnessSize }
                return finish(.unreachable("HTTP 409 again: the witness now holds size \(witnessSize)"), latest: latest)
            case .done(let result):
                return finish(result, latest: latest)
            }
        }
    }

    private enum PushResult {
        case conflict(UInt64)
        case done(Outcome)
    }

    private func push(_ latest: CheckpointRecord, oldSize: UInt64) async -> PushResult {
        let proof: [Hash32]
        if oldSize == 0 || oldSize == latest.size {
            proof = []
        } else if oldSize > latest.size {
            return .conflict(oldSize)
        } else {
            do {
                proof = try store.consistencyProof(from: oldSize, to: latest.size)
            } catch {
                return .done(.rejected("cannot prove consistency from size \(oldSize) to \(latest.size): \(error)"))
            }
        }
        let body = WitnessRequest.body(oldSize: oldSize, proof: proof, note: latest.note)
        let response: PeerHTTPResponse
        do {
            response = try await client.post(
                "add-checkpoint", body: Array(body.utf8), contentType: "text/plain; charset=utf-8")
        } catch is CancellationError {
            return .done(.idle)
        } catch {
            return .done(.unreachable("\(error)"))
        }
        switch response.status {
        case 200:
            if let mirror { return .done(await mirror.upload(latest)) }
            return .done(storeCosignatures(response.body, latest: latest))
        case 409:
            let text = String(decoding: response.body, as: UTF8.self)
            guard text.hasSuffix("\n"), let size = UInt64(text.dropLast()) else {
                return .done(.rejected("HTTP 409 without a tree size in its body: \(response.bodyExcerpt)"))
            }
            return .conflict(size)
        default:
            return .done(
                Self.refusal(status: response.status, response.bodyExcerpt, peer: peer))
        }
    }

    /// What a refusal by a witness or a mirror (`peer`) means: 4xx are configuration problems
    /// (retried every `backoff.max`), anything else is retried with backoff.
    static func refusal(status: Int, _ excerpt: String, peer: String) -> Outcome {
        switch status {
        case 400:
            return .rejected("HTTP 400 (malformed request): \(excerpt)")
        case 401:
            return .rejected("HTTP 401 (the \(peer) wants a bearer token: set upstreams.token): \(excerpt)")
        case 403:
            return .rejected(
                "HTTP 403 (the \(peer) does not accept this log's signature or token: does it have this log's "
                    + "verifier key?): \(excerpt)")
        case 404:
            return .rejected("HTTP 404 (the \(peer) does not know this log's origin, or the URL is wrong): \(excerpt)")
        case 422:
            return .rejected(
                "HTTP 422 (the \(peer) refused a proof: it holds another history of this log): \(excerpt)")
        default:
            return .unreachable("HTTP \(status): \(excerpt)")
        }
    }

    /// Checks and stores the cosignature lines of a 200 answer.
    private func storeCosignatures(_ body: [UInt8], latest: CheckpointRecord) -> Outcome {
        var lines: [NoteSignature] = []
        let text = String(decoding: body, as: UTF8.self)
        for raw in text.split(separator: "\n", omittingEmptySubsequences: true) {
            guard let signature = try? NoteSignature(parsingLine: raw) else {
                return .rejected("HTTP 200 with a body that is not signature lines: \(String(raw.prefix(120)))")
            }
            lines.append(signature)
        }
        guard !lines.isEmpty else { return .rejected("HTTP 200 without a cosignature") }
        let noteText: String
        do {
            noteText = try Note(parsing: latest.note).text
        } catch {
            return .rejected("the stored checkpoint at \(latest.size) is not a signed note: \(error)")
        }
        // Only lines that verify are kept; without a verifier, none is.
        var accepted: [NoteSignature] = []
        if let verifier {
            do {
                accepted = try NoteSigning.open(Note(text: noteText, signatures: lines), verifiers: [verifier])
            } catch {
                return .rejected("the witness's cosignature does not verify with verifier_key: \(error.message)")
            }
        }
        let now = SystemClock.nowNanoseconds()
        do {
            for signature in accepted {
                try store.addCosignature(
                    Cosignature(
                        checkpointSize: latest.size, witness: signature.name, line: signature.line, receivedAt: now))
            }
        } catch {
            return .rejected("cannot store the cosignature: \(error)")
        }
        return .cosigned(latest.size, lines: accepted.count)
    }

    /// Records the outcome in memory and in the store, and logs changes of state.
    private func finish(_ outcome: Outcome, latest: CheckpointRecord) -> Outcome {
        let now = SystemClock.nowNanoseconds()
        let (failures, previous) = memory.withLock { m -> (Int, String?) in
            let previous = m.problem
            switch outcome {
            case .cosigned(let size, _):
                m.witnessSize = size
                m.cosignedSize = size
                m.failures = 0
                m.problem = nil
            case .rejected(let why):
                m.failures += 1
                m.problem = "rejected: " + why
            case .unreachable(let why):
                m.failures += 1
                m.problem = "unreachable: " + why
            case .idle:
                break
            }
            return (m.failures, previous)
        }
        var metadata: Logger.Metadata = ["size": "\(latest.size)", "url": "\(url)"]
        switch outcome {
        case .cosigned(let size, let count):
            if previous != nil {
                logger.notice(
                    "\(peer) reachable again: cosigned", metadata: metadata.merging(["lines": "\(count)"]) { $1 })
            } else {
                logger.debug("cosigned", metadata: metadata.merging(["lines": "\(count)"]) { $1 })
            }
            save(now: now, result: "ok", pushedSize: size, failures: 0, next: nil)
        case .rejected(let why):
            if previous != "rejected: " + why {
                metadata["retry_in"] = "\(ConfigDuration.format(backoff.max))"
                logger.error("\(peer) refused the checkpoint (configuration problem): \(why)", metadata: metadata)
            }
            save(now: now, result: why, pushedSize: nil, failures: failures, next: now + backoff.max.nanosecondsClamped)
        case .unreachable(let why):
            let delay = backoff.nominal(afterFailures: failures)
            if !(previous?.hasPrefix("unreachable: ") ?? false) {
                logger.warning(
                    "\(peer) unreachable: \(why); retrying with backoff up to \(ConfigDuration.format(backoff.max))",
                    metadata: metadata)
            }
            save(now: now, result: why, pushedSize: nil, failures: failures, next: now + delay.nanosecondsClamped)
        case .idle:
            break
        }
        return outcome
    }

    private func save(now: Int64, result: String, pushedSize: UInt64?, failures: Int, next: Int64?) {
        do {
            // Only the push columns change, atomically: `POST /ack` updates the acknowledgement
            // columns of the same row concurrently.
            let state = try store.updateUpstream(named: name) { state in
                state.lastPushAt = now
                state.lastPushResult = String(result.prefix(500))
                if let pushedSize { state.lastPushedSize = pushedSize }
                state.consecutiveFailures = failures
                state.nextAttemptAt = next
            }
            onAttempt?(pushedSize == nil, state)
        } catch {
            logger.error("cannot record the push result: \(error)")
        }
    }
}
