import EdgeLedgerCore
import EdgeLedgerCrypto
import Testing

@Suite struct HasherTests {
    @Test func sha256EmptyRoot() throws {
        #expect(OpenSSLHasher.sha256.emptyRoot.hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }
}
