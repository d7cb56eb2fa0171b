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

/// Minimal JSON text building for the API's few JSON answers.
enum JSONText {
    /// `value` as a JSON string literal, with quotes.
    static func string(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// A JSON object from already-encoded member values, in the given order.
    static func object(_ members: [(String, String)]) -> String {
        "{" + members.map { "\(string($0.0)): \($0.1)" }.joined(separator: ", ") + "}"
    }
}
