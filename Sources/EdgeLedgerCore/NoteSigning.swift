/// Signing and opening C2SP signed notes.
public enum NoteSigning {
    /// Signs `text` with every signer, in order, and returns the note.
    ///
    /// - Throws: `NoteError` when the text is not a valid note text (empty, no final newline,
    ///   control characters), when there is no signer, when a signer's name is not a valid key
    ///   name or two signers share a name and key ID; otherwise whatever a signer throws.
    public static func sign(text: String, with signers: [any NoteSigner]) throws -> Note {
        let message = Array(text.utf8)
        guard message.last == 0x0a else {
            throw NoteError("note text does not end with a newline")
        }
        try Note.checkCharacters(message, what: "note text")
        guard !signers.isEmpty else {
            throw NoteError("no signing key given", hint: "a note needs at least one signature")
        }
        var signatures: [NoteSignature] = []
        var seen = Set<KeyRef>()
        for signer in signers {
            if let problem = NoteName.problem(with: signer.name) {
                throw NoteError("cannot sign: \(problem)")
            }
            guard seen.insert(KeyRef(name: signer.name, keyID: signer.keyID)).inserted else {
                throw NoteError(
                    "cannot sign: key \(signer.name)+\(NoteSignature.hex8(signer.keyID)) is given twice")
            }
            let signature = try signer.sign(message)
            signatures.append(NoteSignature(name: signer.name, keyID: signer.keyID, signature: signature))
        }
        return Note(text: text, signatures: signatures)
    }

    /// Checks the signatures of `note` against the known `verifiers`, as the signed-note spec
    /// requires.
    ///
    /// Signatures whose name and key ID match no verifier are ignored; a repeated signature
    /// by the same key is ignored after the first. With `policy` ``NoteSignaturePolicy/all``
    /// every verifier's key must have signed.
    ///
    /// - Returns: the signatures that verified, in note order.
    /// - Throws: `NoteError` when a signature by a known key does not verify (the whole note
    ///   is rejected), when no signature by a known key is present, or, under
    ///   ``NoteSignaturePolicy/all``, when a known key's signature is missing.
    public static func open(
        _ note: Note, verifiers: [any NoteVerifier], policy: NoteSignaturePolicy = .any
    ) throws(NoteError) -> [NoteSignature] {
        let message = Array(note.text.utf8)
        var verified: [NoteSignature] = []
        var seen = Set<KeyRef>()
        for signature in note.signatures {
            let ref = KeyRef(name: signature.name, keyID: signature.keyID)
            let candidates = verifiers.filter { $0.name == signature.name && $0.keyID == signature.keyID }
            if candidates.isEmpty || seen.contains(ref) { continue }
            seen.insert(ref)
            guard candidates.contains(where: { $0.verify(message, signature: signature.signature) }) else {
                throw NoteError(
                    "signature by known key \(signature.name)+\(signature.keyIDHex) does not verify",
                    hint: "the note was altered after signing, or the key changed; do not trust it")
            }
            verified.append(signature)
        }
        if policy == .all,
            let missing = verifiers.first(where: { !seen.contains(KeyRef(name: $0.name, keyID: $0.keyID)) })
        {
            throw NoteError(
                "note lacks the signature of required key \(missing.name)+\(NoteSignature.hex8(missing.keyID))",
                hint: "every configured key must sign (signature policy \"all\"); a stripped signature line, or a "
                    + "signer that does not use this key yet")
        }
        guard !verified.isEmpty else {
            let present = note.signatures.map { "\($0.name)+\($0.keyIDHex)" }
            let known = verifiers.map { "\($0.name)+\(NoteSignature.hex8($0.keyID))" }
            throw NoteError(
                "note has no signature by a known key",
                hint: "signed by [\(present.joined(separator: ", "))]; "
                    + "trusted keys are [\(known.joined(separator: ", "))]")
        }
        return verified
    }

    private struct KeyRef: Hashable {
        var name: String
        var keyID: UInt32
    }
}
