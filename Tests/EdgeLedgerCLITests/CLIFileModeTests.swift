import EdgeLedgerSystem
import EdgeLedgerTestSupport
import Foundation
import Testing

@Suite("CLI file modes")
struct CLIFileModeTests {
    /// Every regular file under `directory` (recursively) with its mode.
    static func files(under directory: String) -> [(path: String, mode: mode_t)] {
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return [] }
        var out: [(String, mode_t)] = []
        for case let relative as String in walker {
            let path = directory + "/" + relative
            var info = stat()
            guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { continue }
            out.append((path, info.st_mode & 0o7777))
        }
        return out
    }

    @Test("Started from a shell with umask 022, init and run create nothing that other users can read")
    func nothingWorldReadable() throws {
        let dir = try TemporaryFolder(prefix: "edge-ledger-modes")
        let setup = dir.file("gw")
        let exe = try BuiltProducts.executable("edge-ledger")
        let httpPort = try FreePort.find()
        let brokerPort = try FreePort.find()  // nothing listens there: the agent keeps retrying
        let script = """
            umask 022
            "$0" init --dir "$1" --listen 127.0.0.1:$2 --broker 127.0.0.1:$3 >/dev/null || exit 1
            exec "$0" run --config "$1/edge-ledger.toml"
            """
        let agent = try ChildProcess(
            executable: "/bin/sh", arguments: ["-c", script, exe, setup, "\(httpPort)", "\(brokerPort)"],
            outputFile: dir.file("agent.log"))
        defer {
            agent.signal(SIGKILL)
            _ = agent.wait(timeout: 10)
        }
        let started = Eventually.holds(timeout: 60) { FreePort.canConnect(port: httpPort) }
        #expect(
            started,
            "the agent did not start: \((try? String(contentsOfFile: dir.file("agent.log"), encoding: .utf8)) ?? "")")
        agent.signal(SIGTERM)
        _ = agent.wait(timeout: 30)
        let made = Self.files(under: setup)
        #expect(made.contains { $0.path.hasSuffix("/data/ledger.db") }, "\(made.map(\.path))")
        #expect(made.contains { $0.path.hasSuffix("/edge-ledger.toml") })
        // Verifier keys are public by design (they are handed to upstreams); nothing else is.
        let readable = made.filter { $0.mode & 0o007 != 0 }.map(\.path)
            .filter { !$0.hasSuffix(".pub") && !$0.hasSuffix("/verifier-keys.txt") }
        #expect(readable.isEmpty, "readable by others: \(readable)")
    }
}
