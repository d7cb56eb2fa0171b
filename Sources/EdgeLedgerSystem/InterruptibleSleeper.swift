/// A sleep on a plain thread that another thread can cut short (for backoff waits that
/// must end promptly on shutdown). Blocks in `pthread_cond_timedwait`: no polling.
public final class InterruptibleSleeper: @unchecked Sendable {
    // @unchecked: all state is guarded by `mutex`.
    private var mutex = pthread_mutex_t()
    private var cond = pthread_cond_t()
    private var woken = false

    public init() {
        pthread_mutex_init(&mutex, nil)
        var attr = pthread_condattr_t()
        pthread_condattr_init(&attr)
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC)
        pthread_cond_init(&cond, &attr)
        pthread_condattr_destroy(&attr)
    }

    deinit {
        pthread_cond_destroy(&cond)
        pthread_mutex_destroy(&mutex)
    }

    /// Sleeps up to `seconds`; returns early (true) if `wake()` was called since the last sleep.
    @discardableResult
    public func sleep(seconds: Double) -> Bool {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let total = Double(now.tv_sec) + Double(now.tv_nsec) / 1e9 + max(0, seconds)
        var deadline = timespec()
        deadline.tv_sec = Int(total)
        deadline.tv_nsec = Int((total - Double(Int(total))) * 1e9)
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        while !woken {
            if pthread_cond_timedwait(&cond, &mutex, &deadline) == ETIMEDOUT { break }
        }
        let wasWoken = woken
        woken = false
        return wasWoken
    }

    /// Ends the current (or next) sleep immediately.
    public func wake() {
        pthread_mutex_lock(&mutex)
        woken = true
        pthread_cond_broadcast(&cond)
        pthread_mutex_unlock(&mutex)
    }
}
