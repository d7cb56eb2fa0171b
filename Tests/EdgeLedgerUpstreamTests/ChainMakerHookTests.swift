import EdgeLedgerCore
import EdgeLedgerStore
import EdgeLedgerTestSupport
import Foundation
import Testing

@testable import EdgeLedgerUpstream

/// `scripts/anchor/chainmaker-evidence.sh` against a stand-in for ChainMaker's `cmc` that keeps
/// the evidence contract's state in a file and, like the contract, refuses a duplicate id.
@Suite("The ChainMaker anchoring hook")
struct ChainMakerHookTests {
    /// A fake `cmc`: `invoke --method=Evidence` stores id → hash (refusing a known id; hanging
    /// after the write while `$FAKE_CMC_HANG` exists), `get --method=FindById` prints the record.
    static let fakeCMC = """
        #!/usr/bin/env python3
        import json, os, sys, time
        args = dict(a.split("=", 1) for a in sys.argv[1:] if a.startswith("--") and "=" in a)
        state = os.environ["FAKE_CMC_STATE"]
        chain = json.load(open(state)) if os.path.exists(state) else {}
        params = json.loads(args["--params"])
        if args["--method"] == "FindById":
            record = chain.get(params["id"])
            print(json.dumps({"result": {"id": params["id"], "hash": record}} if record else {"error": "not found"}))
            sys.exit(0)
        if args["--method"] == "Evidence":
            if params["id"] in chain:
                print("contract error: the id already exists", file=sys.stderr); sys.exit(1)
            chain[params["id"]] = params["hash"]
            json.dump(chain, open(state, "w"))
            if os.path.exists(os.environ["FAKE_CMC_HANG"]):
                time.sleep(30)
            print("status: SUCCESS")
            sys.exit(0)
        sys.exit(2)
        """

    @Test("landed-then-timed-out is anchored once; a foreign hash under the id is refused")
    func idempotentHook() async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        let store = try await AnchorTests.storeWithOneJob(dir: dir, gateway: gateway)
        let cmc = dir.file("cmc")
        try Self.fakeCMC.write(toFile: cmc, atomically: true, encoding: .utf8)
        chmod(cmc, 0o755)
        let hang = dir.file("hang")
        _ = FileManager.default.createFile(atPath: hang, contents: Data())
        let state = dir.file("chain.json")
        let hook = RepositoryPaths.root().appendingPathComponent("scripts/anchor/chainmaker-evidence.sh").path
        let anchorer = Anchorer(
            configuration: AnchorConfiguration(
                command: ["/bin/bash", hook], timeout: .seconds(3),
                retry: BackoffConfiguration(initial: .milliseconds(10), max: .milliseconds(10)),
                environment: [
                    "PATH", "CMC=\(cmc)", "CMC_SDK_CONF=\(dir.file("sdk_config.yml"))", "FAKE_CMC_STATE=\(state)",
                    "FAKE_CMC_HANG=\(hang)",
                ]),
            store: store, logger: testLogger("test.anchor", level: .critical))
        #expect(await anchorer.runDueJobs() == 0, "the write landed, then the hook was killed by its timeout")
        try FileManager.default.removeItem(atPath: hang)
        try await Task.sleep(for: .milliseconds(50))
        #expect(await anchorer.runDueJobs() == 1, "the retry finds the id with this hash")
        let job = try #require(try await store.anchorJobs().first)
        let root = try #require(job.root)
        let chain = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: state))) as? [String: String])
        #expect(chain == ["\(gateway.origin)#10": root.hex], "anchored exactly once")

        // Someone anchored another hash under the next id: an alarm, never success.
        try gateway.grow(5)
        let other = String(repeating: "ab", count: 32)
        try JSONSerialization.data(withJSONObject: chain.merging(["\(gateway.origin)#15": other]) { a, _ in a })
            .write(to: URL(fileURLWithPath: state))
        let server = try TestTileServer(gateway: gateway)
        try await withServer(server.router) { port in
            let collector = try await CollectorTests.collector(gateway, port: port, store: store, anchoring: true)
            #expect(await collector.pullOnce().outcome == .verified)
            await collector.shutdown()
        }
        #expect(await anchorer.runDueJobs() == 0)
        let refused = try #require(try await store.anchorJobs().first { $0.size == 15 })
        #expect(refused.doneAt == nil && refused.lastError?.contains("ANOTHER hash") == true, "\(refused)")
    }
}
