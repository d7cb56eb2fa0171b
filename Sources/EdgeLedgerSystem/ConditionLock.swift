/// A mutex with one condition variable guarding a value: how a blocking producer thread and a
/// blocking consumer thread hand work to each other without polling.
///
/// `Synchronization.Mutex` has no condition variable; this wraps `pthread_mutex_t` and
/// `pthread_cond_t` (allocated once, never moved).
public final class ConditionLock<Value>: @unchecked Sendable {
    // @unchecked: `value` is only touched with `mutex` held.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private var value: Value

    /// Creates a lock guarding `value`.
    public init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        condition = .allocate(capacity: 1)
        condition.initialize(to: pthread_cond_t())
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        #if !canImport(Darwin)
            pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        #endif
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Runs `body` with the lock held.
    public func withLock<R, E: Error>(_ body: (inout Value) throws(E) -> R) throws(E) -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }

    /// Waits, with the lock held, until `ready` returns true or `timeout` (seconds) passes, then
    /// runs `body` with the lock still held. `ready` is checked before the first wait.
    ///
    /// - Returns: what `body` returns; it learns whether `ready` held from its second argument.
    public func wait<R>(
        until ready: (Value) -> Bool, timeout: Double? = nil, then body: (inout Value, _ ready: Bool) -> R
    ) -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        if let timeout {
            var deadline = timespec()
            clock_gettime(CLOCK_MONOTONIC, &deadline)
            let whole = Int(timeout)
            deadline.tv_sec += whole
            deadline.tv_nsec += Int((timeout - Double(whole)) * 1e9)
            if deadline.tv_nsec >= 1_000_000_000 {
                deadline.tv_sec += 1
                deadline.tv_nsec -= 1_000_000_000
            }
            while !ready(value) {
                if pthread_cond_timedwait(condition, mutex, &deadline) == ETIMEDOUT { break }
            }
        } else {
            while !ready(value) { pthread_cond_wait(condition, mutex) }
        }
        return body(&value, ready(value))
    }

    /// Wakes every waiter (they re-check their conditions). Call after changing the value.
    public func broadcast() {
        pthread_cond_broadcast(condition)
    }
}
