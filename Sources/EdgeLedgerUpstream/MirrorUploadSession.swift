import EdgeLedgerCore
import EdgeLedgerHTTP
import EdgeLedgerStore
import EdgeLedgerSystem

/// One `mirror/add-entries` request as its body arrives (used by one task): inflates, decodes,
/// checks the header, verifies and stores each package as soon as it is complete, and answers.
/// See ``Mirror/addEntries(body:gzip:client:)``.
final class MirrorUploadSession {
    /// What the header check established.
    struct Upload {
        var header: MirrorUploadHeader
        var log: WitnessedLog
        var gateway: Int64
        var pending: WitnessLogState
    }

    let mirror: Mirror
    let client: WitnessClient
    private var decoder: MirrorUploadDecoder
    private let inflater: GzipInflater?
    private(set) var upload: Upload?
    /// This request's place among the origin's uploads on this instance (``MirrorUploadQueue``).
    private var ticket: (id: Int, origin: String)?
    /// The request starts beyond the next entry and an earlier one of the origin is staging: its
    /// packages are decoded and hashed meanwhile, and staged once its turn comes (`staged`: the
    /// next entry the database showed).
    private var awaitingTurn: (start: UInt64, staged: UInt64)?
    /// The log's next entry as this request last read or staged it (`nil`: read it again). Only
    /// a hint: staging goes by compare-and-set, and a stale value costs a retry, not an entry.
    var knownStaged: UInt64?
    private var receivedBytes = 0
    /// When the request's handler started, and the time it waited for its turn and spent in the
    /// store so far (``MirrorResponse/Phases``).
    let started = ContinuousClock.now
    var turnTime = Duration.zero
    var storeTime = Duration.zero
    /// Packages verified (stored, or held already): a partial request answers 202 when any was.
    var acceptedPackages = 0
    var storedEntries: UInt64 = 0
    /// Complete packages not stored yet: stored together, in one transaction, once
    /// ``maxBufferedPackages`` or ``maxBufferedBytes`` are reached and when the request ends.
    private(set) var buffered: [MirrorHashedPackage] = []
    private var bufferedBytes = 0

    /// The most packages stored in one transaction (the pushers send 32 per request).
    static let maxBufferedPackages = 32
    /// The most entry bytes held before they are stored (a package alone may be larger).
    static let maxBufferedBytes = 4 << 20

    init(mirror: Mirror, client: WitnessClient, gzip: Bool) throws(GzipError) {
        self.mirror = mirror
        self.client = client
        self.decoder = MirrorUploadDecoder(limits: mirror.limits)
        self.inflater = gzip ? try GzipInflater(maxOutputBytes: mirror.maxRequestBytes) : nil
    }

    /// Takes the next received bytes; returns the answer when the request is decided before the
    /// body ends (refused header, refused package, bounds exceeded).
    func receive(_ bytes: [UInt8]) async -> MirrorResponse? {
        receivedBytes += bytes.count
        guard receivedBytes <= mirror.maxRequestBytes else {
            return await stop(
                .tooLarge, 413, "the request exceeds \(mirror.maxRequestBytes) bytes", refusal: "too_large")
        }
        if let inflater {
            do {
                try inflater.inflate(bytes) { (piece: UnsafeRawBufferPointer) in decoder.append(piece) }
            } catch let error as GzipError {
                let tooLarge = inflater.outputBytes > mirror.maxRequestBytes
                return await stop(
                    tooLarge ? .tooLarge : .malformed, tooLarge ? 413 : 400, error.message,
                    refusal: tooLarge ? "too_large" : "malformed")
            } catch {
                return await stop(.malformed, 400, "\(error)", refusal: "malformed")
            }
        } else {
            decoder.append(bytes)
        }
        return await drain()
    }

    /// The body ended: the answer.
    func end() async -> MirrorResponse {
        if let refusal = await takeTurn() { return refusal }
        if let upload, decoder.isComplete, let answer = await inStore({ await storeAndCommit(upload) }) {
            return answer
        }
        if let refusal = await flush() { return refusal }
        if let inflater, !inflater.finish(), receivedBytes > 0, acceptedPackages == 0, !decoder.isComplete {
            return .failure(.malformed, 400, "the gzip body ends before its end", origin: upload?.header.origin)
        }
        guard let upload else {
            return .failure(.malformed, 400, "the body ends inside the add-entries header")
        }
        guard decoder.isComplete else {
            if acceptedPackages > 0 { return await resume(.accepted, 202, "\(acceptedPackages) packages stored") }
            return .failure(
                .malformed, 400, "the body ends before the first package is complete", origin: upload.header.origin)
        }
        return await inStore { await commit(upload) }
    }

    /// Empties the buffer (its packages are being stored).
    func clearBuffer() {
        buffered.removeAll(keepingCapacity: true)
        bufferedBytes = 0
    }

    // MARK: - Decoding

    private func drain() async -> MirrorResponse? {
        while true {
            let item: MirrorUploadDecoder.Item?
            do {
                item = try decoder.next()
            } catch {
                return await stop(.malformed, 400, "malformed add-entries body: \(error.message)", refusal: "malformed")
            }
            switch item {
            case nil: return nil
            case .header(let header):
                if let refusal = await begin(header) { return refusal }
            case .package(let package):
                guard let upload else { return nil }
                buffered.append(MirrorHashedPackage(package, hasher: upload.log.hasher))
                bufferedBytes += package.entries.reduce(0) { $0 + $1.count }
                if buffered.count >= Self.maxBufferedPackages || bufferedBytes >= Self.maxBufferedBytes,
                    let refusal = await flush()
                {
                    return refusal
                }
            }
        }
    }

    /// Ends the request early: 202 when packages were stored (the partial bytes are discarded),
    /// otherwise this failure.
    private func stop(
        _ outcome: MirrorResponse.Outcome, _ status: Int, _ message: String, refusal: String
    ) async -> MirrorResponse {
        if let refusal = await flush() { return refusal }
        if acceptedPackages > 0, upload != nil {
            var response = await resume(.accepted, 202, "\(acceptedPackages) packages stored, then: \(message)")
            response.refusal = refusal
            return response
        }
        var response = MirrorResponse.failure(outcome, status, message, origin: upload?.header.origin)
        response.refusal = refusal
        return response
    }

    // MARK: - Header

    private func begin(_ header: MirrorUploadHeader) async -> MirrorResponse? {
        let origin = header.origin
        guard let log = mirror.witness.log(origin: origin) else {
            return .failure(.unknownLog, 404, "unknown log \"\(origin)\"", origin: origin)
        }
        guard log.clients.contains(where: client.matches) else {
            return .failure(
                .forbidden, 403,
                "the \(client) may not upload entries of \"\(origin)\" (list it in that gateway's witness_clients)",
                origin: origin)
        }
        let view: MirrorView
        do {
            view = try await mirror.store.mirrorView(origin: origin, uploadEnd: header.uploadEnd)
        } catch {
            return .failure(.internalError, 500, "cannot read the state of \(origin): \(error)", origin: origin)
        }
        if view.forked {
            return .failure(.forked, 422, "\"\(origin)\" is forked: the mirror takes nothing of it", origin: origin)
        }
        var staged = view.gateway?.stagedSize ?? 0
        guard let gateway = view.gateway, let pending = view.pending, header.uploadEnd >= gateway.verifiedSize else {
            return .info(
                .conflict, 409, MirrorInfo(treeSize: view.latestSize, nextEntry: staged), origin: origin,
                "upload_end \(header.uploadEnd) is not a pending checkpoint size")
        }
        let ticket = mirror.uploads.enter(
            origin: origin, start: header.uploadStart, grace: header.uploadStart < header.uploadEnd)
        self.ticket = (ticket, origin)
        if header.uploadStart > staged {
            // An earlier request of this upload may still be staging up to here: decode and hash
            // the packages meanwhile, stage them once it has (``takeTurn()``).
            switch mirror.uploads.check(ticket, origin: origin, start: header.uploadStart, staged: staged) {
            case .ready(let now)?:
                staged = now
            case .refused(let now)?:
                return beyondNextEntry(header, now)
            case nil:
                awaitingTurn = (header.uploadStart, staged)
            }
        }
        if awaitingTurn == nil { knownStaged = staged }
        upload = Upload(header: header, log: log, gateway: gateway.id, pending: pending)
        return nil
    }

    /// Waits until an earlier request has staged up to this one's start, when it began beyond
    /// the next entry; returns the 409 when none will.
    func takeTurn() async -> MirrorResponse? {
        guard let (start, staged) = awaitingTurn, let ticket, let upload else { return nil }
        awaitingTurn = nil
        let waiting = ContinuousClock.now
        let turn = await mirror.uploads.turn(ticket.id, origin: ticket.origin, start: start, staged: staged)
        turnTime += ContinuousClock.now - waiting
        switch turn {
        case .ready(let now):
            knownStaged = now
            return nil
        case .refused(let now):
            clearBuffer()
            return beyondNextEntry(upload.header, now)
        }
    }

    private func beyondNextEntry(_ header: MirrorUploadHeader, _ staged: UInt64) -> MirrorResponse {
        .info(
            .conflict, 409, MirrorInfo(treeSize: header.uploadEnd, nextEntry: staged), origin: header.origin,
            "upload_start \(header.uploadStart) is beyond the next entry \(staged)")
    }

    /// Runs `body`, a step in the store, counting its time in ``storeTime``.
    func inStore<R>(_ body: () async -> R) async -> R {
        let start = ContinuousClock.now
        defer { storeTime += ContinuousClock.now - start }
        return await body()
    }

    /// Where the request spent its time until now, when it verified a package.
    var phases: MirrorResponse.Phases? {
        guard acceptedPackages > 0 || !buffered.isEmpty || storedEntries > 0 else { return nil }
        let total = ContinuousClock.now - started
        return MirrorResponse.Phases(receive: total - turnTime - storeTime, turn: turnTime, store: storeTime)
    }

    /// The request is answered: requests of the origin waiting behind it go on or get 409.
    func leave() {
        guard let ticket else { return }
        self.ticket = nil
        mirror.uploads.leave(ticket.id, origin: ticket.origin)
    }

    /// This request staged entries up to `size` (its next entry now).
    func advanceStaged(to size: UInt64) {
        knownStaged = size
        if let origin = upload?.header.origin { mirror.uploads.advance(origin: origin, to: size) }
    }

    /// Staged entries were discarded: the next entry must be read again.
    func forgetStaged() {
        knownStaged = nil
        if let origin = upload?.header.origin { mirror.uploads.forgetStaged(origin: origin) }
    }

    /// 202 or 409 with the mirror-info of the current upload: its end, and the next entry as
    /// this request last saw or made it (read again when unknown). The next entry may have moved
    /// on meanwhile (a pull, another upload); the client then re-sends packages the mirror holds,
    /// which are verified and skipped.
    func resume(_ outcome: MirrorResponse.Outcome, _ status: Int, _ message: String) async -> MirrorResponse {
        guard let upload else { return .failure(.internalError, 500, message) }
        let origin = upload.header.origin
        var next = knownStaged
        if next == nil { next = (try? await mirror.store.gatewayState(origin: origin))?.stagedSize }
        let staged = next ?? 0
        var response = MirrorResponse.info(
            outcome, status, MirrorInfo(treeSize: upload.header.uploadEnd, nextEntry: staged), origin: origin, message)
        response.storedEntries = storedEntries
        return response
    }
}
