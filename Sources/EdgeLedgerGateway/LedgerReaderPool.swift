import EdgeLedgerCore
import EdgeLedgerStore
import NIOPosix
import Synchronization

/// Read-only connections to the ledger for the API, used round-robin, with every (blocking)
/// SQLite call run on NIO's blocking thread pool rather than on Swift's cooperative executor.
///
/// A `LedgerReader` serialises its own calls with a lock, so two requests that land on the same
/// reader simply take turns; several readers let requests read in parallel (WAL mode: readers
/// never block the writer, and each multi-query read is one snapshot).
final class LedgerReaderPool: Sendable {
    private let readers: [LedgerReader]
    private let next = Atomic<Int>(0)
    private let threadPool: NIOThreadPool

    /// Opens `count` readers on the store at `path`.
    init(
        path: String, hasher: any MerkleHasher, count: Int, threadPool: NIOThreadPool = .singleton
    )
        throws(StoreError)
    {
        var readers: [LedgerReader] = []
        for _ in 0..<max(1, count) { readers.append(try LedgerReader(path: path, hasher: hasher)) }
        self.readers = readers
        self.threadPool = threadPool
    }

    /// Runs `body` with the next reader on the blocking thread pool.
    func read<R: Sendable>(_ body: @escaping @Sendable (LedgerReader) throws -> R) async throws -> R {
        let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
        let reader = readers[(i & Int.max) % readers.count]
        return try await threadPool.runIfActive { try body(reader) }
    }
}
