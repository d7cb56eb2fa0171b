import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore
import EdgeLedgerSystem
import Testing

/// A signing identity for test checkpoints.
struct TestLog: Sendable {
    let origin: String
    let key: PrivateKey

    init(origin: String = "factory.example/gw") throws {
        self.origin = origin
        self.key = try PrivateKey.generate(.ed25519)
    }

    var verifier: any NoteVerifier { NoteKeys.verifier(for: key.publicKey, name: origin) }

    /// The signing closure for `LedgerStore.seal`.
    func sign(_ request: SealRequest) throws -> String {
        let text = Checkpoint(origin: origin, size: request.size, root: request.root).text
        return try NoteSigning.sign(text: text, with: [NoteKeys.signer(for: key, name: origin)]).serialized
    }
}

/// A reading with a payload derived from `n`.
func reading(_ n: Int, topic: String = "plant/line-1/temp", qos: UInt8 = 1) -> ReadingInput {
    ReadingInput(
        receivedAt: 1_767_225_600_000_000_000 + Int64(n) * 1_000_000, qos: qos, retain: n % 7 == 0, topic: topic,
        payload: Array("{\"seq\":\(n),\"value\":\(Double(n) / 4)}".utf8))
}

/// Runs `body` and returns the `StoreError` it throws (nil when none).
func storeError(_ body: () throws -> Void) -> StoreError? {
    do {
        try body()
        return nil
    } catch let error as StoreError {
        return error
    } catch {
        Issue.record("unexpected error \(error)")
        return nil
    }
}

/// Runs `body` and returns the failure it throws (nil when none).
func verificationFailure(_ body: () throws(VerificationFailure) -> Void) -> VerificationFailure? {
    do {
        try body()
        return nil
    } catch { return error }
}

let sha256 = OpenSSLHasher.sha256
