import CSQLite
import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore
import EdgeLedgerSystem

// edge-ledger-bench: the ledger store's append, seal, proof and verify costs against the raw
// SQLite C API in the same run; `edge-ledger-bench postgres --url URL`: the PostgreSQL client's
// commit and batch-insert rates (PostgresBench). Build with -c release; see docs/PERFORMANCE.md.

if CommandLine.arguments.dropFirst().first == "postgres" {
    switch PostgresBench.Options.parse(Array(CommandLine.arguments.dropFirst(2))) {
    case .success(let o):
        do {
            var bench = try PostgresBench(options: o)
            try bench.run()
            exit(0)
        } catch {
            print("edge-ledger-bench postgres: \(error)")
            exit(1)
        }
    case .failure(let error):
        if let option = error.option { print("edge-ledger-bench postgres: bad or incomplete option \(option)") }
        print(PostgresBench.Options.usage)
        exit(error.option == nil ? 0 : 2)
    }
}

let options: BenchOptions
switch BenchOptions.parse(Array(CommandLine.arguments.dropFirst())) {
case .success(let o): options = o
case .failure(let error):
    if let option = error.option { print("edge-ledger-bench: bad or incomplete option \(option)") }
    print(BenchOptions.usage)
    exit(error.option == nil ? 0 : 2)
}

func run() throws {
    var bench = try LedgerBenchmarks(options: options)
    defer { bench.removeScratch() }
    print(
        "edge-ledger-bench: \(options.runs) runs per measurement (medians), entry \(LedgerBenchmarks.entrySize) bytes, "
            + "SQLite \(String(cString: sqlite3_libversion())), scratch \(bench.scratch)")

    var rawSingle = Measurement(
        name: "raw C insert, 1 commit each (WAL, sync=NORMAL)", unit: "commit", operations: options.singleCommits)
    var storeSingle = Measurement(
        name: "LedgerStore.append, 1 commit each (process)", unit: "commit", operations: options.singleCommits)
    var rawBatch = Measurement(
        name: "raw C insert, 1,000-row transactions", unit: "row", operations: options.batchRows / 1000 * 1000)
    var storeBatch = Measurement(
        name: "LedgerStore.append(batch:) of 1,000", unit: "row", operations: options.batchRows / 1000 * 1000)
    var rawPower = Measurement(
        name: "raw C insert, 1 commit each (WAL, sync=FULL)", unit: "commit", operations: options.powerCommits)
    var storePower = Measurement(
        name: "LedgerStore.append, 1 commit each (power)", unit: "commit", operations: options.powerCommits)

    for round in 1...options.runs {
        rawSingle.record(bench.rawSingle(synchronous: "NORMAL", commits: options.singleCommits))
        storeSingle.record(try bench.storeSingle(durability: .process, commits: options.singleCommits))
        rawBatch.record(bench.rawBatch(rows: options.batchRows))
        storeBatch.record(try bench.storeBatch(rows: options.batchRows))
        rawPower.record(bench.rawSingle(synchronous: "FULL", commits: options.powerCommits))
        storePower.record(try bench.storeSingle(durability: .power, commits: options.powerCommits))
        print("  append round \(round)/\(options.runs) done")
    }

    // Seal: one store; each run appends `sealEntries` new entries (untimed) and seals them.
    let sealPath = bench.freshPath()
    defer { bench.remove(sealPath) }
    var seal = Measurement(
        name: "seal \(Format.grouped(options.sealEntries)) new entries (tiles + Ed25519)", unit: "seal", operations: 1)
    var proofs = Measurement(name: "inclusion proof from tiles", unit: "proof", operations: options.proofs)
    var verify = Measurement(name: "LedgerVerifier (decode, leaf hash, tiles, notes)", unit: "entry", operations: 0)
    var nodeHash = Measurement(
        name: "SHA-256 node hash H(0x01||l||r) (OpenSSLHasher)", unit: "hash", operations: 1_000_000)
    for _ in 1...options.runs { nodeHash.record(bench.nodeHashRun(count: nodeHash.operations)) }
    var tiles = 0
    do {
        let store = try LedgerStore(path: sealPath, hasher: bench.hasher)
        for round in 1...options.sealRuns {
            let t = try bench.sealRun(store, entries: options.sealEntries)
            seal.record((t.wall, t.cpu))
            tiles = t.tiles
            print("  seal round \(round)/\(options.sealRuns): \(Format.fixed(t.wall, 3)) s, \(t.tiles) tiles")
        }
        let size = store.sealedSize
        proofs.name += " at size \(Format.grouped(Int(size)))"
        for round in 1...options.runs {
            proofs.record(
                try bench.proofRun(store.reader, size: size, count: options.proofs, seed: UInt64(round) * 0x9E37_79B9))
        }
        if options.verify {
            verify.operations = Int(size)
            let verifier = LedgerVerifier(hasher: bench.hasher, verifiers: [bench.verifier])
            let watch = Stopwatch()
            _ = try verifier.verify(store: store)
            verify.record(watch.elapsed())
        }
    }

    print("")
    printTable(
        [
            (rawSingle, nil), (storeSingle, rawSingle), (rawBatch, nil), (storeBatch, rawBatch), (rawPower, nil),
            (storePower, rawPower), (nodeHash, nil), (seal, nil), (proofs, nil),
        ] + (options.verify ? [(verify, nil)] : []))
    print("")
    print("seal writes \(tiles) tiles per run; targets: append ≤ 1.5× raw C cost, seal of 1M new entries < 2 s")
    print("CPU µs/op is the process's CPU time per operation: less noisy than wall time on a busy machine")
}

func printTable(_ rows: [(Measurement, Measurement?)]) {
    let header =
        Format.pad("measurement", 58, left: true) + Format.pad("ops/s", 12) + Format.pad("µs/op", 10)
        + Format.pad("CPU µs/op", 11) + Format.pad("× raw C wall", 14) + Format.pad("× raw C CPU", 13)
    print(header)
    print(String(repeating: "-", count: header.count))
    for (m, baseline) in rows {
        var line = Format.pad(m.name, 58, left: true)
        if m.unit == "seal" {
            line +=
                Format.pad("—", 12) + Format.pad(Format.fixed(m.medianWall, 3) + " s", 10)
                + Format.pad(Format.fixed(m.medianCPU, 3) + " s", 11)
        } else {
            line +=
                Format.pad(Format.grouped(Int(m.rate.rounded())), 12) + Format.pad(Format.fixed(m.microsPerOp, 2), 10)
                + Format.pad(Format.fixed(m.cpuMicrosPerOp, 2), 11)
        }
        if let baseline {
            line += Format.pad(Format.fixed(m.microsPerOp / baseline.microsPerOp, 2) + "×", 14)
            line += Format.pad(Format.fixed(m.cpuMicrosPerOp / baseline.cpuMicrosPerOp, 2) + "×", 13)
        }
        print(line)
    }
}

do {
    try run()
} catch {
    print("edge-ledger-bench: \(error)")
    exit(1)
}
