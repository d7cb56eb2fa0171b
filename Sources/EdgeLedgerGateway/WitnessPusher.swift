import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerHTTP
import EdgeLedgerStore
import EdgeLedgerSystem
import Logging
import ServiceLifecycle
import Synchronization

/// Pushes the agent's checkpoints to its witnesses (C2SP tlog-witness `add-checkpoint`) and keeps
/// the cosignatures they return; part of `edge-ledger run`.
///
/// For every `[[upstreams]]` entry with `mode = "push"` the worker pushes to the upstream's
/// mirror instead (C2SP tlog-mirror): the checkpoint to `<url>/add-checkpoint`, then the entries
/// the mirror lacks to `<url>/add-entries` (``MirrorUploader``); the mirror's cosignature, checked
/// with `mirror_key`, becomes the upstream's acknowledgement.
///
/// For every `[[upstreams]]` entry with `witness = true`, a worker watches the store's latest
/// checkpoint (polling every ``pollInterval``, or at once after ``nudge()``) and, when it is newer
/// than the last one the witness cosigned, POSTs it with a consistency proof from the size the
/// witness is believed to hold (`UpstreamState.lastPushedSize`, 0 at first). However many
/// checkpoints were sealed while the witness was unreachable, one request catches it up: the
/// latest checkpoint with a proof from the witness's size.
///
/// Answers:
/// - **200**: the cosignature lines are checked against `verifier_key` (lines by other keys are
///   ignored; a line by that key that does not verify refuses the answer), the verified ones are
///   stored with `LedgerStore.addCosignature` (the HTTP API serves them with `/checkpoint`), and
///   the size is recorded as the witness's. Without a verifier (`verify = false`, or no key) no
///   line is kept: an unverified cosignature is never stored, served or anchored.
/// - **409**: the witness holds another size (its body says which); the worker adopts it and
///   retries at once, once.
/// - **400/401/403/404/422**: a configuration problem (unknown log, wrong key, bad proof): logged
///   once as an error, retried only every `backoff.max`.
/// - **unreachable, 5xx, timeouts**: exponential backoff with jitter (`backoff`); the change of
///   state is logged once, and so is the recovery.
///
/// Each attempt's time and result are recorded in the store's upstream state
/// (`last_push_at`, `last_push_result`, `consecutive_failures`, `next_attempt_at`) with
/// `LedgerStore.updateUpstream(named:_:)`, which leaves the acknowledgement columns that
/// `POST /ack` writes untouched.
public final class WitnessPusher: Service, Sendable {
    /// How often the store is polled for a new checkpoint.
    public let pollInterval: Duration
    private let store: LedgerStore
    private let workers: [WitnessPushWorker]
    private let logger: Logger

    /// Prepares a worker for every upstream with `witness = true` and a URL.
    ///
    /// - Parameter onAttempt: called after every push attempt that was made (not when there was
    ///   nothing to push) with the upstream's state as recorded, e.g. for the agent's metrics.
    /// - Throws: ``AgentError`` when an upstream's `verifier_key` is unusable or its TLS files
    ///   cannot be read.
    public init(
        store: LedgerStore, upstreams: [UpstreamPeerConfiguration], pollInterval: Duration = .seconds(1),
        logger: Logger = Logger(label: "edge-ledger.push"),
        onAttempt: (@Sendable (_ failed: Bool, _ state: UpstreamState) -> Void)? = nil
    ) throws {
        self.store = store
        self.pollInterval = pollInterval
        self.logger = logger
        var workers: [WitnessPushWorker] = []
        for upstream in upstreams where upstream.witness {
            guard let url = upstream.url else { continue }
            var verifier: (any NoteVerifier)? = nil
            if upstream.mode == .pull, let key = upstream.verifierKey, upstream.verify {
                verifier = try Self.verifier(key, upstream: upstream.name, key: "verifier_key")
            }
            let client: PeerHTTPClient
            do {
                client = try PeerHTTPClient(
                    baseURL: url, token: upstream.token?.value, tls: upstream.tls, timeout: upstream.timeout,
                    connections: 1)
            } catch {
                throw AgentError("upstreams \(upstream.name): cannot set up TLS: \(error)")
            }
            var workerLogger = logger
            workerLogger[metadataKey: "upstream"] = "\(upstream.name)"
            var mirror: MirrorUploader? = nil
            if upstream.mode == .push {
                guard let key = upstream.mirrorKey else {
                    throw AgentError("upstreams \(upstream.name): mode = \"push\" needs mirror_key")
                }
                mirror = MirrorUploader(
                    name: upstream.name, client: client, store: store,
                    verifier: try Self.verifier(key, upstream: upstream.name, key: "mirror_key"), logger: workerLogger)
            } else if verifier == nil {
                workerLogger.warning(
                    """
                    cosignatures of this witness are NOT verified (no verifier_key, or verify = false): none is \
                    kept or served; checkpoints are still pushed
                    """, metadata: ["url": "\(url)"])
            }
            workers.append(
                WitnessPushWorker(
                    name: upstream.name, url: url, client: client, verifier: verifier,
                    backoff: Backoff(upstream.backoff),
                    store: store, pollInterval: pollInterval, logger: workerLogger, onAttempt: onAttempt,
                    mirror: mirror))
        }
        self.workers = workers
    }

    /// A verifier of a witness's or mirror's cosignatures (or of a note key) from configuration.
    static func verifier(_ text: String, upstream: String, key: String) throws -> any NoteVerifier {
        do {
            let parsed = try VerifierKey(parsing: text)
            return parsed.type == CosignatureV1.signatureType
                ? try CosignatureV1Verifier(verifierKey: parsed) : try NoteKeys.verifier(from: parsed)
        } catch {
            throw AgentError("upstreams \(upstream): \(key) is unusable: \(error)")
        }
    }

    /// The names of the upstreams pushed to.
    public var upstreamNames: [String] { workers.map(\.name) }

    /// Look at the store now instead of at the next poll (call after sealing).
    public func nudge() {
        for worker in workers { worker.wakeup.signal() }
    }

    /// Pushes until the task is cancelled or graceful shutdown.
    public func run() async throws {
        guard !workers.isEmpty else {
            try? await gracefulShutdown()
            return
        }
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                for worker in self.workers {
                    group.addTask { await worker.run() }
                }
            }
        }
        for worker in workers { await worker.client.shutdown() }
    }

    /// Pushes the latest checkpoint to every witness once, ignoring backoff (for tests and
    /// `edge-ledger status`-style tools).
    ///
    /// - Returns: each upstream's result, e.g. "ok", "HTTP 403: …", "connection refused".
    @discardableResult
    public func pushOnce() async -> [String: String] {
        var out: [String: String] = [:]
        for worker in workers {
            out[worker.name] = await worker.attempt().description
        }
        return out
    }

    /// Closes the HTTP connections (after ``pushOnce()``; ``run()`` does it itself).
    public func shutdown() async {
        for worker in workers { await worker.client.shutdown() }
    }
}
