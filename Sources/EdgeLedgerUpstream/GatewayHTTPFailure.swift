import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerHTTP
import EdgeLedgerStore
import EdgeLedgerSystem
import Logging
import ServiceLifecycle
import Synchronization

/// A gateway answered a request with an unexpected HTTP status.
struct GatewayHTTPFailure: Error, CustomStringConvertible {
    var request: String
    var status: Int
    var body: String

    /// Server errors and throttling are transient; 4xx other than 408/429 need the operator.
    var isTransient: Bool { status >= 500 || status == 408 || status == 429 }

    var description: String {
        var hint = ""
        switch status {
        case 401: hint = " (set gateways.token to a token the gateway accepts)"
        case 403: hint = " (the gateway does not allow this token to read)"
        case 404: hint = " (the gateway does not serve this; is gateways.url right, including its prefix?)"
        default: break
        }
        return "\(request): HTTP \(status)\(hint): \(body)"
    }

    static func check(_ response: PeerHTTPResponse, request: String) throws(GatewayHTTPFailure) {
        guard response.status == 200 else {
            throw GatewayHTTPFailure(request: request, status: response.status, body: response.bodyExcerpt)
        }
    }
}
