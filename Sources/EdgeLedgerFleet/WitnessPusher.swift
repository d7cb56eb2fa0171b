import EdgeLedgerCore
import EdgeLedgerHTTP
import Synchronization

/// Pushes the simulated gateways' checkpoints to the upstream's witnesses (C2SP tlog-witness
/// `add-checkpoint`), as the agent's `WitnessPushWorker` does: the latest checkpoint with a
/// consistency proof from the size the witness holds; a 409 says which size that is, and the
/// push is retried from it at once, once.
///
/// Gateway `n` pushes to witness `n mod count` (several instances behind no load balancer); when
/// that one is unreachable it tries the next, as a load balancer would. One keep-alive HTTP
/// client per witness, shared by all gateways (the upstream limits connections per client
/// address: `http.max_connections_per_client`).
final class FleetWitnessPusher: Sendable {
    private let clients: [PeerHTTPClient]
    /// Outcomes by name (`200`, `409`, `503`, `unreachable`…), for the simulator's status lines.
    let outcomes = Mutex<[String: Int]>([:])

    /// Clients for `urls` (base URLs of the witness endpoints), each with `token`.
    init(urls: [String], token: String?, connections: Int) throws {
        clients = try urls.map {
            try PeerHTTPClient(baseURL: $0, token: token, tls: nil, timeout: .seconds(10), connections: connections)
        }
    }

    /// Pushes `gateway`'s checkpoint if there is a new one.
    func push(_ gateway: SimulatedGateway) async {
        guard !clients.isEmpty else { return }
        var retried = false
        while true {
            let request: (oldSize: UInt64, size: UInt64, body: String)?
            do {
                request = try gateway.witnessRequest()
            } catch {
                count("proof-failed")
                return
            }
            guard let request else { return }
            guard let response = await send(request.body, preferring: gateway.number) else {
                count("unreachable")
                return
            }
            count("\(response.status)")
            switch response.status {
            case 200:
                gateway.witnessHolds(request.size)
                return
            case 409:
                let text = String(decoding: response.body, as: UTF8.self)
                guard text.hasSuffix("\n"), let size = UInt64(text.dropLast()) else { return }
                gateway.witnessHolds(size)
                if retried || size >= request.size { return }
                retried = true
            default:
                return  // 503 (not collected yet), 404 (not enrolled yet): next second
            }
        }
    }

    /// POSTs `body` to the preferred witness, then to the others until one answers.
    private func send(_ body: String, preferring number: Int) async -> PeerHTTPResponse? {
        let bytes = Array(body.utf8)
        for k in 0..<clients.count {
            let client = clients[(number + k) % clients.count]
            if let response = try? await client.post(
                "add-checkpoint", body: bytes, contentType: "text/plain; charset=utf-8")
            {
                return response
            }
        }
        return nil
    }

    private func count(_ outcome: String) {
        outcomes.withLock { $0[outcome, default: 0] += 1 }
    }

    /// Closes the connections.
    func shutdown() async {
        for client in clients { await client.shutdown() }
    }
}
