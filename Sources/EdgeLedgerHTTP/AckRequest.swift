import EdgeLedgerCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The body of `POST /ack`: `{"size": N, "root": "<base64>"}` — "I hold every entry below
/// tree size N, and the root of that tree is R". Other members are ignored.
struct AckRequest: Sendable, Equatable {
    var size: UInt64
    var root: Hash32

    init(size: UInt64, root: Hash32) {
        self.size = size
        self.root = root
    }

    /// Parses and checks the JSON body.
    ///
    /// - Throws: ``AckRequestError`` saying what is wrong, for the client.
    init(json: [UInt8]) throws(AckRequestError) {
        struct Body: Decodable {
            var size: UInt64
            var root: String
        }
        let body: Body
        do {
            body = try JSONDecoder().decode(Body.self, from: Data(json))
        } catch let DecodingError.keyNotFound(key, _) {
            throw AckRequestError("missing \"\(key.stringValue)\"")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.dataCorrupted(context),
            let DecodingError.valueNotFound(_, context)
        {
            switch context.codingPath.first?.stringValue {
            case "size": throw AckRequestError("\"size\" must be a tree size: an integer 1...2^64-1")
            case "root": throw AckRequestError("\"root\" must be a string: the base64 root hash")
            default: throw AckRequestError("the body is not a JSON object")
            }
        } catch {
            throw AckRequestError("the body is not a JSON object")
        }
        guard body.size > 0 else {
            throw AckRequestError("\"size\" is 0: there is nothing to acknowledge in the empty tree")
        }
        guard let bytes = Base64.decode(body.root), let root = Hash32(bytes: bytes) else {
            throw AckRequestError("\"root\" is not the base64 encoding of a 32-byte hash")
        }
        self.init(size: body.size, root: root)
    }
}

/// A `POST /ack` body is malformed.
struct AckRequestError: Error, Sendable, CustomStringConvertible {
    var message: String
    init(_ message: String) { self.message = message }
    var description: String {
        "invalid acknowledgement: \(message) (expected {\"size\": N, \"root\": \"<base64>\"})"
    }
}
