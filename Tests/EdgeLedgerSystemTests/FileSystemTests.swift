import EdgeLedgerSystem
import Foundation
import Testing

/// Directories and file sizes (``FileSystem``).
@Suite struct FileSystemTests {
    @Test func fileSizes() throws {
        let path = NSTemporaryDirectory() + "edge-ledger-clock-\(getpid())"
        try Data(count: 1234).write(to: URL(fileURLWithPath: path))
        defer { unlink(path) }
        #expect(FileSystem.fileSize(path) == 1234)
        #expect(FileSystem.fileSize(path + ".missing") == 0)
    }

    @Test func createsMissingParentsAndSaysWhichOneFails() throws {
        let base = NSTemporaryDirectory() + "edge-ledger-fs-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: base) }
        #expect(FileSystem.createParents(of: base + "/a/b/ledger.db") == nil)
        var isDirectory: ObjCBool = false
        #expect(
            FileManager.default.fileExists(atPath: base + "/a/b", isDirectory: &isDirectory) && isDirectory.boolValue)
        try Data().write(to: URL(fileURLWithPath: base + "/file"))
        let failure = FileSystem.createParents(of: base + "/file/c/ledger.db")
        #expect(failure?.directory == base + "/file/c")
    }
}
