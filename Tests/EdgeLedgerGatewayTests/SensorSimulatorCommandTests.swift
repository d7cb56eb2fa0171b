import EdgeLedgerTestSupport
import Foundation
import Testing

/// `edge-ledger simulate` as a process: signals, summary output, argument checks.
@Suite(.serialized) struct SensorSimulatorCommandTests {
    private func output(_ file: URL) -> String {
        (try? String(contentsOf: file, encoding: .utf8)) ?? ""
    }

    @Test func sigtermStopsDrainsAndPrintsTheSummary() throws {
        let broker = try MosquittoBroker(persistence: false)
        defer { broker.stop() }
        let dir = try TemporaryDirectory.make(prefix: "simulate")
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = dir.appendingPathComponent("out.txt")
        let process = try ChildProcess(
            executable: try BuiltProducts.executable("edge-ledger"),
            arguments: [
                "simulate", "--broker", "127.0.0.1:\(broker.port)", "--sensors", "3", "--rate", "400", "--qos", "1",
                "--bad-every", "7", "--json",
            ],
            outputFile: log.path)
        usleep(1_500_000)
        #expect(process.isRunning, "runs until signalled without --count: \(output(log))")
        process.signal(SIGTERM)
        #expect(process.wait(timeout: 30) == 0, "\(output(log))")
        let lines = output(log).split(separator: "\n").map(String.init)
        let summary = try #require(lines.first { $0.hasPrefix("published ") }, "\(lines)")
        #expect(
            summary.wholeMatch(of: /published \d+ readings \(\d+ bad\) in \d+\.\d\d s = \d+\/s/) != nil, "\(summary)")
        let json = try #require(lines.last.flatMap { $0.data(using: .utf8) })
        let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        let published = try #require(object["published"] as? Int)
        #expect(published > 50)
        #expect(object["acknowledged"] as? Int == published)
        #expect(object["drained"] as? Bool == true)
        #expect(object["bad"] as? Int == published / 7)
    }

    @Test func countStopsByItself() throws {
        let broker = try MosquittoBroker(persistence: false)
        defer { broker.stop() }
        let dir = try TemporaryDirectory.make(prefix: "simulate")
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = dir.appendingPathComponent("out.txt")
        let process = try ChildProcess(
            executable: try BuiltProducts.executable("edge-ledger"),
            arguments: [
                "simulate", "--broker", "127.0.0.1:\(broker.port)", "--rate", "0", "--qos", "0", "--count", "5000",
                "--connections", "2", "--seed", "3",
            ],
            outputFile: log.path)
        #expect(process.wait(timeout: 60) == 0, "\(output(log))")
        #expect(output(log).hasPrefix("published 5000 readings (0 bad) in "), "\(output(log))")
    }

    @Test(arguments: [
        ["--qos", "3"], ["--sensors", "0"], ["--rate", "-1"], ["--broker", "nohost"], ["--topic-prefix", "a/+"],
    ])
    func rejectsInvalidArguments(arguments: [String]) throws {
        let dir = try TemporaryDirectory.make(prefix: "simulate")
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = dir.appendingPathComponent("out.txt")
        let process = try ChildProcess(
            executable: try BuiltProducts.executable("edge-ledger"), arguments: ["simulate"] + arguments,
            outputFile: log.path)
        #expect(process.wait(timeout: 30) == 64, "\(output(log))")  // EX_USAGE, from ArgumentParser
    }

    @Test func unreachableBrokerFailsWithAMessage() throws {
        let port = try FreePort.find()
        let dir = try TemporaryDirectory.make(prefix: "simulate")
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = dir.appendingPathComponent("out.txt")
        let process = try ChildProcess(
            executable: try BuiltProducts.executable("edge-ledger"),
            arguments: ["simulate", "--broker", "127.0.0.1:\(port)", "--count", "1"], outputFile: log.path)
        #expect(process.wait(timeout: 30) == 1, "\(output(log))")
        #expect(output(log).contains("127.0.0.1:\(port)"), "\(output(log))")
    }
}
