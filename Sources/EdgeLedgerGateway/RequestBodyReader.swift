import EdgeLedgerHTTP
import Hummingbird
import NIOCore

/// Reads a request body completely, bounded in size and time.
enum RequestBodyReader {
    /// The body of `request`, at most `limit` bytes, read within `timeout`.
    ///
    /// - Throws: 413 when the declared `Content-Length` or the bytes received exceed `limit`;
    ///   408 when the client does not send the body in time.
    static func collect(_ request: Request, limit: Int, timeout: Duration) async throws -> [UInt8] {
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit {
            throw APIFailure.tooLarge(limit: limit)
        }
        let body = request.body
        let buffer: ByteBuffer? = try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
            group.addTask {
                do {
                    return try await body.collect(upTo: limit)
                } catch is NIOTooManyBytesError {
                    throw APIFailure.tooLarge(limit: limit)
                }
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
        guard let buffer else {
            throw APIFailure(
                .requestTimeout, "the request body did not arrive within \(timeout) (http.request_timeout)")
        }
        return Array(buffer.readableBytesView)
    }
}
