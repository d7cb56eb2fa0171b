import Metrics

/// The monitoring endpoints' metrics (``CollectedLogServer``): reads by kind and source, bytes
/// sent, and damaged files found. Labels are fixed sets (never an origin or a path from a request).
public final class LogServingMetrics: Sendable {
    /// The metric names.
    public enum Name {
        /// Counter, labels `kind` (`checkpoint`, `tile`, `bundle`) and `source` (`file`: read from
        /// `storage.tiles_dir`; `built`: built from the store, verified and written by this read;
        /// `store`: the checkpoint and partial tiles, read from the store).
        public static let reads = "edge_ledger_upstream_log_reads_total"
        /// Counter, label `kind`: body bytes sent (compressed bytes when gzip was sent).
        public static let bytes = "edge_ledger_upstream_log_read_bytes_total"
        /// Counter: files under `storage.tiles_dir` whose digest did not match (damaged on disk);
        /// each was removed and rebuilt from the store.
        public static let damagedFiles = "edge_ledger_upstream_tile_files_damaged_total"
    }

    private let reads: [String: Counter]
    private let bytes: [ServedObject.Kind: Counter]
    /// ``Name/damagedFiles``.
    public let damagedFiles: Counter

    /// Creates every series through `factory`.
    public init(factory: any MetricsFactory) {
        var reads: [String: Counter] = [:]
        var bytes: [ServedObject.Kind: Counter] = [:]
        for kind in ServedObject.Kind.allCases {
            for source in ServedObject.Source.allCases {
                reads[kind.rawValue + "/" + source.rawValue] = Counter(
                    label: Name.reads, dimensions: [("kind", kind.rawValue), ("source", source.rawValue)],
                    factory: factory)
            }
            bytes[kind] = Counter(label: Name.bytes, dimensions: [("kind", kind.rawValue)], factory: factory)
        }
        self.reads = reads
        self.bytes = bytes
        self.damagedFiles = Counter(label: Name.damagedFiles, dimensions: [], factory: factory)
    }

    /// Counts one answer.
    public func record(_ object: ServedObject) {
        reads[object.kind.rawValue + "/" + object.source.rawValue]?.increment()
        bytes[object.kind]?.increment(by: Int64(object.body.count))
    }
}
