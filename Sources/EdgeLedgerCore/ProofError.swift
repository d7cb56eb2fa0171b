/// A Merkle inclusion or consistency proof could not be made or did not verify.
///
/// The message says what is wrong in terms of the inputs, e.g.
/// `proof has 3 hashes, expected 4 for index 5 in a tree of 8`; the hint, when present,
/// says what the caller can do about it.
public struct ProofError: ExplainedError, Equatable {
    /// Broad category of the failure, for callers that react differently to each.
    public enum Kind: Sendable, Equatable {
        /// The question itself is invalid: an index outside the tree, an old size larger than the
        /// new one, a consistency proof from the empty tree.
        case invalidRequest
        /// The proof has the wrong number of hashes for the index and sizes it claims to prove.
        case malformedProof
        /// The proof is well formed but the hashes do not lead to the expected root(s).
        case mismatch
    }

    /// Which kind of failure this is.
    public var kind: Kind
    /// What is wrong, e.g. "proof has 3 hashes, expected 4 for index 5 in a tree of 8".
    public var message: String
    /// What the caller can do about it, if there is anything specific to say.
    public var hint: String?

    /// Creates an error of the given kind with a message and an optional hint.
    public init(_ kind: Kind, _ message: String, hint: String? = nil) {
        self.kind = kind
        self.message = message
        self.hint = hint
    }
}
