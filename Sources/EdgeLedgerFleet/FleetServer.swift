import EdgeLedgerCore
import Hummingbird
import NIOCore
import Synchronization

/// The fleet's C2SP tlog-tiles endpoints, one HTTP server for every simulated gateway, each under
/// its own prefix `/gw-<n>`: `GET /gw-<n>/checkpoint`, `/gw-<n>/tile/<L>/<N>[.p/<W>]` and
/// `/gw-<n>/tile/entries/<N>[.p/<W>]`, with the bytes, widths and answers of the agent's
/// `LedgerAPI` (404 beyond the latest checkpoint, 400 for a malformed tile path). Reads are
/// anonymous: the simulated gateways are enrolled without a pull token.
final class FleetServer: Sendable {
    /// The gateways by number (a gateway that has not appeared yet answers 404).
    let gateways = Mutex<[Int: SimulatedGateway]>([:])
    /// Requests served, by kind (`checkpoint`, `tile`, `bundle`), for the status lines.
    let served = Mutex<[String: Int]>([:])

    /// Makes `gateway` reachable.
    func add(_ gateway: SimulatedGateway) {
        gateways.withLock { $0[gateway.number] = gateway }
    }

    /// The router.
    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.get(":gateway/checkpoint") { _, context -> Response in
            guard let gateway = self.gateway(context.parameters.get("gateway")) else {
                return Self.text(.notFound, "no such gateway")
            }
            self.count("checkpoint")
            guard let note = gateway.checkpointForCollector() else {
                return Self.text(.notFound, "no checkpoint has been sealed yet")
            }
            return Self.bytes(Array(note.utf8), contentType: "text/plain; charset=utf-8", cache: "no-store")
        }
        router.get(":gateway/tile/**") { request, context -> Response in
            let name = context.parameters.get("gateway") ?? ""
            guard let gateway = self.gateway(name) else { return Self.text(.notFound, "no such gateway") }
            let relative = request.uri.path.dropFirst(name.count + 2)
            let id: TileID
            do {
                id = try TileID(parsingPath: relative)
            } catch {
                return Self.text(.badRequest, "\(error)")
            }
            self.count(id.isEntryBundle ? "bundle" : "tile")
            guard let bytes = gateway.tile(id) else {
                return Self.text(.notFound, "\(id.path) lies beyond the latest checkpoint")
            }
            let cache = id.isPartial ? "public, max-age=60" : "public, max-age=31536000, immutable"
            return Self.bytes(bytes, contentType: "application/octet-stream", cache: cache)
        }
        return router
    }

    private func gateway(_ name: String?) -> SimulatedGateway? {
        guard let name, name.hasPrefix("gw-"), let number = Int(name.dropFirst(3)) else { return nil }
        return gateways.withLock { $0[number] }
    }

    private func count(_ kind: String) {
        served.withLock { $0[kind, default: 0] += 1 }
    }

    static func text(_ status: HTTPResponse.Status, _ text: String) -> Response {
        bytes(Array((text + "\n").utf8), status: status, contentType: "text/plain; charset=utf-8", cache: "no-store")
    }

    static func bytes(
        _ bytes: [UInt8], status: HTTPResponse.Status = .ok, contentType: String, cache: String
    ) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[.contentLength] = String(bytes.count)
        headers[.cacheControl] = cache
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
