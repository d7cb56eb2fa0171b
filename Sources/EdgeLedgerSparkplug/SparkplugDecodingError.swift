/// Why a message on a `sparkplug_b` topic cannot be decoded; the reading goes to the rejected
/// table with this reason.
public struct SparkplugDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong.
    public enum Kind: String, Sendable, Hashable {
        /// The topic is not a Sparkplug B topic.
        case topic
        /// The payload is not a well-formed Sparkplug B protobuf `Payload` (or, for STATE, not a
        /// JSON object).
        case payload
        /// The payload nests messages deeper than ``SparkplugDecoder/maximumNestingDepth``.
        case tooDeep
    }

    /// What is wrong.
    public var kind: Kind
    /// A human-readable detail, e.g. "3 levels; expected …".
    public var detail: String

    /// Creates an error.
    public init(_ kind: Kind, _ detail: String) {
        self.kind = kind
        self.detail = detail
    }

    /// A topic error.
    static func topic(_ detail: String) -> Self { Self(.topic, detail) }

    /// `<detail>` with what to do.
    public var description: String {
        switch kind {
        case .topic: "Sparkplug topic: \(detail) (publish under spBv1.0/..., or configure the filter as json or raw)"
        case .payload: "Sparkplug payload: \(detail) (the edge node must send a Sparkplug B protobuf Payload)"
        case .tooDeep: "Sparkplug payload: \(detail) (refused as hostile or broken)"
        }
    }
}
