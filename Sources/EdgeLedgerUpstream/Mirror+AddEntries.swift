import EdgeLedgerCore
import EdgeLedgerHTTP
import NIOCore

extension Mirror {
    /// Handles a `mirror/add-entries` request from the authenticated `client`, reading `body`
    /// package by package (inflating it first with `gzip`). Answers as C2SP tlog-mirror says:
    /// 200 with the mirror's cosignature once every entry up to `upload_end` is stored and
    /// verified; 202 with `text/x.tlog.mirror-info` when the body held only some packages (or
    /// ended inside one); 409 with mirror-info for a stale `upload_end` or an `upload_start`
    /// beyond the next entry; 422 for a package whose proof does not verify (nothing of it is
    /// stored); 400 for a malformed body; 404 for an unknown origin; 403 for a client not
    /// allowed to upload it.
    public func addEntries<Body: AsyncSequence>(
        body: Body, gzip: Bool, client: WitnessClient
    ) async -> MirrorResponse where Body.Element == ByteBuffer {
        let session: MirrorUploadSession
        do {
            session = try MirrorUploadSession(mirror: self, client: client, gzip: gzip)
        } catch {
            return .failure(.internalError, 500, error.message)
        }
        var response: MirrorResponse
        do {
            var answer: MirrorResponse? = nil
            for try await buffer in body {
                if let early = await session.receive(Array(buffer: buffer)) {
                    answer = early
                    break
                }
            }
            if let answer {
                response = answer
            } else {
                response = await session.end()
            }
        } catch {
            // The connection broke: keep what was stored, answer as a cut body.
            response = await session.end()
        }
        session.leave()
        response.storedEntries = session.storedEntries
        response.phases = session.phases
        return response
    }
}
