import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerHTTP
import EdgeLedgerStore
import EdgeLedgerSystem
import Logging
import ServiceLifecycle
import Synchronization

/// Acknowledging verified entries to the gateway (`POST /ack` with proof of possession).
extension GatewayCollector {
    func acknowledge(_ state: CollectorGatewayState) async throws {
        guard gateway.acknowledge, state.verifiedSize > 0, state.ackedSize < state.verifiedSize,
            let root = state.verifiedRoot
        else { return }
        let problem: String?
        do {
            let response = try await AckProver(client: client, store: store, hasher: hasher).acknowledge(
                gateway: state.id, size: state.verifiedSize, root: root)
            switch response.status {
            case 200:
                try await store.recordAck(gateway: state.id, size: state.verifiedSize, at: SystemClock.nowNanoseconds())
                problem = nil
            case 401, 403:
                problem =
                    "HTTP \(response.status): the gateway does not accept this upstream's acknowledgement; set "
                    + "gateways.token to the token the gateway lists in [[http.tokens]] under the name of its "
                    + "[[upstreams]] entry for this node (\(response.bodyExcerpt))"
            case 409:
                problem =
                    "HTTP 409: the gateway refused the acknowledgement of size \(state.verifiedSize): "
                    + response.bodyExcerpt
            default:
                problem = "HTTP \(response.status): \(response.bodyExcerpt)"
            }
        } catch let error as PeerTransportError {
            problem = "acknowledgement not delivered: \(error.description)"
        }
        let previous = memory.withLock { m -> String? in
            defer { m.ackProblem = problem }
            return m.ackProblem
        }
        if let problem, problem != previous {
            logger.error("acknowledgement failed (retried at the next pull): \(problem)")
        } else if problem == nil, previous != nil {
            logger.notice("acknowledgements accepted again", metadata: ["size": "\(state.verifiedSize)"])
        }
    }
}
