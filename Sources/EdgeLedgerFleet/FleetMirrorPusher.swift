import EdgeLedgerCore
import EdgeLedgerHTTP
import EdgeLedgerSystem
import Synchronization

/// Uploads the push-mode gateways' logs to the upstream's mirror (C2SP tlog-mirror), as the
/// agent's `WitnessPushWorker` with a `MirrorUploader` does: the latest checkpoint to
/// `add-checkpoint` (a 409 gives the mirror's size; retried from it once), then the entries the
/// mirror lacks to `add-entries`, 32 packages of 256 a request, gzip-compressed, up to 4 requests
/// in flight, following each 202/409 mirror-info, until a 200 with the mirror's cosignature.
///
/// Gateway `n` uploads to mirror `n mod count`, the next one when that is unreachable. Each
/// cosignature is recorded in the acknowledgement log (`origin,size,acknowledged_at_ns`): the
/// push lag as the gateway sees it.
final class FleetMirrorPusher: Sendable {

    private let clients: [PeerHTTPClient]
    private let acknowledgements: SigningLog
    /// Requests made before the run (``prepare(_:)``), by origin: the checkpoint size they upload
    /// and each request by its start. Taken as sent.
    private let prepared = Mutex<[String: (size: UInt64, requests: [UInt64: MirrorUploadWindow.Request])]>([:])
    /// Outcomes by name (`checkpoint-200`, `entries-202`, `unreachable`…), for the status lines.
    let outcomes = Mutex<[String: Int]>([:])

    /// Clients for `urls` (the mirrors' submission prefixes, `<http.prefix>/mirror`), each with
    /// `token`; cosignatures are recorded in `acknowledgements`.
    init(urls: [String], token: String?, connections: Int, acknowledgements: SigningLog) throws {
        clients = try urls.map {
            try PeerHTTPClient(baseURL: $0, token: token, tls: nil, timeout: .seconds(30), connections: connections)
        }
        self.acknowledgements = acknowledgements
    }

    /// Uploads what `gateway`'s mirror lacks of its latest checkpoint.
    func push(_ gateway: SimulatedGateway) async {
        guard !clients.isEmpty else { return }
        var retried = false
        while true {
            let step: (latest: SimulatedGateway.Published, oldSize: UInt64, body: String?)?
            do {
                step = try gateway.mirrorStep()
            } catch {
                count("proof-failed")
                return
            }
            guard let step else { return }
            guard let body = step.body else {
                await upload(gateway, size: step.latest.size)
                return
            }
            guard
                let response = await send(
                    "add-checkpoint", Array(body.utf8), contentType: "text/plain; charset=utf-8",
                    preferring: gateway.number)
            else { return }
            count("checkpoint-\(response.status)")
            switch response.status {
            case 200:
                gateway.mirrorHolds(step.latest.size)
                await upload(gateway, size: step.latest.size)
                return
            case 409:
                let text = String(decoding: response.body, as: UTF8.self)
                guard text.hasSuffix("\n"), let size = UInt64(text.dropLast()) else { return }
                gateway.mirrorHolds(size)
                if retried { return }
                retried = true
            default:
                return  // 404/403 (not enrolled yet): next second
            }
        }
    }

    /// Sends the entries `[next, size)` until the mirror cosigns `size`, with up to 4 requests in
    /// flight, as the agent's `MirrorUploader` does.
    private func upload(_ gateway: SimulatedGateway, size: UInt64) async {
        let start = min(gateway.mirrorNext ?? size, size)
        let upload = MirrorUploadWindow(
            make: { try self.request(gateway, start: $0, size: size) },
            send: { request in
                guard
                    let response = await self.send(
                        "add-entries", request.body, contentType: "application/octet-stream",
                        headers: [("Content-Encoding", "gzip")], preferring: gateway.number)
                else { throw FleetError("no mirror answered") }
                self.count("entries-\(response.status)")
                return response
            }, narrowed: { _ in self.count("window-narrowed") })
        switch await upload.run(from: start, size: size, progress: { gateway.mirrorNext = $0 }) {
        case .cosigned:
            prepared.withLock { if $0[gateway.origin]?.size == size { $0[gateway.origin] = nil } }
            gateway.mirrorCosigned(size)
            acknowledgements.record(origin: gateway.origin, size: size, time: SystemClock.nowNanoseconds())
        case .otherCheckpoint, .noMirrorInfo, .overclaim:
            gateway.mirrorHolds(0)  // set the checkpoint again
        case .unreadable:
            count("proof-failed")
        case .refused, .unreachable:
            gateway.mirrorNext = nil
        case .stalled, .cancelled, .exhausted:
            break
        }
    }

    /// Makes every `add-entries` request of `gateway`'s whole log up to its latest checkpoint now,
    /// and holds its sealing until the mirror cosigned that checkpoint (so the requests stay
    /// the ones to send). For the backlog gateway: a real gateway builds its requests on its own
    /// CPU, here they would take the upstream's (about 30 ms of CPU per 8,192 entries: entries,
    /// proofs, gzip). Returns how many requests were made.
    @discardableResult
    func prepare(_ gateway: SimulatedGateway) throws -> Int {
        guard let size = gateway.holdSealingForUpload() else { return 0 }
        var requests: [UInt64: MirrorUploadWindow.Request] = [:]
        var start: UInt64 = 0
        while start < size {
            let request = try Self.make(gateway, start: start, size: size)
            requests[start] = request
            start = request.end
        }
        prepared.withLock { $0[gateway.origin] = (size, requests) }
        return requests.count
    }

    /// How many prepared requests of `origin` are still to be sent.
    func preparedCount(origin: String) -> Int {
        prepared.withLock { $0[origin]?.requests.count ?? 0 }
    }

    /// The `add-entries` request for `[start, size)`: the prepared one, or made now.
    func request(
        _ gateway: SimulatedGateway, start: UInt64, size: UInt64
    ) throws -> MirrorUploadWindow.Request {
        let made = prepared.withLock { all -> MirrorUploadWindow.Request? in
            guard all[gateway.origin]?.size == size else { return nil }
            return all[gateway.origin]?.requests.removeValue(forKey: start)
        }
        return try made ?? Self.make(gateway, start: start, size: size)
    }

    /// The gzip-compressed `add-entries` request for `[start, size)`.
    static func make(
        _ gateway: SimulatedGateway, start: UInt64, size: UInt64
    ) throws -> MirrorUploadWindow.Request {
        let (body, end) = try gateway.addEntriesBody(
            start: start, size: size, packages: MirrorUploadWindow.packagesPerRequest)
        guard let compressed = Gzip.compress(body) else { throw FleetError("zlib failed") }
        return MirrorUploadWindow.Request(start: start, end: end, body: compressed, gzip: true)
    }

    /// POSTs `body` to `path` of the preferred mirror, then of the others until one answers.
    private func send(
        _ path: String, _ body: [UInt8], contentType: String, headers: [(String, String)] = [], preferring number: Int
    ) async -> PeerHTTPResponse? {
        for k in 0..<clients.count {
            let client = clients[(number + k) % clients.count]
            if let response = try? await client.post(path, body: body, contentType: contentType, headers: headers) {
                return response
            }
        }
        count("unreachable")
        return nil
    }

    private func count(_ outcome: String) {
        outcomes.withLock { $0[outcome, default: 0] += 1 }
    }

    /// Writes the cosignatures received since the last flush to the acknowledgement log.
    func flush() {
        acknowledgements.flush()
    }

    /// Closes the connections.
    func shutdown() async {
        for client in clients { await client.shutdown() }
    }
}
