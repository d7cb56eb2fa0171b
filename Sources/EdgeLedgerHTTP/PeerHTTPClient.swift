import AsyncHTTPClient
import EdgeLedgerCore
import NIOCore
import NIOHTTP1
import NIOSSL

/// A response, fully read.
package struct PeerHTTPResponse: Sendable {
    package var status: Int
    package var contentType: String?
    package var body: [UInt8]

    /// The body as text (lossy UTF-8), shortened for logs.
    package var bodyExcerpt: String {
        let text = String(decoding: body.prefix(300), as: UTF8.self)
        return text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}

/// A request failed before a response arrived: the peer is unreachable, the connection broke,
/// or the request timed out.
package struct PeerTransportError: Error, CustomStringConvertible {
    package var description: String
    /// The response was larger than the request's limit (at most the limit was read).
    package var tooLarge = false
    /// With ``tooLarge``: the response's length as its `Content-Length` announced it, if it did.
    package var announcedLength: Int?

    package init(description: String, tooLarge: Bool = false, announcedLength: Int? = nil) {
        self.description = description
        self.tooLarge = tooLarge
        self.announcedLength = announcedLength
    }
}

/// An AsyncHTTPClient with the settings of one peer (TLS, timeout, bearer token), for the
/// witness pusher, the collectors and `edge-ledger status`. Keep-alive connections are reused.
package final class PeerHTTPClient: Sendable {
    package let client: HTTPClient
    package let baseURL: String
    package let token: String?
    package let timeout: Duration

    /// - Parameters:
    ///   - baseURL: the peer's base URL without a trailing `/`.
    ///   - connections: keep-alive connections to the peer at most (parallel fetches).
    package init(
        baseURL: String, token: String?, tls: TLSClientConfiguration?, timeout: Duration, connections: Int = 8
    )
        throws
    {
        var configuration = HTTPClient.Configuration()
        if let tls {
            var t = TLSConfiguration.makeClientConfiguration()
            t.minimumTLSVersion = .tlsv12
            if let ca = tls.caFile { t.trustRoots = .file(ca) }
            if let cert = tls.certFile, let key = tls.keyFile {
                t.certificateChain = try NIOSSLCertificate.fromPEMFile(cert).map { .certificate($0) }
                t.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
            }
            configuration.tlsConfiguration = t
        }
        configuration.timeout = HTTPClient.Configuration.Timeout(
            connect: .nanoseconds(Int64(clamping: timeout.nanosecondsClamped)),
            read: .nanoseconds(Int64(clamping: timeout.nanosecondsClamped)))
        var pool = HTTPClient.Configuration.ConnectionPool()
        pool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(1, connections)
        // Fail fast when the peer is down: the pusher and collectors back off themselves.
        pool.retryConnectionEstablishment = false
        configuration.connectionPool = pool
        configuration.httpVersion = .http1Only
        configuration.redirectConfiguration = .disallow
        self.client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.token = token
        self.timeout = timeout
    }

    /// `GET <base>/<path>`, reading at most `limit` bytes of body.
    package func get(_ path: String, limit: Int) async throws -> PeerHTTPResponse {
        try await send(path, method: .GET, body: nil, contentType: nil, limit: limit)
    }

    /// `POST <base>/<path>` with `body` (and extra `headers`, e.g. `Content-Encoding`).
    package func post(
        _ path: String, body: [UInt8], contentType: String, limit: Int = 1 << 16, headers: [(String, String)] = []
    ) async throws
        -> PeerHTTPResponse
    {
        try await send(path, method: .POST, body: body, contentType: contentType, limit: limit, headers: headers)
    }

    private func send(
        _ path: String, method: HTTPMethod, body: [UInt8]?, contentType: String?, limit: Int,
        headers: [(String, String)] = []
    )
        async throws -> PeerHTTPResponse
    {
        var request = HTTPClientRequest(url: baseURL + "/" + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: contentType ?? "application/octet-stream")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let deadline = NIODeadline.now() + .nanoseconds(Int64(clamping: timeout.nanosecondsClamped))
        do {
            let response = try await client.execute(request, deadline: deadline)
            if let length = response.headers.first(name: "Content-Length").flatMap({ Int($0) }), length > limit {
                // Known before reading: nothing of the body is read.
                throw PeerTransportError(
                    description: "response to \(method) /\(path) announces \(length) bytes, more than \(limit)",
                    tooLarge: true, announcedLength: length)
            }
            let buffer = try await response.body.collect(upTo: limit)
            return PeerHTTPResponse(
                status: Int(response.status.code), contentType: response.headers.first(name: "Content-Type"),
                body: Array(buffer: buffer))
        } catch let error as PeerTransportError {
            throw error
        } catch let error as NIOTooManyBytesError {
            throw PeerTransportError(
                description: "response to \(method) /\(path) is larger than \(limit) bytes: \(error)", tooLarge: true)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw PeerTransportError(description: PeerHTTPClient.describe(error))
        }
    }

    /// Closes the connections.
    package func shutdown() async {
        try? await client.shutdown()
    }

    /// A short description of a transport error ("connection refused", "timed out", …).
    package static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        if text.contains("connectTimeout") || text.contains("deadlineExceeded") || text.contains("readTimeout") {
            return "timed out"
        }
        if text.lowercased().contains("connection refused") || text.contains("ECONNREFUSED") {
            return "connection refused"
        }
        return text.count > 300 ? String(text.prefix(300)) + "…" : text
    }
}
