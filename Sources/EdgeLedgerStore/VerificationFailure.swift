/// The first place where a ledger store is not what its entries, tiles and checkpoints say it
/// must be, found by ``LedgerVerifier``.
///
/// `description` names the place first: "entry 1234: leaf hash mismatch (stored …, computed …)",
/// "tile 0/5: hash 17 differs (…)", "checkpoint at size 5000: signature by known key … does not
/// verify".
public struct VerificationFailure: Error, CustomStringConvertible, Sendable, Equatable {
    /// Where the problem is.
    public enum Place: Sendable, Hashable, CustomStringConvertible {
        /// The store as a whole (cannot be opened, wrong algorithm, SQLite structure damaged).
        case store
        /// The entry with this index.
        case entry(UInt64)
        /// The hash tile at this level and index.
        case tile(level: Int, index: UInt64)
        /// The checkpoint with this tree size.
        case checkpoint(size: UInt64)

        public var description: String {
            switch self {
            case .store: "store"
            case .entry(let index): "entry \(index)"
            case .tile(let level, let index): "tile \(level)/\(index)"
            case .checkpoint(let size): "checkpoint at size \(size)"
            }
        }
    }

    /// Where the problem is.
    public var place: Place
    /// What is wrong there.
    public var message: String

    /// Creates a failure at `place`.
    public init(_ place: Place, _ message: String) {
        self.place = place
        self.message = message
    }

    public var description: String { "\(place): \(message)" }
}
