import Foundation

/// Executables built by SwiftPM next to the running test bundle.
public enum BuiltProducts {
    /// The directory of the running test binary (SwiftPM puts every product there).
    public static var directory: URL {
        let exe =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent()
    }

    /// Path of the built executable `name` (e.g. "edge-ledger"); throws if it was not built.
    public static func executable(_ name: String) throws -> String {
        let path = directory.appendingPathComponent(name).path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw TestSupportError("\(path) was not built; run `swift build` first")
        }
        return path
    }
}
