/// A joinable POSIX thread running one closure: where blocking C loops live, off Swift's
/// cooperative pool.
public final class NativeThread: @unchecked Sendable {
    // @unchecked: `handle` is written once by `start` before any other thread can see it.
    private var handle = pthread_t()
    private let body: @Sendable () -> Void

    /// Prepares a thread that will run `body` once started.
    public init(body: @escaping @Sendable () -> Void) {
        self.body = body
    }

    /// Starts the thread. Returns false if the system refused to create it.
    public func start() -> Bool {
        let context = Unmanaged.passRetained(self).toOpaque()
        let rc = pthread_create(
            &handle, nil,
            { raw in
                let thread = Unmanaged<NativeThread>.fromOpaque(raw!).takeRetainedValue()
                thread.body()
                return nil
            }, context)
        if rc != 0 {
            Unmanaged<NativeThread>.fromOpaque(context).release()
            return false
        }
        return true
    }

    /// CPU time the thread has used so far, in seconds (user and system); `nil` when it has not
    /// started or has ended and been joined.
    public var cpuSeconds: Double? {
        var clock = clockid_t()
        guard pthread_getcpuclockid(handle, &clock) == 0 else { return nil }
        var ts = timespec()
        guard clock_gettime(clock, &ts) == 0 else { return nil }
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Waits for the thread to end.
    public func join() {
        pthread_join(handle, nil)
    }
}
