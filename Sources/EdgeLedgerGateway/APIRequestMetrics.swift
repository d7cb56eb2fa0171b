import EdgeLedgerHTTP
import Metrics
import Synchronization

/// The API's own swift-metrics: requests by endpoint and status, request durations,
/// acknowledgements by upstream and result. Created lazily per label set, then reused.
final class APIRequestMetrics: Sendable {
    /// `edge_ledger_http_requests_total{endpoint, code}`.
    static let requestsName = "edge_ledger_http_requests_total"
    /// `edge_ledger_http_request_duration_seconds{endpoint}`.
    static let durationName = "edge_ledger_http_request_duration_seconds"
    /// `edge_ledger_http_acks_total{upstream, result}`: result is accepted, fork or beyond_sealed.
    static let acksName = "edge_ledger_http_acks_total"

    private let factory: (any MetricsFactory)?
    private let counters = Mutex<[String: Counter]>([:])
    private let timers = Mutex<[String: Timer]>([:])

    /// Metrics through `factory`, or through the bootstrapped `MetricsSystem.factory` when nil.
    init(factory: (any MetricsFactory)?) {
        self.factory = factory
    }

    func request(endpoint: String, status: Int, duration: Duration) {
        counter(Self.requestsName, [("endpoint", endpoint), ("code", String(status))]).increment()
        timer(Self.durationName, [("endpoint", endpoint)]).recordNanoseconds(duration.nanosecondsClamped)
    }

    func acknowledged(upstream: String, result: String) {
        counter(Self.acksName, [("upstream", upstream), ("result", result)]).increment()
    }

    private func key(_ name: String, _ dimensions: [(String, String)]) -> String {
        ([name] + dimensions.map { "\($0.0)=\($0.1)" }).joined(separator: "\u{0}")
    }

    private func counter(_ name: String, _ dimensions: [(String, String)]) -> Counter {
        counters.withLock { cache in
            let k = key(name, dimensions)
            if let counter = cache[k] { return counter }
            let counter =
                if let factory {
                    Counter(label: name, dimensions: dimensions, factory: factory)
                } else {
                    Counter(label: name, dimensions: dimensions)
                }
            cache[k] = counter
            return counter
        }
    }

    private func timer(_ name: String, _ dimensions: [(String, String)]) -> Timer {
        timers.withLock { cache in
            let k = key(name, dimensions)
            if let timer = cache[k] { return timer }
            let timer =
                if let factory {
                    Timer(label: name, dimensions: dimensions, factory: factory)
                } else {
                    Timer(label: name, dimensions: dimensions)
                }
            cache[k] = timer
            return timer
        }
    }
}
