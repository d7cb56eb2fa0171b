import ArgumentParser
import EdgeLedgerCore
import EdgeLedgerStore
import EdgeLedgerSystem
import EdgeLedgerUpstream

/// `edge-ledger-upstream --print-forks`: the fork evidence of an upstream store, readable while
/// the upstream runs. Each record shows the two signed checkpoints, verbatim, that prove the
/// gateway equivocated.
enum UpstreamForkReport {
    /// Prints every record of the configured store; exits with status 3 when there is any,
    /// 1 when the store cannot be read.
    static func print(storage: UpstreamStorageConfiguration) async throws {
        let evidence: [ForkEvidence]
        let storePath = storage.url == nil ? storage.path : "the PostgreSQL store"
        do {
            if storage.url != nil {
                let store = try UpstreamCLI.openStore(storage, migrate: false)
                evidence = try await store.forkEvidence()
                await store.close()
            } else {
                evidence = try CollectorStore.forkEvidence(readingStoreAt: storage.path)
            }
        } catch {
            Swift.print("edge-ledger-upstream: cannot read the fork evidence in \(storePath): \(error)")
            throw ExitCode(1)
        }
        guard !evidence.isEmpty else {
            Swift.print("no fork evidence in \(storePath)")
            return
        }
        for e in evidence { Swift.print(text(e), terminator: "") }
        throw ExitCode(3)
    }

    /// One record as text: a header, the detail, and both notes indented.
    static func text(_ e: ForkEvidence) -> String {
        var out = "fork evidence \(e.id): origin \(e.origin), detected by the \(e.detectedBy.rawValue) at "
        out += RFC3339.string(nanoseconds: e.detectedAt) + "\n"
        out += "  \(e.detail)\n"
        out += "  checkpoint pushed to the witness (size \(e.witnessSize), root \(e.witnessRoot)):\n"
        out += indented(e.witnessNote)
        out += "  checkpoint served to the collector (size \(e.collectedSize), root \(e.collectedRoot)):\n"
        out += indented(e.collectedNote)
        return out
    }

    private static func indented(_ note: String) -> String {
        note.split(separator: "\n", omittingEmptySubsequences: false).dropLast(note.hasSuffix("\n") ? 1 : 0)
            .map { "    " + $0 + "\n" }.joined()
    }
}
