import EdgeLedgerCore

/// The client side of one C2SP tlog-mirror upload: the `add-entries` requests that carry the
/// entries `[start, size)`, with up to ``window`` of them in flight at once, for the agent's
/// `MirrorUploader` and the fleet simulator's pusher.
///
/// Requests are made one after another on the caller's task (each while the earlier ones are in
/// flight), each beginning where the one before ends, and their answers are taken in order. An
/// answer that moves the mirror's next entry to the end of its request lets the next one count;
/// any other ends the window: the requests still in flight are cancelled and the upload resumes
/// from the next entry the mirror gave, with one request at a time when the mirror refused one
/// of the later requests as beyond its next entry (the requests reached different instances, or
/// the mirror does not hold requests back: see `MirrorUploadQueue` on the upstream).
package struct MirrorUploadWindow {
    /// One `add-entries` request.
    package struct Request: Sendable {
        /// Its `upload_start`.
        package var start: UInt64
        /// Where its packages end (its `upload_start` when it carries none).
        package var end: UInt64
        /// The body as sent.
        package var body: [UInt8]
        /// Whether `body` is gzip-compressed.
        package var gzip: Bool

        package init(start: UInt64, end: UInt64, body: [UInt8], gzip: Bool) {
            self.start = start
            self.end = end
            self.body = body
            self.gzip = gzip
        }
    }

    /// How an upload ended.
    package enum Outcome: Sendable {
        /// 200: the mirror's answer carries its cosignature.
        case cosigned(PeerHTTPResponse)
        /// The mirror's pending checkpoint has another size: set the checkpoint again.
        case otherCheckpoint(MirrorInfo, status: Int)
        /// 409 naming the request's own `upload_start` as the next entry: no progress.
        case stalled(start: UInt64, PeerHTTPResponse)
        /// 202 or 409 without a readable `text/x.tlog.mirror-info` body.
        case noMirrorInfo(PeerHTTPResponse)
        /// The mirror claims a next entry beyond the checkpoint's size.
        case overclaim(MirrorInfo)
        /// Any other status.
        case refused(PeerHTTPResponse)
        /// No answer (connection refused or broken, timeout).
        case unreachable(String)
        /// The request from `start` could not be made (reading the entries failed).
        case unreadable(start: UInt64, any Error)
        /// The task was cancelled.
        case cancelled
        /// The request budget ran out without a 200.
        case exhausted
    }

    /// Packages of 256 entries per request: C2SP tlog-mirror recommends at most 32 (8,192
    /// entries), for hosting platforms' limits on request bodies.
    package static let packagesPerRequest: UInt64 = 32
    /// Requests in flight by default. The upstream holds a request whose start is ahead of its
    /// next entry while an earlier one of the upload is staging (on the same instance); a mirror
    /// that answers 409 instead makes the upload go one request at a time.
    package static let defaultWindow = 4

    /// Requests in flight at most.
    package let window: Int
    /// Makes the request from an entry to the checkpoint's size (called on the caller's task).
    private let make: (_ start: UInt64) throws -> Request
    /// Sends a request and returns the mirror's answer.
    private let send: @Sendable (Request) async throws -> PeerHTTPResponse
    /// Told when the mirror refused a later request of the window (the answer's message): the
    /// rest of the upload goes one request at a time.
    private let narrowed: (String) -> Void

    package init(
        window: Int = defaultWindow, make: @escaping (_ start: UInt64) throws -> Request,
        send: @escaping @Sendable (Request) async throws -> PeerHTTPResponse,
        narrowed: @escaping (String) -> Void = { _ in }
    ) {
        self.window = max(1, window)
        self.make = make
        self.send = send
        self.narrowed = narrowed
    }

    /// Uploads `[start, size)` (a `start` of `size` first asks the mirror where it stands),
    /// calling `progress` with every next entry the mirror answers.
    package func run(from start: UInt64, size: UInt64, progress: (UInt64) -> Void) async -> Outcome {
        // Each request moves the next entry forward or ends the upload; the bound guards against
        // a mirror that keeps answering the same. The first may be a question, so the whole log
        // is the worst case, and each window may lose what was in flight.
        var budget = Int(clamping: size / (256 * 32)) + 8 + 4 * window
        var start = start
        var window = self.window
        while budget > 0 {
            let (step, sent) = await runWindow(
                from: start, size: size, window: window, budget: budget, progress: progress)
            budget -= sent
            switch step {
            case .ended(let outcome):
                return outcome
            case .resume(let next, let narrow):
                start = next
                if narrow { window = 1 }
            }
        }
        return .exhausted
    }

    /// What a request in flight came back with (a struct: as a tuple holding a `Result`, the
    /// index came back corrupted from the task group in release builds with Swift 6.3.1).
    private struct Answer: Sendable {
        var index: Int
        var response: PeerHTTPResponse?
        var error: (any Error)?
    }

    private enum Step {
        case ended(Outcome)
        /// Go on from `next`; `narrow`: one request at a time from now on.
        case resume(UInt64, narrow: Bool)
    }

    /// One window from `start`: what to do next, and how many requests it sent (at most
    /// `budget`).
    private func runWindow(
        from start: UInt64, size: UInt64, window: Int, budget: Int, progress: (UInt64) -> Void
    ) async -> (Step, sent: Int) {
        let send = self.send
        var sent: [Request] = []
        let step = await withTaskGroup(of: Answer.self) { group -> Step in
            var answers: [Int: Answer] = [:]
            var answered = 0
            var next = start
            defer { group.cancelAll() }
            while true {
                while sent.count - answered < window, sent.count < budget, sent.isEmpty || next < size {
                    let request: Request
                    do {
                        request = try make(next)
                    } catch {
                        return .ended(.unreadable(start: next, error))
                    }
                    let index = sent.count
                    group.addTask {
                        do {
                            return Answer(index: index, response: try await send(request), error: nil)
                        } catch {
                            return Answer(index: index, response: nil, error: error)
                        }
                    }
                    sent.append(request)
                    next = request.end
                    if request.end == request.start { break }  // a question: wait for the answer
                }
                guard let answer = await group.next() else { return .ended(.exhausted) }
                answers[answer.index] = answer
                while let answer = answers.removeValue(forKey: answered) {
                    let request = sent[answered]
                    guard let response = answer.response else {
                        if answer.error is CancellationError { return .ended(.cancelled) }
                        return .ended(.unreachable("\(answer.error.map { "\($0)" } ?? "no answer")"))
                    }
                    switch response.status {
                    case 200:
                        return .ended(.cosigned(response))
                    case 202, 409:
                        guard let info = try? MirrorInfo(parsing: response.body) else {
                            return .ended(.noMirrorInfo(response))
                        }
                        guard info.treeSize == size else {
                            return .ended(.otherCheckpoint(info, status: response.status))
                        }
                        guard info.nextEntry <= size else { return .ended(.overclaim(info)) }
                        progress(info.nextEntry)
                        if info.nextEntry == request.end, request.end > request.start {
                            answered += 1
                            continue
                        }
                        if response.status == 409, info.nextEntry == request.start {
                            return .ended(.stalled(start: request.start, response))
                        }
                        // The answers before this one moved the next entry to its start; this one
                        // may have been decided before they were stored. A later request refused
                        // as beyond the next entry: the mirror does not hold requests back for this
                        // upload; go one at a time.
                        let confirmed = answered > 0 ? sent[answered - 1].end : 0
                        let narrow = answered > 0 && response.status == 409
                        if narrow, window > 1 {
                            narrowed("HTTP 409 to the request from \(request.start); its next entry \(info.nextEntry)")
                        }
                        return .resume(max(info.nextEntry, confirmed), narrow: narrow)
                    default:
                        return .ended(.refused(response))
                    }
                }
                if Task.isCancelled { return .ended(.cancelled) }
            }
        }
        return (step, sent.count)
    }
}
