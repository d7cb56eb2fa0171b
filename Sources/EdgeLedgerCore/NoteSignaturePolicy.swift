/// Which of the known keys a signed note must carry a valid signature by.
///
/// The signed-note spec accepts a note with one valid signature by any known key and ignores
/// the rest, so a note whose SM2 line was stripped still verifies with its Ed25519 line. A
/// deployment that requires a national-algorithm signature (or every configured algorithm)
/// uses ``all``.
public enum NoteSignaturePolicy: String, Sendable, Equatable, CaseIterable {
    /// At least one known key signed (the signed-note rule).
    case any
    /// Every known key signed: a note missing the signature of one of them is refused.
    case all
}
