import EdgeLedgerCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The body of `POST /ack`: `{"size": N, "root": "<base64>", "challenge": "<base64>",
/// "proof": "<base64>"}` — "I hold every entry below tree size N, the root of that tree is R,
/// and here is the proof of possession (``AckProof``) for the challenge the gateway issued".
/// Other members are ignored. The form without `challenge` and `proof` (before proof of
/// possession) is refused with ``AckRequestError/needsChallenge``.
struct AckRequest: Sendable, Equatable {
    var size: UInt64
    var root: Hash32
    var challenge: [UInt8]
    var proof: Hash32

    init(size: UInt64, root: Hash32, challenge: [UInt8], proof: Hash32) {
        self.size = size
        self.root = root
        self.challenge = challenge
        self.proof = proof
    }

    /// Parses and checks the JSON body.
    ///
    /// - Throws: ``AckRequestError`` saying what is wrong, for the client.
    init(json: [UInt8]) throws(AckRequestError) {
        struct Body: Decodable {
            var size: UInt64
            var root: String
            var challenge: String?
            var proof: String?
        }
        let body = try Self.decode(Body.self, json)
        guard body.size > 0 else {
            throw AckRequestError("\"size\" is 0: there is nothing to acknowledge in the empty tree")
        }
        guard let bytes = Base64.decode(body.root), let root = Hash32(bytes: bytes) else {
            throw AckRequestError("\"root\" is not the base64 encoding of a 32-byte hash")
        }
        guard let challengeText = body.challenge, let proofText = body.proof else {
            throw AckRequestError.needsChallenge
        }
        guard let challenge = Base64.decode(challengeText), challenge.count == AckProof.nonceBytes else {
            throw AckRequestError("\"challenge\" is not the base64 nonce a POST /ack/challenge answer gave")
        }
        guard let proofBytes = Base64.decode(proofText), let proof = Hash32(bytes: proofBytes) else {
            throw AckRequestError("\"proof\" is not the base64 encoding of a 32-byte digest")
        }
        self.init(size: body.size, root: root, challenge: challenge, proof: proof)
    }

    /// Decodes a JSON body, turning decoding errors into messages for the client.
    static func decode<Body: Decodable>(_ type: Body.Type, _ json: [UInt8]) throws(AckRequestError) -> Body {
        do {
            return try JSONDecoder().decode(Body.self, from: Data(json))
        } catch let DecodingError.keyNotFound(key, _) {
            throw AckRequestError("missing \"\(key.stringValue)\"")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.dataCorrupted(context),
            let DecodingError.valueNotFound(_, context)
        {
            switch context.codingPath.first?.stringValue {
            case "size": throw AckRequestError("\"size\" must be a tree size: an integer 1...2^64-1")
            case let member?: throw AckRequestError("\"\(member)\" must be a string")
            default: throw AckRequestError("the body is not a JSON object")
            }
        } catch {
            throw AckRequestError("the body is not a JSON object")
        }
    }
}

/// The body of `POST /ack/challenge`: `{"size": N}` — "I want to acknowledge every entry below
/// tree size N; challenge me".
struct AckChallengeRequest: Sendable, Equatable {
    var size: UInt64

    /// Parses and checks the JSON body.
    ///
    /// - Throws: ``AckRequestError`` saying what is wrong, for the client.
    init(json: [UInt8]) throws(AckRequestError) {
        struct Body: Decodable { var size: UInt64 }
        let body = try AckRequest.decode(Body.self, json)
        guard body.size > 0 else {
            throw AckRequestError("\"size\" is 0: there is nothing to acknowledge in the empty tree")
        }
        self.size = body.size
    }
}

/// A `POST /ack` or `POST /ack/challenge` body is malformed.
struct AckRequestError: ExplainedError {
    var message: String
    /// No hint: the message says what is wrong with the input.
    var hint: String? { nil }
    /// The body is the old `{"size", "root"}` form without a proof of possession.
    var isMissingChallenge = false

    init(_ message: String) { self.message = message }

    /// The old form, refused since acknowledgements need a proof of possession.
    static var needsChallenge: AckRequestError {
        var error = AckRequestError(
            "an acknowledgement needs a proof of possession: POST /ack/challenge with {\"size\": N} first, then "
                + "POST /ack with {\"size\", \"root\", \"challenge\", \"proof\"} (docs/FORMAT.md, "
                + "\"Acknowledgements\"); the {\"size\", \"root\"} form is no longer accepted")
        error.isMissingChallenge = true
        return error
    }

    var description: String {
        if isMissingChallenge { return "acknowledgement refused: \(message)" }
        return "invalid acknowledgement: \(message) (expected {\"size\": N, \"root\": \"<base64>\", "
            + "\"challenge\": \"<base64>\", \"proof\": \"<base64>\"})"
    }
}
