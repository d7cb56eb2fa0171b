import Foundation

/// Temporary directories for tests (removed by the OS's tmp cleaning; tests may delete them).
public enum TemporaryDirectory {
    /// Creates a new, empty directory under the system temp dir.
    public static func make(prefix: String = "edge-ledger") throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// Locates files of the repository (and `../shared` beside it) from a test's `#filePath`.
public enum RepositoryPaths {
    /// The repository root: the nearest ancestor of `file` containing Package.swift.
    public static func root(from file: String = #filePath) -> URL {
        var url = URL(fileURLWithPath: file).deletingLastPathComponent()
        while url.path != "/" {
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
                return url
            }
            url.deleteLastPathComponent()
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    }

    /// `../shared/<relative>` beside the repository root (read-only inputs).
    public static func shared(_ relative: String, from file: String = #filePath) -> URL {
        root(from: file).deletingLastPathComponent().appendingPathComponent("shared").appendingPathComponent(relative)
    }
}

/// A test fixture could not be set up.
public struct TestSupportError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
