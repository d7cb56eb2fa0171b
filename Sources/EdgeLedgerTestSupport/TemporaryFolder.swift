import Foundation
import Synchronization

/// A temporary directory that is removed, with everything in it, when the last reference goes,
/// or at the latest when the test process exits (for fixtures kept in a `static let`).
///
/// Hold it for as long as the test uses the files: `let dir = try TemporaryFolder()`.
public final class TemporaryFolder: Sendable {
    /// The directory's absolute path.
    public let path: String

    /// Creates a new, empty directory under the system temp dir, named `<prefix>-<random>`.
    public init(prefix: String = "edge-ledger-test") throws {
        path = try TemporaryDirectory.make(prefix: prefix).path
        _ = removeAtExit
        livingFolders.withLock { _ = $0.insert(path) }
    }

    /// The directory as a file URL.
    public var url: URL { URL(fileURLWithPath: path, isDirectory: true) }

    /// The path of `name` inside the directory.
    public func file(_ name: String) -> String { path + "/" + name }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
        livingFolders.withLock { _ = $0.remove(path) }
    }
}

/// The folders not released yet: removed by the exit handler.
private let livingFolders = Mutex<Set<String>>([])

/// Registers the exit handler once.
private let removeAtExit: Void = {
    atexit {
        for path in livingFolders.withLock({ $0 }) { try? FileManager.default.removeItem(atPath: path) }
    }
}()
