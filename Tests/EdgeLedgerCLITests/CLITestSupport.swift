import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore
import EdgeLedgerSystem
import EdgeLedgerTestSupport
import Foundation
import Testing

/// What one run of the built `edge-ledger` binary produced.
struct CLIResult {
    var code: Int32
    var stdoutBytes: [UInt8]
    var stderr: String
    var stdout: String { String(decoding: stdoutBytes, as: UTF8.self) }
    /// Non-empty standard output lines.
    var lines: [String] { stdout.split(separator: "\n").map(String.init) }
}

/// Runs the real `edge-ledger` executable (built by SwiftPM next to the tests) through
/// `ChildProcess`, with standard output and standard error captured in separate files.
enum EdgeLedgerBinary {
    static func run(
        _ arguments: [String], timeout: Double = 120, executable: String = "edge-ledger"
    ) throws
        -> CLIResult
    {
        let exe = try BuiltProducts.executable(executable)
        let dir = try TemporaryDirectory.make(prefix: "cli-run")
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("stdout").path
        let err = dir.appendingPathComponent("stderr").path
        let script = "exec \"$0\" \"$@\" >\(shellQuote(out)) 2>\(shellQuote(err))"
        return try shell(script, arguments: [exe] + arguments, stdout: out, stderr: err, timeout: timeout)
    }

    /// Runs `script` with `sh -c`; `$0`, `$1`, … are `arguments`.
    static func shell(
        _ script: String, arguments: [String], stdout: String, stderr: String, timeout: Double = 120,
        shell: String = "/bin/sh"
    ) throws -> CLIResult {
        let child = try ChildProcess(executable: shell, arguments: ["-c", script] + arguments)
        guard let code = child.wait(timeout: timeout) else {
            child.signal(SIGKILL)
            throw TestSupportError("edge-ledger \(arguments.dropFirst().joined(separator: " ")) timed out")
        }
        let outBytes = (try? Data(contentsOf: URL(fileURLWithPath: stdout))).map { [UInt8]($0) } ?? []
        let errText = (try? String(contentsOfFile: stderr, encoding: .utf8)) ?? ""
        return CLIResult(code: code, stdoutBytes: outBytes, stderr: errText)
    }

    static func shellQuote(_ s: String) -> String {
        "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

/// File helpers.
enum Files {
    static func mode(_ path: String) -> mode_t {
        var info = stat()
        precondition(stat(path, &info) == 0, "stat \(path)")
        return info.st_mode & 0o7777
    }

    static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    static func text(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    static func bytes(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }

    static func write(_ path: String, _ text: String) throws {
        try text.write(toFile: path, atomically: false, encoding: .utf8)
    }
}

/// Builds ledger stores in-process with the real store and a real Ed25519 signer.
struct TestLedger {
    let path: String
    let origin: String
    let key: PrivateKey
    let hash: HashAlgorithm

    var verifierKey: VerifierKey { NoteKeys.verifierKey(for: key, name: origin) }

    /// A new store at `path`; `readings` are appended in order and sealed after every
    /// `sealEvery` of them and at the end.
    @discardableResult
    static func build(
        at path: String, origin: String = "test.example/gw-1", hash: HashAlgorithm = .sha256,
        readings: [ReadingInput], sealEvery: Int = 300, key: PrivateKey? = nil
    ) throws -> TestLedger {
        let key = try key ?? PrivateKey.generate(.ed25519)
        let ledger = TestLedger(path: path, origin: origin, key: key, hash: hash)
        let store = try LedgerStore(path: path, hasher: try OpenSSLHasher(hash), origin: origin)
        let signer = NoteKeys.signer(for: key, name: origin)
        func seal() throws {
            _ = try store.seal { request in
                try NoteSigning.sign(
                    text: Checkpoint(origin: origin, size: request.size, root: request.root).text, with: [signer]
                ).serialized
            }
        }
        for (i, reading) in readings.enumerated() {
            try store.append(reading)
            if (i + 1) % sealEvery == 0 { try seal() }
        }
        try seal()
        return ledger
    }

    /// `count` distinct JSON readings on a few topics, one millisecond apart.
    static func readings(_ count: Int, start: Int64 = 1_700_000_000_000_000_000) -> [ReadingInput] {
        var out: [ReadingInput] = []
        for i in 0..<count {
            let time: Int64 = start + Int64(i) * 1_000_000
            let value = Double(i) / 4
            let json = "{\"seq\":\(i),\"value\":\(value),\"unit\":\"C\"}"
            out.append(
                ReadingInput(
                    receivedAt: time, qos: UInt8(i % 3), retain: i % 7 == 0, topic: "factory/sensor-\(i % 5)/telemetry",
                    payload: Array(json.utf8)))
        }
        return out
    }
}
