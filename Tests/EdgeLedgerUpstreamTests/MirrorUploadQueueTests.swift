import Testing

@testable import EdgeLedgerUpstream

@Suite("Mirror: overlapping uploads of one origin wait for their turn")
struct MirrorUploadQueueTests {
    static let origin = "test.example/gw-1"

    @Test("a request ahead of the next entry goes on once an earlier upload stages up to it")
    func waitsForEarlier() async {
        let queue = MirrorUploadQueue(maxWait: .seconds(30))
        let first = queue.enter(origin: Self.origin, start: 0)
        let second = queue.enter(origin: Self.origin, start: 8192)
        async let turn = queue.turn(second, origin: Self.origin, start: 8192, staged: 0)
        try? await Task.sleep(for: .milliseconds(50))
        queue.advance(origin: Self.origin, to: 4096)  // not there yet
        try? await Task.sleep(for: .milliseconds(50))
        queue.advance(origin: Self.origin, to: 8192)
        #expect(await turn == .ready(staged: 8192))
        queue.leave(first, origin: Self.origin)
        queue.leave(second, origin: Self.origin)
    }

    @Test("without an earlier upload in progress, a request ahead is refused at once (C2SP's 409)")
    func refusedWithoutEarlier() async {
        let queue = MirrorUploadQueue(maxWait: .seconds(30))
        let only = queue.enter(origin: Self.origin, start: 8192)
        // An upload of another origin, or one starting above, does not count.
        let other = queue.enter(origin: "test.example/gw-2", start: 0)
        let later = queue.enter(origin: Self.origin, start: 16384)
        #expect(await queue.turn(only, origin: Self.origin, start: 8192, staged: 100) == .refused(staged: 100))
        // One at or below the next entry goes on at once.
        #expect(await queue.turn(later, origin: Self.origin, start: 16384, staged: 16384) == .ready(staged: 16384))
        for (ticket, origin) in [(only, Self.origin), (other, "test.example/gw-2"), (later, Self.origin)] {
            queue.leave(ticket, origin: origin)
        }
    }

    @Test("when the earlier upload ends short of it, each request behind it is refused in turn")
    func earlierEndsShort() async {
        let queue = MirrorUploadQueue(maxWait: .seconds(30))
        let first = queue.enter(origin: Self.origin, start: 0)
        let second = queue.enter(origin: Self.origin, start: 8192)
        let third = queue.enter(origin: Self.origin, start: 16384)
        async let secondTurn = queue.turn(second, origin: Self.origin, start: 8192, staged: 0)
        async let thirdTurn = queue.turn(third, origin: Self.origin, start: 16384, staged: 0)
        try? await Task.sleep(for: .milliseconds(50))
        queue.advance(origin: Self.origin, to: 2048)
        // The first request was cut after 2048 entries: the second has nothing left to wait for.
        queue.leave(first, origin: Self.origin)
        #expect(await secondTurn == .refused(staged: 2048))
        // The third waited behind the second, not only the first.
        queue.leave(second, origin: Self.origin)
        #expect(await thirdTurn == .refused(staged: 2048))
        queue.leave(third, origin: Self.origin)
    }

    @Test("at most maxWaiting requests of an origin wait; the next is refused at once", .timeLimit(.minutes(1)))
    func boundedInNumber() async throws {
        let queue = MirrorUploadQueue(maxWaiting: 1, maxWait: .seconds(3600))
        let first = queue.enter(origin: Self.origin, start: 0)
        let second = queue.enter(origin: Self.origin, start: 8192)
        let third = queue.enter(origin: Self.origin, start: 16384)
        async let secondTurn = queue.turn(second, origin: Self.origin, start: 8192, staged: 0)
        try #require(await WitnessPusherTests.eventually { queue.requests(origin: Self.origin).waiting == 1 })
        // One is waiting already: the next is refused without waiting (else: an hour).
        #expect(await queue.turn(third, origin: Self.origin, start: 16384, staged: 0) == .refused(staged: 0))
        queue.advance(origin: Self.origin, to: 8192)
        #expect(await secondTurn == .ready(staged: 8192))
        for ticket in [first, second, third] { queue.leave(ticket, origin: Self.origin) }
        #expect(queue.requests(origin: Self.origin) == (0, 0))
    }

    @Test("a wait ends after maxWait with a refusal", .timeLimit(.minutes(1)))
    func boundedInTime() async {
        let queue = MirrorUploadQueue(maxWaiting: 8, maxWait: .milliseconds(200))
        let first = queue.enter(origin: Self.origin, start: 0)
        let second = queue.enter(origin: Self.origin, start: 8192)
        let clock = ContinuousClock()
        let began = clock.now
        #expect(await queue.turn(second, origin: Self.origin, start: 8192, staged: 0) == .refused(staged: 0))
        #expect(clock.now - began >= .milliseconds(200))
        queue.leave(first, origin: Self.origin)
        queue.leave(second, origin: Self.origin)
    }

    @Test(
        "a request carrying packages waits its grace for an earlier one to arrive (out of order), then is refused",
        .timeLimit(.minutes(1)))
    func grace() async throws {
        // The second request of a window arrives first; the first follows within the grace.
        let queue = MirrorUploadQueue(maxWait: .seconds(3600), grace: .seconds(20))
        let second = queue.enter(origin: Self.origin, start: 8192, grace: true)
        async let secondTurn = queue.turn(second, origin: Self.origin, start: 8192, staged: 0)
        try #require(await WitnessPusherTests.eventually { queue.requests(origin: Self.origin).waiting == 1 })
        let first = queue.enter(origin: Self.origin, start: 0, grace: true)
        queue.advance(origin: Self.origin, to: 8192)
        #expect(await secondTurn == .ready(staged: 8192))
        queue.leave(first, origin: Self.origin)
        queue.leave(second, origin: Self.origin)
        // Without an earlier request ever arriving: refused once the grace is over, not after
        // maxWait (an hour).
        let short = MirrorUploadQueue(maxWait: .seconds(3600), grace: .milliseconds(200))
        let clock = ContinuousClock()
        let began = clock.now
        let lone = short.enter(origin: Self.origin, start: 90_000, grace: true)
        #expect(await short.turn(lone, origin: Self.origin, start: 90_000, staged: 0) == .refused(staged: 0))
        #expect(clock.now - began >= .milliseconds(200))
        short.leave(lone, origin: Self.origin)
    }

    @Test("a cancelled wait ends at once")
    func cancelled() async {
        let queue = MirrorUploadQueue(maxWait: .seconds(30))
        let first = queue.enter(origin: Self.origin, start: 0)
        let second = queue.enter(origin: Self.origin, start: 8192)
        let task = Task { await queue.turn(second, origin: Self.origin, start: 8192, staged: 0) }
        try? await Task.sleep(for: .milliseconds(50))
        task.cancel()
        #expect(await task.value == .refused(staged: 0))
        queue.leave(first, origin: Self.origin)
        queue.leave(second, origin: Self.origin)
    }
}
