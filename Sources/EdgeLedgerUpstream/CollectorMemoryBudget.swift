import Metrics
import Synchronization

/// The bytes of fetched entries that all the collectors of one upstream instance may hold at
/// once (`storage.collector_memory`): what a pull fetches and has not stored yet, whatever the
/// gateways claim or serve.
///
/// A collector reserves a bundle's bytes before it fetches it, at an estimate from the entries
/// it has seen, and fetches with that estimate as the response's limit; a larger bundle is
/// fetched again with a larger reservation. Past the capacity a collector fetches no more until
/// its own stores release bytes, except that one with nothing in flight may always fetch one
/// bundle (so no collector waits on another: every one progresses, and the capacity is exceeded
/// by at most one bundle per pulling collector). Several gateways serving their largest entries
/// at once then cannot make the instance hold more than this, plus those single bundles.
public final class CollectorMemoryBudget: Sendable {
    /// The bytes that may be reserved at once (a collector with nothing in flight may still
    /// reserve one bundle beyond it).
    public let capacity: Int

    private struct State {
        var used = 0
        var peak = 0
    }

    private let state = Mutex(State())
    private let gauge: Gauge?

    /// A budget of `capacity` bytes; `gauge` follows the bytes reserved.
    public init(capacity: Int, gauge: Gauge? = nil) {
        self.capacity = max(1, capacity)
        self.gauge = gauge
    }

    /// Reserves `bytes` if they fit within the capacity, or regardless with `force` (a collector
    /// with nothing in flight); returns whether they were reserved.
    func reserve(_ bytes: Int, force: Bool) -> Bool {
        state.withLock { s in
            guard force || s.used + bytes <= capacity else { return false }
            s.used += bytes
            s.peak = max(s.peak, s.used)
            gauge?.record(s.used)  // under the lock: the gauge never goes back to an older value
            return true
        }
    }

    /// Gives back `bytes` reserved earlier.
    func release(_ bytes: Int) {
        guard bytes != 0 else { return }
        state.withLock { s in
            s.used = max(0, s.used - bytes)
            gauge?.record(s.used)
        }
    }

    /// The bytes reserved now.
    public var used: Int { state.withLock { $0.used } }

    /// The most bytes reserved at once since the start.
    public var peak: Int { state.withLock { $0.peak } }
}
