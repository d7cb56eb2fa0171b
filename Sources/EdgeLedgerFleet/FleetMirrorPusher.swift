import EdgeLedgerCore
import EdgeLedgerHTTP
import EdgeLedgerSystem
import Synchronization

/// Uploads the push-mode gateways' logs to the upstream's mirror (C2SP tlog-mirror), as the
/// agent's `WitnessPushWorker` with a `MirrorUploader` does: the latest checkpoint to
/// `add-checkpoint` (a 409 gives the mirror's size; retried from it once), then the entries the
/// mirror lacks to `add-entries`, 32 packages of 256 a request, gzip-compressed, following each
/// 202/409 mirror-info, until a 200 with the mirror's cosignature.
///
/// Gateway `n` uploads to mirror `n mod count`, the next one when that is unreachable. Each
/// cosignature is recorded in the acknowledgement log (`origin,size,acknowledged_at_ns`): the
/// push lag as the gateway sees it.
final class FleetMirrorPusher: Sendable {
    /// Packages per `add-entries` request (the agent's `MirrorUploader.maxPackagesPerRequest`).
    static let packagesPerRequest: UInt64 = 32

    private let clients: [PeerHTTPClient]
    private let acknowledgements: SigningLog
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

    /// Sends the entries `[next, size)` until the mirror cosigns `size`; while one request is in
    /// flight the next one is made, as the agent's `MirrorUploader` does.
    private func upload(_ gateway: SimulatedGateway, size: UInt64) async {
        var start = min(gateway.mirrorNext ?? size, size)
        var prepared: (start: UInt64, end: UInt64, body: [UInt8])?
        let rounds = size / (256 * Self.packagesPerRequest) + 8
        for _ in 0..<rounds {
            let request: (start: UInt64, end: UInt64, body: [UInt8])
            do {
                if let ready = prepared, ready.start == start {
                    request = ready
                } else {
                    request = try Self.request(gateway, start: start, size: size)
                }
            } catch {
                count("proof-failed")
                return
            }
            prepared = nil
            async let answer = send(
                "add-entries", request.body, contentType: "application/octet-stream",
                headers: [("Content-Encoding", "gzip")], preferring: gateway.number)
            if request.end < size { prepared = try? Self.request(gateway, start: request.end, size: size) }
            guard let response = await answer else {
                gateway.mirrorNext = nil
                return
            }
            count("entries-\(response.status)")
            switch response.status {
            case 200:
                gateway.mirrorCosigned(size)
                acknowledgements.record(origin: gateway.origin, size: size, time: SystemClock.nowNanoseconds())
                return
            case 202, 409:
                guard let info = try? MirrorInfo(parsing: response.body), info.treeSize == size, info.nextEntry <= size
                else {
                    gateway.mirrorHolds(0)  // set the checkpoint again
                    return
                }
                if response.status == 409, info.nextEntry == start { return }
                start = info.nextEntry
                gateway.mirrorNext = start
            default:
                gateway.mirrorNext = nil
                return
            }
        }
    }

    /// The gzip-compressed `add-entries` body for `[start, size)` and where its packages end.
    private static func request(
        _ gateway: SimulatedGateway, start: UInt64, size: UInt64
    ) throws -> (start: UInt64, end: UInt64, body: [UInt8]) {
        let (body, end) = try gateway.addEntriesBody(start: start, size: size, packages: packagesPerRequest)
        guard let compressed = Gzip.compress(body) else { throw FleetError("zlib failed") }
        return (start, end, compressed)
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
