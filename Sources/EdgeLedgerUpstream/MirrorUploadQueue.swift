import Synchronization

/// Orders the overlapping `add-entries` requests of one origin on this instance, so that a
/// gateway may keep several requests in flight (a window) instead of one round trip after
/// another.
///
/// C2SP tlog-mirror answers a request whose `upload_start` lies beyond the mirror's next entry
/// with 409. Here such a request first waits for its turn, as long as an earlier upload of the
/// same origin is in progress on this instance (one that started below it, or is itself waiting):
/// once that upload has staged up to `upload_start`, the request goes on at once; when no earlier
/// upload is left, or after ``maxWait``, or when ``maxWaiting`` requests of the origin are
/// waiting already, it gets the 409 it would have had. A request carrying packages also waits up
/// to ``grace`` for an earlier one to arrive at all (a window's requests may arrive out of order).
/// Meanwhile the request decodes no more of its body than one staging buffer (the connection's
/// backpressure holds the rest; see `MirrorUploadSession`).
///
/// Only a hint: the staged sizes recorded here are what this instance's uploads staged; staging
/// still goes by compare-and-set in the database, which decides.
final class MirrorUploadQueue: Sendable {
    /// Whether a request may go on, and the next entry as last known.
    enum Turn: Equatable {
        /// The next entry reached the request's `upload_start`.
        case ready(staged: UInt64)
        /// No earlier upload will get there (or the wait is over): answer 409.
        case refused(staged: UInt64)
    }

    private struct Upload {
        var start: UInt64
        /// Until when it may wait without an earlier upload in progress (one may still arrive).
        var graceUntil: ContinuousClock.Instant?
        var waiter: CheckedContinuation<Turn, Never>?
    }

    private struct Origin {
        var uploads: [Int: Upload] = [:]
        var staged: UInt64 = 0

        /// Whether an upload other than `id` started below `start`.
        func hasEarlier(than start: UInt64, except id: Int) -> Bool {
            uploads.contains { $0.key != id && $0.value.start < start }
        }

        /// Whether upload `id` may (still) wait: an earlier one is in progress, or its grace lasts.
        func mayWait(_ id: Int, now: ContinuousClock.Instant) -> Bool {
            guard let upload = uploads[id] else { return false }
            if let until = upload.graceUntil, now < until { return true }
            return hasEarlier(than: upload.start, except: id)
        }
    }

    private struct State {
        var origins: [String: Origin] = [:]
        var nextID = 0
    }

    /// The most requests of one origin waiting at once; more get 409 at once.
    let maxWaiting: Int
    /// The longest a request waits for its turn.
    let maxWait: Duration
    /// How long a request entered with a grace waits for an earlier one to arrive at all.
    let grace: Duration
    private let state = Mutex(State())

    /// - Parameters:
    ///   - maxWaiting: requests of one origin that may wait at once (a gateway's window).
    ///   - maxWait: the longest one waits (keep it well below `http.request_timeout`).
    ///   - grace: how long a request carrying packages waits for an earlier one to arrive: the
    ///     requests of a window may reach the mirror out of order (the client's connections).
    init(maxWaiting: Int = 8, maxWait: Duration = .seconds(10), grace: Duration = .seconds(1)) {
        self.maxWaiting = maxWaiting
        self.maxWait = maxWait
        self.grace = min(grace, maxWait)
    }

    /// Registers an upload of `origin` starting at `start`; returns its ticket for the other
    /// calls. Every ticket must be given back with ``leave(_:origin:)``. With `grace`, it may
    /// wait for ``grace`` even while no earlier upload is in progress (a request that carries
    /// packages; a request that only asks where the mirror stands wants its 409 at once).
    func enter(origin: String, start: UInt64, grace: Bool = false) -> Int {
        let until = grace ? ContinuousClock.now + self.grace : nil
        return state.withLock { s in
            let id = s.nextID
            s.nextID += 1
            s.origins[origin, default: Origin()].uploads[id] = Upload(start: start, graceUntil: until)
            return id
        }
    }

    /// The upload of `ticket` is over: requests that were waiting behind it alone get 409.
    func leave(_ ticket: Int, origin: String) {
        refuseStranded(origin: origin) { $0.uploads[ticket] = nil }
    }

    /// After `change`, refuses the waiters of `origin` that may no longer wait.
    private func refuseStranded(origin: String, _ change: (inout Origin) -> Void = { _ in }) {
        let now = ContinuousClock.now
        let resumed = state.withLock { s -> [(CheckedContinuation<Turn, Never>, Turn)] in
            guard var o = s.origins[origin] else { return [] }
            change(&o)
            var resumed: [(CheckedContinuation<Turn, Never>, Turn)] = []
            for (id, upload) in o.uploads {
                guard let waiter = upload.waiter, !o.mayWait(id, now: now) else { continue }
                o.uploads[id]?.waiter = nil
                resumed.append((waiter, .refused(staged: o.staged)))
            }
            s.origins[origin] = o.uploads.isEmpty ? nil : o
            return resumed
        }
        for (waiter, turn) in resumed { waiter.resume(returning: turn) }
    }

    /// An upload of `origin` staged entries up to `staged`: the requests starting there or below
    /// go on.
    func advance(origin: String, to staged: UInt64) {
        let (resumed, now) = state.withLock { s -> ([CheckedContinuation<Turn, Never>], UInt64) in
            guard var o = s.origins[origin] else { return ([], staged) }
            o.staged = max(o.staged, staged)
            var resumed: [CheckedContinuation<Turn, Never>] = []
            for (id, upload) in o.uploads where upload.start <= o.staged {
                guard let waiter = upload.waiter else { continue }
                o.uploads[id]?.waiter = nil
                resumed.append(waiter)
            }
            s.origins[origin] = o
            return (resumed, o.staged)
        }
        let turn = Turn.ready(staged: now)
        for waiter in resumed { waiter.resume(returning: turn) }
    }

    /// The requests of `origin` in progress on this instance, and how many of them wait.
    func requests(origin: String) -> (inProgress: Int, waiting: Int) {
        state.withLock { s in
            guard let o = s.origins[origin] else { return (0, 0) }
            return (o.uploads.count, o.uploads.values.count(where: { $0.waiter != nil }))
        }
    }

    /// Staged entries of `origin` were discarded: forget the size recorded.
    func forgetStaged(origin: String) {
        state.withLock { s in s.origins[origin]?.staged = 0 }
    }

    /// Waits until the next entry of `origin` reaches the `start` of `ticket` (`staged` is the
    /// next entry the database showed), as long as an earlier upload may bring it there.
    func turn(_ ticket: Int, origin: String, start: UInt64, staged: UInt64) async -> Turn {
        await withTaskGroup(of: Turn?.self) { group in
            group.addTask {
                await self.waitForTurn(ticket, origin: origin, start: start, staged: staged)
            }
            let began = ContinuousClock.now
            let graceUntil = state.withLock { $0.origins[origin]?.uploads[ticket]?.graceUntil }
            group.addTask {
                if let graceUntil {
                    // The grace is over: without an earlier upload by now, the waiter is refused.
                    guard (try? await Task.sleep(until: graceUntil)) != nil else { return nil }
                    self.refuseStranded(origin: origin)
                }
                try? await Task.sleep(until: began + self.maxWait)
                return nil
            }
            var turn: Turn?
            while let next = await group.next() {
                if let next {
                    turn = next
                    break
                }
                // The wait is over: cancelling resumes the waiter with a refusal.
                group.cancelAll()
            }
            group.cancelAll()
            return turn ?? .refused(staged: staged)
        }
    }

    /// What ``turn(_:origin:start:staged:)`` would answer at once; `nil` when it would wait.
    func check(_ ticket: Int, origin: String, start: UInt64, staged: UInt64) -> Turn? {
        state.withLock { s in
            Self.decide(&s, ticket, origin: origin, start: start, staged: staged, maxWaiting: maxWaiting)
        }
    }

    /// The turn of `ticket` if it is decided now; `nil` when it has to wait.
    private static func decide(
        _ s: inout State, _ ticket: Int, origin: String, start: UInt64, staged: UInt64, maxWaiting: Int
    ) -> Turn? {
        guard var o = s.origins[origin], o.uploads[ticket] != nil else { return .refused(staged: staged) }
        o.staged = max(o.staged, staged)
        s.origins[origin] = o
        if o.staged >= start { return .ready(staged: o.staged) }
        let waiting = o.uploads.values.count(where: { $0.waiter != nil })
        guard waiting < maxWaiting, o.mayWait(ticket, now: .now) else { return .refused(staged: o.staged) }
        return nil
    }

    private func waitForTurn(_ ticket: Int, origin: String, start: UInt64, staged: UInt64) async -> Turn {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Turn, Never>) in
                let now = state.withLock { s -> Turn? in
                    if let decided = Self.decide(
                        &s, ticket, origin: origin, start: start, staged: staged, maxWaiting: maxWaiting)
                    {
                        return decided
                    }
                    // Cancelled before registering: the handler may already have run.
                    if Task.isCancelled { return .refused(staged: s.origins[origin]?.staged ?? staged) }
                    s.origins[origin]?.uploads[ticket]?.waiter = c
                    return nil
                }
                if let now { c.resume(returning: now) }
            }
        } onCancel: {
            let waiter = state.withLock { s -> (CheckedContinuation<Turn, Never>, UInt64)? in
                guard let w = s.origins[origin]?.uploads[ticket]?.waiter else { return nil }
                s.origins[origin]?.uploads[ticket]?.waiter = nil
                return (w, s.origins[origin]?.staged ?? staged)
            }
            if let (w, staged) = waiter { w.resume(returning: .refused(staged: staged)) }
        }
    }
}
