import Foundation

/// Byte-level access to ingest journal segment files (docs/FORMAT.md, "Ingest journal"): how
/// the tests find records in a real segment and damage them.
public enum JournalFile {
    /// The segment file names (`<16 hex>.journal`) in `directory`, oldest first.
    public static func segments(in directory: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".journal") }.sorted()
    }

    /// The file's bytes.
    public static func read(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TestSupportError("cannot read \(path)")
        }
        return Array(data)
    }

    /// Replaces the file's bytes.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            throw TestSupportError("cannot write \(path)")
        }
    }

    /// The offset of every record in an intact segment (walking the length fields), and the
    /// end of the last one as a final element.
    public static func recordOffsets(_ bytes: [UInt8]) -> [Int] {
        var offsets = [0]
        var at = 0
        while at + 8 <= bytes.count {
            let length = Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24
            at += 8 + length
            offsets.append(at)
        }
        return offsets
    }
}
