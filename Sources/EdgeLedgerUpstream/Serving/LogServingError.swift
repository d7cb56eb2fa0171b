import EdgeLedgerCore

/// Why a read of a collected log (``CollectedLogServer``) is not answered with the object.
public struct LogServingError: ExplainedError, Equatable {
    /// What kind of refusal: it decides the HTTP status.
    public enum Kind: Sendable, Equatable {
        /// 400: the path is not a tlog-tiles path.
        case badRequest
        /// 404: no such log, or the object lies beyond what was verified.
        case notFound
        /// 503: too many objects are being built at once, or the store cannot be reached; retry.
        case busy
        /// 500: the store holds something that does not verify, or a file cannot be written.
        case failed
    }

    /// The kind.
    public var kind: Kind
    /// What happened (safe to show to the client for 4xx; 500s are answered generically).
    public var message: String
    /// What to do.
    public var hint: String?

    /// Creates an error.
    public init(_ kind: Kind, _ message: String, hint: String? = nil) {
        self.kind = kind
        self.message = message
        self.hint = hint
    }

    /// The HTTP status code.
    public var status: Int {
        switch kind {
        case .badRequest: 400
        case .notFound: 404
        case .busy: 503
        case .failed: 500
        }
    }
}
