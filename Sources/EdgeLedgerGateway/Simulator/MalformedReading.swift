/// The kinds of bad reading `--bad-every K` injects, in the order they cycle through.
public enum MalformedReading: String, Sendable, CaseIterable {
    /// A good reading's JSON cut in half (a strict prefix of an object never parses).
    case truncatedJSON = "truncated_json"
    /// Valid JSON that is not an object: `[1,2]`.
    case nonObjectJSON = "non_object_json"
    /// Random bytes that are neither UTF-8 nor JSON.
    case binaryGarbage = "binary_garbage"
    /// A JSON object larger than the default 16 KiB payload limit.
    case oversized = "oversized"
    /// A good reading on `<prefix>/<sensor>/debug`, outside the `…/telemetry` filters.
    case offFilterTopic = "off_filter_topic"

    /// Size of the oversized payload: 17 KiB, over the 16 KiB default `ingest.max_payload_bytes`.
    public static let oversizedPayloadBytes = 17 * 1024
}
