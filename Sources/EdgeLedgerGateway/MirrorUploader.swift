import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerHTTP
import EdgeLedgerStore
import Logging
import Synchronization

/// Uploads the log's entries to an upstream's mirror (C2SP tlog-mirror `add-entries`) once its
/// pending checkpoint is set, for a ``WitnessPushWorker`` of an upstream with `mode = "push"`.
///
/// Each request carries at most 32 packages of 256 entries (`MirrorUploadWindow`) read from the
/// store package by package, gzip-compressed; up to 4 requests are in flight, so memory stays
/// bounded whatever the backlog. It starts where the mirror says its next entry is (a request
/// without packages asks it), follows the mirror-info of each 202 or 409, and on 200 checks the
/// mirror's cosignature with
/// `mirror_key`: only then is the size recorded as the upstream's acknowledgement (DESIGN 13),
/// which lets retention prune what the mirror holds.
final class MirrorUploader: Sendable {
    let name: String
    let client: PeerHTTPClient
    let store: LedgerStore
    let verifier: any NoteVerifier
    let logger: Logger
    /// The mirror's next entry as last advertised (`nil`: ask it).
    private let nextEntry = Mutex<UInt64?>(nil)

    init(name: String, client: PeerHTTPClient, store: LedgerStore, verifier: any NoteVerifier, logger: Logger) {
        self.name = name
        self.client = client
        self.store = store
        self.verifier = verifier
        self.logger = logger
    }

    /// Uploads every entry of `latest` the mirror lacks and records the acknowledgement.
    ///
    /// Up to `MirrorUploadWindow.defaultWindow` requests are in flight at once
    /// (``MirrorUploadWindow``); each next one is read and compressed while the earlier ones
    /// travel, so the gateway's work overlaps the network and the mirror's.
    func upload(_ latest: CheckpointRecord) async -> WitnessPushWorker.Outcome {
        let size = latest.size
        guard let origin = store.origin else { return .rejected("the store has no origin yet") }
        let start = min(nextEntry.withLock { $0 } ?? size, size)
        let client = self.client
        let upload = MirrorUploadWindow(
            make: { try self.makeRequest(origin: origin, start: $0, size: size) },
            send: { request in
                try await client.post(
                    "add-entries", body: request.body, contentType: "application/octet-stream",
                    headers: request.gzip ? [("Content-Encoding", "gzip")] : [])
            },
            narrowed: { why in
                self.logger.notice(
                    "mirror: a later request of the upload was refused (\(why)); sending one request at a time (behind a load balancer, route this gateway to one instance)",
                    metadata: ["upstream": "\(self.name)"])
            })
        let outcome = await upload.run(from: start, size: size) { next in nextEntry.withLock { $0 = next } }
        switch outcome {
        case .cosigned(let response):
            nextEntry.withLock { $0 = size }
            return acknowledge(response.body, latest: latest)
        case .otherCheckpoint(let info, let status):
            // The mirror's pending checkpoint is another one: set it again first.
            nextEntry.withLock { $0 = info.nextEntry }
            return .unreachable(
                "HTTP \(status): the mirror's pending checkpoint has size \(info.treeSize), not \(size)")
        case .stalled(let at, let response):
            return .unreachable("HTTP 409 at entry \(at): \(response.bodyExcerpt)")
        case .noMirrorInfo(let response):
            return .rejected("HTTP \(response.status) without mirror-info: \(response.bodyExcerpt)")
        case .overclaim(let info):
            return .rejected("the mirror claims to hold \(info.nextEntry) entries of a log of \(size)")
        case .refused(let response):
            nextEntry.withLock { $0 = nil }
            return WitnessPushWorker.refusal(status: response.status, response.bodyExcerpt, peer: "mirror")
        case .unreachable(let why):
            nextEntry.withLock { $0 = nil }
            return .unreachable(why)
        case .unreadable(let at, let error):
            return .rejected("cannot read entries \(at)..<\(size) for the mirror: \(error)")
        case .cancelled:
            return .idle
        case .exhausted:
            return .unreachable("the mirror did not take the entries after several requests")
        }
    }

    /// The request for `[start, size)`: the header and up to 32 packages read from the store,
    /// compressed unless zlib fails (out of memory).
    private func makeRequest(origin: String, start: UInt64, size: UInt64) throws -> MirrorUploadWindow.Request {
        let header = MirrorUploadHeader(origin: origin, uploadStart: start, uploadEnd: size)
        var body = header.encoded
        let count = try store.reader.appendMirrorPackages(
            header, from: 0, count: MirrorUploadWindow.packagesPerRequest, to: &body)
        let end = count == 0 ? start : header.package(count - 1).end
        if let compressed = Gzip.compress(body) {
            return MirrorUploadWindow.Request(start: start, end: end, body: compressed, gzip: true)
        }
        return MirrorUploadWindow.Request(start: start, end: end, body: body, gzip: false)
    }

    /// Checks the mirror's cosignature on a 200 and records the acknowledgement.
    private func acknowledge(_ body: [UInt8], latest: CheckpointRecord) -> WitnessPushWorker.Outcome {
        let text = String(decoding: body, as: UTF8.self)
        do {
            let lines = try text.split(separator: "\n").map { try NoteSignature(parsingLine: $0) }
            let note = Note(text: try Note(parsing: latest.note).text, signatures: lines)
            let accepted = try NoteSigning.open(note, verifiers: [verifier])
            guard !accepted.isEmpty else { return .rejected("HTTP 200 without a cosignature by mirror_key") }
        } catch {
            return .rejected("the mirror's cosignature does not verify with mirror_key: \(error)")
        }
        do {
            // The mirror holds these entries because this gateway uploaded them (or that upstream
            // pulled them with its own credential): retention may count its cosignature as far.
            try store.recordFetched(upstream: name, below: latest.size)
            try store.recordAcknowledgement(upstream: name, size: latest.size, root: latest.root)
        } catch {
            return .rejected("cannot record the mirror's acknowledgement: \(error)")
        }
        return .cosigned(latest.size, lines: 1)
    }
}
