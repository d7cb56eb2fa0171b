import EdgeLedgerHTTP
import Hummingbird
import NIOCore

/// Builders for the API's responses: exact bodies with explicit type, length and caching.
enum APIResponse {
    /// `Cache-Control` for immutable resources: full tiles and full entry bundles.
    static let immutable = "public, max-age=31536000, immutable"
    /// `Cache-Control` for partial tiles and bundles: their bytes never change either, but a
    /// client should soon ask for the wider tile instead.
    static let partial = "public, max-age=60"
    /// `Cache-Control` for everything that changes or is an error.
    static let noStore = "no-store"

    /// A `text/plain; charset=utf-8` response; a final newline is added when missing.
    static func text(_ text: String, status: HTTPResponse.Status = .ok, cache: String = noStore) -> Response {
        let body = text.hasSuffix("\n") || text.isEmpty ? text : text + "\n"
        return bytes(Array(body.utf8), status: status, contentType: "text/plain; charset=utf-8", cache: cache)
    }

    /// An `application/json` response.
    static func json(_ json: String, status: HTTPResponse.Status = .ok) -> Response {
        bytes(Array((json + "\n").utf8), status: status, contentType: "application/json", cache: noStore)
    }

    /// A response with exactly `bytes` as its body.
    static func bytes(
        _ bytes: [UInt8], status: HTTPResponse.Status = .ok, contentType: String = "application/octet-stream",
        cache: String
    ) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[.contentLength] = String(bytes.count)
        headers[.cacheControl] = cache
        headers[.xContentTypeOptions] = "nosniff"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
