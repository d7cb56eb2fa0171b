import ArgumentParser
import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore

/// `edge-ledger export`: the entries of a ledger store as JSON lines or as raw entry bundles.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the entries of a ledger store as JSON lines or raw tlog-tiles framing.",
        discussion: """
            Streams entries with indices FROM ..< TO (TO exclusive; default: every entry stored \
            when the export starts) in constant memory. jsonl: one JSON object per entry with \
            index, received_at (RFC 3339, UTC, nanoseconds), received_at_ns, topic, qos, \
            retain, payload (when it is UTF-8) or payload_base64 (when it is not), the \
            attributes of a format-v2 entry (device_time and device_time_ns, content_type, \
            user_properties, sparkplug), and leaf_hash (hex); an entry whose payload retention pruned is {"index":N, \
            "pruned":true, "leaf_hash":...}. raw: each encoded entry (format v1 or \
            v2, docs/FORMAT.md) preceded by its length as a big-endian uint16, as in a C2SP \
            tlog-tiles entry bundle. At the end, standard error gets the count and the number \
            of duplicates (readings whose topic and payload bytes appeared earlier in the \
            exported range, e.g. MQTT redeliveries), and the redeliveries the agent recorded as \
            duplicates instead of entries (topics with dedup; in the whole store). --summary \
            prints only that, as JSON, on standard output.
            """
    )

    enum Format: String, CaseIterable, ExpressibleByArgument {
        case jsonl
        case raw
    }

    @Option(help: "The ledger store (SQLite file).")
    var db: String

    @Option(help: "First entry index to export.")
    var from: UInt64 = 0

    @Option(help: "Stop before this entry index (exclusive); default: the end of the log.")
    var to: UInt64?

    @Option(help: "Output format: jsonl or raw.")
    var format: Format = .jsonl

    @Flag(
        help:
            "Print only a JSON summary {\"entries\",\"duplicates\",\"deduplicated\",\"pruned\",\"first\",\"last\"} on standard output."
    )
    var summary = false

    /// How many entries are read per query (each page is one consistent snapshot).
    static let pageSize: UInt64 = 4096

    func run() async throws {
        try await CLI.run { try execute() }
    }

    private func execute() throws {
        if let to, to < from {
            throw CLIError(
                "--to \(to) is before --from \(from)",
                hint: "--to is exclusive: --from 10 --to 20 exports entries 10...19",
                exitCode: ExitCode.validationFailure.rawValue)
        }
        guard CLIFiles.exists(db) else {
            throw CLIError(
                "no ledger store at \(db)",
                hint: "check the path; the agent's store is storage.path in its configuration")
        }
        if format == .raw, !summary, CLIOutput.stdoutIsTerminal {
            throw CLIError(
                "refusing to write binary entries to a terminal", hint: "redirect standard output to a file or a pipe")
        }
        let reader: LedgerReader
        do {
            reader = try LedgerReader(path: db, hasher: try CLIStore.hasher(forStoreAt: db, option: "--db"))
        } catch let error as StoreError {
            throw CLIError("cannot open the ledger store \(db): \(error.message)", hint: error.hint)
        }
        let end = min(to ?? UInt64.max, try reader.nextIndex())
        var run = ExportRun(format: format, writeEntries: !summary)
        var next = from
        while next < end {
            let pageEnd = min(end, next + Self.pageSize)
            try exportPage(reader, from: next, to: pageEnd, into: &run)
            next = pageEnd
        }
        try run.output.flush()
        let counts = run.counts
        let deduplicated = try reader.duplicateCounts().total
        var status = "exported \(CLIFormat.count(counts.entries, "entry", "entries")), "
        status += CLIFormat.count(counts.duplicates, "duplicate", "duplicates")
        if counts.pruned > 0 { status += ", \(counts.pruned) pruned" }
        if let first = counts.first, let last = counts.last { status += " (indices \(first)...\(last))" }
        if deduplicated > 0 {
            status +=
                "; \(CLIFormat.count(Int(deduplicated), "redelivery", "redeliveries")) recorded as duplicates, not entries"
        }
        CLIOutput.stderr(status)
        if summary {
            func number(_ n: UInt64?) -> String { n.map { String($0) } ?? "null" }
            try CLIOutput.stdout(
                "{\"entries\":\(counts.entries),\"duplicates\":\(counts.duplicates),\"deduplicated\":\(deduplicated),"
                    + "\"pruned\":\(counts.pruned),"
                    + "\"first\":\(number(counts.first)),\"last\":\(number(counts.last))}")
        }
    }

    /// Exports entries `from ..< to`; falls back to one entry at a time when the page holds a
    /// pruned entry (the bulk read refuses those).
    private func exportPage(_ reader: LedgerReader, from: UInt64, to: UInt64, into run: inout ExportRun) throws {
        let needHashes = format == .jsonl && !summary
        do {
            let entries = try reader.encodedEntries(from: from, to: to)
            let hashes = needHashes ? try reader.leafHashes(from: from, to: from + UInt64(entries.count)) : []
            for (i, bytes) in entries.enumerated() {
                try run.add(index: from + UInt64(i), bytes: bytes, leafHash: needHashes ? hashes[i] : nil)
            }
            guard UInt64(entries.count) == to - from else {
                throw CLIError(
                    "entry \(from + UInt64(entries.count)) is missing from \(db)",
                    hint: "the store is damaged; run edge-ledger verify --db \(db)")
            }
        } catch let error as StoreError where error.kind == .pruned {
            for index in from..<to {
                do {
                    guard let bytes = try reader.encodedEntries(from: index, to: index + 1).first else {
                        throw CLIError(
                            "entry \(index) is missing from \(db)",
                            hint: "the store is damaged; run edge-ledger verify --db \(db)")
                    }
                    let hash = needHashes ? try reader.leafHashes(from: index, to: index + 1).first : nil
                    try run.add(index: index, bytes: bytes, leafHash: hash)
                } catch let error as StoreError where error.kind == .pruned {
                    guard format == .jsonl else {
                        throw CLIError(
                            "entry \(index) was pruned by retention: only its leaf hash remains, so it has no raw form",
                            hint: "export from --from \(index + 1), or use --format jsonl")
                    }
                    let hash = needHashes ? try reader.leafHashes(from: index, to: index + 1).first : nil
                    try run.addPruned(index: index, leafHash: hash)
                }
            }
        }
    }
}

/// The state of one export: output buffer, counts and the duplicate detector.
private struct ExportRun {
    struct Counts {
        var entries: UInt64 = 0
        var duplicates: UInt64 = 0
        var pruned: UInt64 = 0
        var first: UInt64? = nil
        var last: UInt64? = nil
    }

    let format: ExportCommand.Format
    let writeEntries: Bool
    var output = CLIBufferedOutput()
    var counts = Counts()
    /// The first 64 bits of SHA-256(topic length || topic || payload length || payload) of every
    /// reading seen: about 16 bytes of memory per exported entry; a false duplicate needs a
    /// 64-bit collision (odds about n²/2⁶⁵, 3·10⁻⁶ for ten million entries).
    private var seen = Set<UInt64>()
    private let hasher = OpenSSLHasher.sha256

    init(format: ExportCommand.Format, writeEntries: Bool) {
        self.format = format
        self.writeEntries = writeEntries
    }

    mutating func add(index: UInt64, bytes: [UInt8], leafHash: Hash32?) throws {
        let entry: Entry
        do {
            entry = try Entry(decoding: bytes)
        } catch {
            throw CLIError(
                "entry \(index) does not decode: \(error)", hint: "the store is damaged; run edge-ledger verify")
        }
        guard entry.index == index else {
            throw CLIError(
                "entry \(index) is missing: the store holds entry \(entry.index) in its place",
                hint: "the store is damaged; run edge-ledger verify")
        }
        count(index)
        // Bytes from offset 18 to the payload's end hold topic length, topic, payload length and
        // payload: an unambiguous encoding of (topic, payload). A v2 entry's attributes follow.
        let end = Entry.headerSize + entry.topic.utf8.count + entry.payload.count
        let digest = bytes.withUnsafeBytes { raw in hasher.hash(UnsafeRawBufferPointer(rebasing: raw[18..<end])) }
        let key = digest.withUnsafeBytes { raw in raw.loadUnaligned(as: UInt64.self) }
        if !seen.insert(key).inserted { counts.duplicates += 1 }
        guard writeEntries else { return }
        switch format {
        case .raw:
            try output.withBuffer { out in
                out.append(UInt8(bytes.count >> 8))
                out.append(UInt8(bytes.count & 0xff))
                out.append(contentsOf: bytes)
            }
        case .jsonl:
            try output.withBuffer { out in ExportRun.appendJSON(entry, leafHash: leafHash, to: &out) }
        }
    }

    mutating func addPruned(index: UInt64, leafHash: Hash32?) throws {
        count(index)
        counts.pruned += 1
        guard writeEntries else { return }
        try output.withBuffer { out in
            out.append(contentsOf: "{\"index\":\(index),\"pruned\":true".utf8)
            if let leafHash { out.append(contentsOf: ",\"leaf_hash\":\"\(leafHash.hex)\"".utf8) }
            out.append(contentsOf: "}\n".utf8)
        }
    }

    private mutating func count(_ index: UInt64) {
        counts.entries += 1
        if counts.first == nil { counts.first = index }
        counts.last = index
    }

    static func appendJSON(_ entry: Entry, leafHash: Hash32?, to out: inout [UInt8]) {
        out.append(contentsOf: "{\"index\":\(entry.index),\"received_at\":\"".utf8)
        out.append(contentsOf: RFC3339.string(nanoseconds: entry.receivedAt).utf8)
        out.append(contentsOf: "\",\"received_at_ns\":\(entry.receivedAt),\"topic\":".utf8)
        JSONWriter.appendString(entry.topic, to: &out)
        out.append(contentsOf: ",\"qos\":\(entry.qos),\"retain\":\(entry.retain)".utf8)
        if let text = String(validating: entry.payload, as: UTF8.self) {
            out.append(contentsOf: ",\"payload\":".utf8)
            JSONWriter.appendString(text, to: &out)
        } else {
            out.append(contentsOf: ",\"payload_base64\":\"".utf8)
            out.append(contentsOf: Base64.encode(entry.payload).utf8)
            out.append(UInt8(ascii: "\""))
        }
        entry.attributes.appendJSONMembers(to: &out)
        if let leafHash { out.append(contentsOf: ",\"leaf_hash\":\"\(leafHash.hex)\"".utf8) }
        out.append(contentsOf: "}\n".utf8)
    }
}
