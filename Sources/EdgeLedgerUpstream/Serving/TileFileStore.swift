import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerSystem
import NIOPosix

/// The files under `storage.tiles_dir` that immutable tiles and entry bundles are served from:
/// `<directory>/<origin hash>/tile/<L>/<N>` and `…/tile/entries/<N>` (the tlog-tiles layout),
/// and `<path>.gz` for a bundle's gzip encoding.
///
/// **Format.** Each file is `"ELT1"`, the SHA-256 of the object, then the object's bytes. A read
/// recomputes the digest: a file damaged on disk (a flipped bit, a truncation, a half-copied
/// backup) is reported as ``ReadResult/damaged(_:)``, never served. The digest guards against
/// damage, not against someone who can write the directory (they could as well write the
/// database).
///
/// **Atomic.** Files are written to a temporary name, synced and renamed
/// (``FileSystem/replaceAtomically(_:with:mode:)``): a reader sees a whole file or none.
///
/// **Threads.** Every call runs on the store's own thread pool, never on an event loop.
final class TileFileStore: Sendable {
    /// The root directory.
    let directory: String
    private let pool: NIOThreadPool
    private static let magic: [UInt8] = Array("ELT1".utf8)
    private static let headerSize = 4 + 32
    /// The largest file: a bundle of 256 entries of 64 KiB each, and its header.
    static let maxObjectBytes = 256 * (2 + 65_535) + 64

    /// What a read found.
    enum ReadResult: Sendable {
        /// The object, whose digest matches.
        case object([UInt8])
        /// No file.
        case missing
        /// A file that does not verify (the reason); it was removed.
        case damaged(String)
    }

    init(directory: String, threads: Int = 2) {
        self.directory = directory.hasSuffix("/") && directory.count > 1 ? String(directory.dropLast()) : directory
        self.pool = NIOThreadPool(numberOfThreads: threads)
        pool.start()
    }

    deinit { pool.shutdownGracefully { _ in } }

    /// The file of object `path` (`tile/…`) of the log whose origin hash is `originHash`.
    func file(originHash: String, path: String) -> String { "\(directory)/\(originHash)/\(path)" }

    /// Reads and checks the file `file`; a damaged one is removed.
    func read(_ file: String) async throws(LogServingError) -> ReadResult {
        try await run { () throws(LogServingError) -> ReadResult in
            let bytes: [UInt8]?
            do {
                bytes = try FileSystem.readContents(file, limit: Self.maxObjectBytes)
            } catch {
                throw LogServingError(.failed, "\(error)", hint: "check the permissions of storage.tiles_dir")
            }
            guard let bytes else { return .missing }
            if let problem = Self.check(bytes) {
                unlink(file)
                return .damaged(problem)
            }
            return .object(Array(bytes[Self.headerSize...]))
        }
    }

    /// Writes `object` to `file` atomically (creating its directories).
    func write(_ file: String, _ object: [UInt8]) async throws(LogServingError) {
        try await run { () throws(LogServingError) in
            if let (directory, reason) = FileSystem.createParents(of: file) {
                throw LogServingError(
                    .failed, "cannot create the directory \(directory): \(reason)",
                    hint: "check storage.tiles_dir and its permissions")
            }
            var bytes = Self.magic
            bytes.reserveCapacity(Self.headerSize + object.count)
            bytes.append(contentsOf: OpenSSLHasher.sha256.hash(object).bytes)
            bytes.append(contentsOf: object)
            let failure = bytes.withUnsafeBytes { raw -> FileSystemError? in
                do throws(FileSystemError) {
                    try FileSystem.replaceAtomically(file, with: raw)
                    return nil
                } catch {
                    return error
                }
            }
            if let failure {
                throw LogServingError(
                    .failed, "\(failure)", hint: "check the free space and permissions of storage.tiles_dir")
            }
        }
    }

    /// Why `bytes` is not a whole file of this format, or `nil` when it is.
    static func check(_ bytes: [UInt8]) -> String? {
        guard bytes.count >= headerSize, bytes[0..<4].elementsEqual(magic) else {
            return "not a tile file (\(bytes.count) bytes, no ELT1 header)"
        }
        let digest = bytes.withUnsafeBytes { raw in
            OpenSSLHasher.sha256.hash(UnsafeRawBufferPointer(rebasing: raw[headerSize...]))
        }
        guard digest.bytes.elementsEqual(bytes[4..<headerSize]) else {
            return "its SHA-256 is \(digest.hex), not the digest it was written with"
        }
        return nil
    }

    private func run<R: Sendable>(
        _ body: @escaping @Sendable () throws(LogServingError) -> R
    ) async throws(LogServingError) -> R {
        do {
            return try await pool.runIfActive { try body() }
        } catch let error as LogServingError {
            throw error
        } catch {
            throw LogServingError(.busy, "the tile files are closing", hint: "the upstream is stopping")
        }
    }
}
