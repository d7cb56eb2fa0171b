import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerSystem
import EdgeLedgerTestSupport
import Foundation
import Testing

@testable import EdgeLedgerUpstream

/// An independent C2SP verifier — Go's `golang.org/x/mod/sumdb` (`tlog`, `note`), in
/// `scripts/verify-tiles` — accepts the upstream's copy of a collected log exactly as it accepts
/// a gateway: the checkpoint's signature, every bundle (fetched gzip-encoded), every hash tile and
/// an inclusion proof of every entry.
@Suite("Go's sumdb/tlog accepts the upstream's copy")
struct GoVerifierTests {
    @Test(
        "verify-tiles accepts the served log (token, mirror cosignature on the checkpoint)",
        arguments: UpstreamEngine.allCases)
    func goAcceptsTheCopy(engine: UpstreamEngine) async throws {
        let cosigner = try CosignatureV1Signer(name: "mirror.example/m1", privateKey: PrivateKey.generate(.ed25519))
        let log = try await ServedLogFixture.make(engine, size: 1300, cosigner: cosigner)
        let output = log.dir.file("verify-tiles.out")
        let run = { @Sendable (port: Int) async throws -> Int32? in
            try await Self.verifyTiles(
                url: "http://127.0.0.1:\(port)/logs/\(log.originHash)", vkey: log.gateway.verifierKey,
                token: ServedLogFixture.token, output: output)
        }
        let code = try await log.serve(anonymous: false, run)
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        #expect(code == 0, "\(text)")
        #expect(text.contains("verify-tiles: OK \(log.gateway.origin) size 1300"), "\(text)")
        #expect(text.contains("(6 bundles, 6 gzip), 30 hash tiles, 1300 inclusion proofs (37 requests)"), "\(text)")

        // The check is real: a tile file rewritten with one hash changed and a matching digest
        // (so the upstream's own damage check passes) is refused by Go.
        let file = log.file("tile/0/001")
        var tile = Array(try #require(FileManager.default.contents(atPath: file)).dropFirst(36))
        tile[100] ^= 0x01
        let forged = Array("ELT1".utf8) + OpenSSLHasher.sha256.hash(tile).bytes + tile
        try Data(forged).write(to: URL(fileURLWithPath: file))
        try? FileManager.default.removeItem(atPath: output)
        let refused = try await log.serve(anonymous: false, run)
        let refusal = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        #expect(refused == 1, "\(refusal)")
        #expect(refusal.contains("FAILED"), "\(refusal)")
        await log.store.close()
    }

    @Test("verify-tiles accepts the gateway's own API as well (the same check on both copies)")
    func goAcceptsTheGateway() async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        try gateway.grow(1300)
        let output = dir.file("verify-tiles.out")
        let code = try await LedgerAPICollectorTests.withAgentAPI(gateway) { port in
            try await Self.verifyTiles(
                url: "http://127.0.0.1:\(port)", vkey: gateway.verifierKey, token: "collector-token", output: output)
        }
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        #expect(code == 0, "\(text)")
        #expect(text.contains("verify-tiles: OK \(gateway.origin) size 1300"), "\(text)")
    }

    /// Runs `scripts/verify-tiles.sh` against `url`; its output goes to `output`. Returns its exit
    /// status (`nil` if it did not end within 300 s).
    static func verifyTiles(url: String, vkey: String, token: String, output: String) async throws -> Int32? {
        let script = RepositoryPaths.root().appendingPathComponent("scripts/verify-tiles.sh").path
        let child = try ChildProcess(
            executable: "/bin/bash", arguments: [script, "-url", url, "-vkey", vkey, "-token", token],
            outputFile: output)
        // The first run compiles the Go program (a few seconds on a loaded machine). Polled
        // without blocking a cooperative thread: the server under test needs them.
        let deadline = ContinuousClock.now + .seconds(300)
        while child.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        return child.wait(timeout: 0)
    }
}
