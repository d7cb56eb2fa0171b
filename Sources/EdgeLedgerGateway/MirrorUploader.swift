import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerHTTP
import EdgeLedgerStore
import Logging
import Synchronization

/// Uploads the log's entries to an upstream's mirror (C2SP tlog-mirror `add-entries`) once its
/// pending checkpoint is set, for a ``WitnessPushWorker`` of an upstream with `mode = "push"`.
///
/// Each request carries at most ``maxPackagesPerRequest`` packages of 256 entries read from the
/// store package by package (memory stays bounded whatever the backlog), gzip-compressed. It
/// starts where the mirror says its next entry is (a request without packages asks it), follows
/// the mirror-info of each 202 or 409, and on 200 checks the mirror's cosignature with
/// `mirror_key`: only then is the size recorded as the upstream's acknowledgement (DESIGN 13),
/// which lets retention prune what the mirror holds.
final class MirrorUploader: Sendable {
    /// Packages per request (C2SP tlog-mirror recommends at most 32).
    static let maxPackagesPerRequest: UInt64 = 32

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
    /// While one request is in flight, the next one (from where this one ends) is read and
    /// compressed, so the gateway's work overlaps the network and the mirror's; it is dropped
    /// when the mirror answers another next entry.
    func upload(_ latest: CheckpointRecord) async -> WitnessPushWorker.Outcome {
        let size = latest.size
        guard let origin = store.origin else { return .rejected("the store has no origin yet") }
        var start = nextEntry.withLock { $0 } ?? size
        if start > size { start = size }
        var prepared: Request?
        // Each round either finishes or moves the next entry forward (at least one package, at
        // most 32); a bound guards against a mirror that keeps answering the same. The first
        // round may be a question (start unknown), so the whole log is the worst case.
        let rounds = size / (256 * Self.maxPackagesPerRequest) + 8
        for _ in 0..<rounds {
            let request: Request
            do {
                if let ready = prepared, ready.start == start {
                    request = ready
                } else {
                    request = try makeRequest(origin: origin, start: start, size: size)
                }
            } catch {
                return .rejected("cannot read entries \(start)..<\(size) for the mirror: \(error)")
            }
            prepared = nil
            let response: PeerHTTPResponse
            do {
                async let answer = client.post(
                    "add-entries", body: request.body, contentType: "application/octet-stream",
                    headers: request.gzip ? [("Content-Encoding", "gzip")] : [])
                if request.end < size { prepared = try? makeRequest(origin: origin, start: request.end, size: size) }
                response = try await answer
            } catch is CancellationError {
                return .idle
            } catch {
                nextEntry.withLock { $0 = nil }
                return .unreachable("\(error)")
            }
            switch response.status {
            case 200:
                nextEntry.withLock { $0 = size }
                return acknowledge(response.body, latest: latest)
            case 202, 409:
                guard let info = try? MirrorInfo(parsing: response.body) else {
                    return .rejected("HTTP \(response.status) without mirror-info: \(response.bodyExcerpt)")
                }
                guard info.treeSize == size else {
                    // The mirror's pending checkpoint is another one: set it again first.
                    nextEntry.withLock { $0 = info.nextEntry }
                    return .unreachable(
                        "HTTP \(response.status): the mirror's pending checkpoint has size \(info.treeSize), not "
                            + "\(size)")
                }
                guard info.nextEntry <= size else {
                    return .rejected("the mirror claims to hold \(info.nextEntry) entries of a log of \(size)")
                }
                if response.status == 409, info.nextEntry == start {
                    return .unreachable("HTTP 409 at entry \(start): \(response.bodyExcerpt)")
                }
                start = info.nextEntry
                nextEntry.withLock { $0 = start }
            default:
                nextEntry.withLock { $0 = nil }
                return WitnessPushWorker.refusal(status: response.status, response.bodyExcerpt, peer: "mirror")
            }
        }
        return .unreachable("the mirror did not take the entries after several requests")
    }

    /// One `add-entries` request body.
    private struct Request: Sendable {
        /// Its `upload_start`.
        var start: UInt64
        /// Where its packages end (its `upload_start` when it carries none).
        var end: UInt64
        var body: [UInt8]
        var gzip: Bool
    }

    /// The request for `[start, size)`: the header and up to ``maxPackagesPerRequest`` packages
    /// read from the store, compressed unless zlib fails (out of memory).
    private func makeRequest(origin: String, start: UInt64, size: UInt64) throws -> Request {
        let header = MirrorUploadHeader(origin: origin, uploadStart: start, uploadEnd: size)
        var body = header.encoded
        let count = try store.reader.appendMirrorPackages(header, from: 0, count: Self.maxPackagesPerRequest, to: &body)
        let end = count == 0 ? start : header.package(count - 1).end
        if let compressed = Gzip.compress(body) { return Request(start: start, end: end, body: compressed, gzip: true) }
        return Request(start: start, end: end, body: body, gzip: false)
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
