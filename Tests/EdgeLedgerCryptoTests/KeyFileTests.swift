import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerTestSupport
import Foundation
import Testing

@Suite struct KeyFileTests {
    func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return try #require(attributes[.posixPermissions] as? Int)
    }

    @Test(arguments: SigningAlgorithm.allCases)
    func saveAndLoad(algorithm: SigningAlgorithm) throws {
        let folder = try TemporaryFolder(prefix: "edge-ledger-keyfile")
        let dir = folder.url
        let path = dir.appendingPathComponent("\(algorithm).pem").path
        let key = try PrivateKey.generate(algorithm)
        try KeyFile.save(key, to: path)
        #expect(try mode(path) == 0o600)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == key.pem)
        let loaded = try KeyFile.load(path: path)
        #expect(loaded.algorithm == algorithm)
        #expect(loaded.publicKey == key.publicKey)
        let message = Array("hello\n".utf8)
        #expect(key.publicKey.verify(message, signature: try loaded.sign(message)))
    }

    @Test func refusesGroupOrWorldReadableKey() throws {
        let folder = try TemporaryFolder(prefix: "edge-ledger-keyfile")
        let dir = folder.url
        let path = dir.appendingPathComponent("key.pem").path
        try KeyFile.save(try PrivateKey.generate(.ed25519), to: path)
        for mode in [0o644, 0o640, 0o604, 0o660, 0o602] {
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
            let error = #expect(throws: CryptoError.self) { try KeyFile.load(path: path) }
            #expect(error?.hint?.contains("chmod 600 \(path)") == true, "mode \(String(mode, radix: 8))")
            #expect(error?.message.contains(path) == true)
            #expect(error?.description.contains("chmod 600") == true)
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o400], ofItemAtPath: path)
        _ = try KeyFile.load(path: path)
    }

    @Test func neverOverwrites() throws {
        let folder = try TemporaryFolder(prefix: "edge-ledger-keyfile")
        let dir = folder.url
        let path = dir.appendingPathComponent("key.pem").path
        let first = try PrivateKey.generate(.p256)
        try KeyFile.save(first, to: path)
        let error = #expect(throws: CryptoError.self) { try KeyFile.save(try PrivateKey.generate(.p256), to: path) }
        #expect(error?.message.contains("already exists") == true)
        #expect(try KeyFile.load(path: path).publicKey == first.publicKey)

        // Not even through a dangling symlink.
        let link = dir.appendingPathComponent("link.pem").path
        try FileManager.default.createSymbolicLink(
            atPath: link, withDestinationPath: dir.appendingPathComponent("elsewhere").path)
        #expect(throws: CryptoError.self) { try KeyFile.save(first, to: link) }
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("elsewhere").path))
    }

    @Test func clearErrors() throws {
        let folder = try TemporaryFolder(prefix: "edge-ledger-keyfile")
        let dir = folder.url
        let missing = dir.appendingPathComponent("missing.pem").path
        let error = #expect(throws: CryptoError.self) { try KeyFile.load(path: missing) }
        #expect(error?.message.contains(missing) == true)
        #expect(error?.hint?.contains("keygen") == true)

        let garbage = dir.appendingPathComponent("garbage.pem").path
        #expect(
            FileManager.default.createFile(
                atPath: garbage, contents: Data("not a key".utf8), attributes: [.posixPermissions: 0o600]))
        let parse = #expect(throws: CryptoError.self) { try KeyFile.load(path: garbage) }
        #expect(parse?.message.contains(garbage) == true)

        #expect(throws: CryptoError.self) { try KeyFile.load(path: dir.path) }
        #expect(throws: CryptoError.self) {
            try KeyFile.save(try PrivateKey.generate(.ed25519), to: dir.appendingPathComponent("no/such/dir.pem").path)
        }
    }
}
