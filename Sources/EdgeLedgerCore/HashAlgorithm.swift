/// The hash function a log is built with. A log never mixes algorithms.
public enum HashAlgorithm: String, Sendable, Hashable, CaseIterable, Codable {
    /// SHA-256 (FIPS 180-4): the default, understood by every C2SP verifier.
    case sha256
    /// SM3 (GB/T 32905-2016): for deployments that require China's national algorithms.
    case sm3

    /// Output length in bytes (32 for both).
    public var digestLength: Int { 32 }
}
