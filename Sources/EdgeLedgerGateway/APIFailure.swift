import EdgeLedgerHTTP
import Hummingbird

/// A request that the API answers with an error status and a short plain-text reason.
///
/// Handlers throw it; ``APIErrorMiddleware`` turns it (and every other error) into a response.
/// The reason is written for the client: it never contains internal error details.
struct APIFailure: Error, Sendable {
    var status: HTTPResponse.Status
    var reason: String
    var headers: HTTPFields

    init(_ status: HTTPResponse.Status, _ reason: String, headers: HTTPFields = [:]) {
        self.status = status
        self.reason = reason
        self.headers = headers
    }

    /// 400 Bad Request.
    static func badRequest(_ reason: String) -> APIFailure { APIFailure(.badRequest, reason) }

    /// 404 Not Found.
    static func notFound(_ reason: String) -> APIFailure { APIFailure(.notFound, reason) }

    /// 401 Unauthorized, with the `WWW-Authenticate` challenge RFC 6750 asks for.
    static func unauthorized(_ reason: String, invalidToken: Bool) -> APIFailure {
        var headers = HTTPFields()
        headers[.wwwAuthenticate] =
            invalidToken ? "Bearer realm=\"edge-ledger\", error=\"invalid_token\"" : "Bearer realm=\"edge-ledger\""
        return APIFailure(.unauthorized, reason, headers: headers)
    }

    /// 403 Forbidden.
    static func forbidden(_ reason: String) -> APIFailure { APIFailure(.forbidden, reason) }

    /// 413 Content Too Large.
    static func tooLarge(limit: Int) -> APIFailure {
        APIFailure(.contentTooLarge, "request body is larger than the limit of \(limit) bytes (http.max_body_bytes)")
    }

    /// 500 with the generic text; the cause goes to the log only.
    static let internalError = APIFailure(.internalServerError, "internal error; see the agent's log")

    var response: Response {
        var response = APIResponse.text(reason, status: status)
        response.headers.append(contentsOf: headers)
        return response
    }
}
