import CMosquitto
import EdgeLedgerSystem
import Synchronization

/// What the message handler decided; decides whether the broker gets its acknowledgement.
public enum MQTTMessageDisposition: Sendable {
    /// Stored (or deliberately rejected and recorded): let the PUBACK go out.
    case acknowledge
    /// Could not be stored: the connection is cut before the queued PUBACK can leave,
    /// so the broker keeps the reading and redelivers it after the reconnect.
    case withhold(reason: String)
}

/// An MQTT subscriber over libmosquitto that acknowledges a reading only after its handler returns.
///
/// libmosquitto queues the PUBACK of a QoS 1 PUBLISH before it calls `on_message`; when the
/// client is marked threaded the queued packet is written only after the callback returns.
/// This client runs libmosquitto's network loop on its own POSIX thread (marked threaded,
/// like `mosquitto_loop_start`, but with its own reconnect policy: exponential backoff with
/// jitter, never giving up on errors that `loop_start` treats as fatal, such as a failed DNS
/// lookup or a refused CONNACK), so the handler runs synchronously on that thread and the
/// PUBACK follows the handler's commit.
///
/// QoS 2 works the same way one step later: libmosquitto answers the PUBLISH with PUBREC at
/// once, holds the message until the broker's PUBREL, then calls `on_message` with the PUBCOMP
/// queued but unsent. So a QoS 2 reading is durable before PUBCOMP, not before PUBREC: between
/// the two (one broker round trip) it lives only in this process's memory. A handler that
/// withholds a QoS 2 reading gets it offered again after the reconnect (the broker will not
/// resend it after PUBREC), from a copy this client keeps; a process crash in that window
/// loses it. See `docs/OPERATIONS.md`, "MQTT 5".
///
/// Under MQTT 5 the client announces ``MQTTClientOptions/receiveMaximum``, reads the content
/// type and user properties of each PUBLISH on demand (``MQTTMessage``), and reports the
/// broker's reason codes and reason strings: refused connections, a DISCONNECT such as
/// 0x8E "session taken over", refused subscriptions.
///
/// The handler and the state callback are called on the network thread; they must not block
/// longer than a commit and must not call `stop()`.
public final class MQTTClient: @unchecked Sendable {
    // @unchecked: `mosq` is used from the network thread and from `stop`/`update`, which
    // libmosquitto supports in threaded mode; the other mutable state is in Mutex/Atomic.

    /// Called for each PUBLISH, on the network thread.
    public typealias MessageHandler = @Sendable (MQTTMessage) -> MQTTMessageDisposition
    /// Called once per change of connection state, and for the periodic "still retrying"
    /// reminder, on the network thread.
    public typealias StateHandler = @Sendable (MQTTConnectionState) -> Void
    /// Called with a warning worth logging that is not a state change (e.g. the broker refused
    /// or downgraded a subscription), on the network thread.
    public typealias WarningHandler = @Sendable (String) -> Void

    private static let libraryInit: Void = { mosquitto_lib_init() }()

    let options: MQTTClientOptions
    private let onMessage: MessageHandler
    private let onState: StateHandler
    let onWarning: WarningHandler
    let mosq: OpaquePointer
    private let stopping = Atomic<Bool>(false)
    private let connectedThisRound = Atomic<Bool>(false)
    private let subscriptions: Mutex<[MQTTSubscription]>
    private let lastState = Mutex<MQTTConnectionState?>(nil)
    let refusal = Mutex<String?>(nil)
    /// SUBSCRIBE packet ids awaiting their SUBACK, with what they asked for.
    let pendingSubscriptions = Mutex<[Int32: MQTTSubscription]>([:])
    /// QoS 2 readings the handler withheld: the broker will not send them again.
    let redeliveries = Mutex<[MQTTHeldMessage]>([])
    /// What libmosquitto logged about the current attempt's TLS handshake (TLS only).
    let tlsDiagnosis = Mutex(MQTTTLSDiagnosis())
    private let sleeper = InterruptibleSleeper()
    private var thread: NativeThread?

    /// Creates the client; nothing connects until `start()`.
    public init(
        options: MQTTClientOptions, onMessage: @escaping MessageHandler,
        onState: @escaping StateHandler = { _ in }, onWarning: @escaping WarningHandler = { _ in }
    ) throws(MQTTError) {
        _ = Self.libraryInit
        self.options = options
        self.onMessage = onMessage
        self.onState = onState
        self.onWarning = onWarning
        self.subscriptions = Mutex(options.subscriptions)
        guard let mosq = mosquitto_new(options.clientID, options.cleanSession, nil) else {
            throw MQTTError(
                "cannot create an MQTT client for id \"\(options.clientID)\": \(String(cString: strerror(errno)))",
                hint: "a persistent session needs a non-empty client id")
        }
        self.mosq = mosq
        try configure()
    }

    deinit {
        mosquitto_destroy(mosq)
    }

    private func configure() throws(MQTTError) {
        let version = options.protocolVersion == .v5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311
        try check(mosquitto_int_option(mosq, MOSQ_OPT_PROTOCOL_VERSION, version), "setting the protocol version")
        if options.protocolVersion == .v5 {
            try check(
                mosquitto_int_option(mosq, MOSQ_OPT_RECEIVE_MAXIMUM, Int32(max(1, options.receiveMaximum))),
                "setting the receive maximum")
        }
        _ = mosquitto_int_option(mosq, MOSQ_OPT_TCP_NODELAY, 1)
        try check(mosquitto_threaded_set(mosq, true), "marking the client threaded")
        if options.username != nil || options.password != nil {
            try check(
                mosquitto_username_pw_set(mosq, options.username, options.password), "setting username/password")
        }
        if let tls = options.tls {
            if tls.caFile == nil {
                _ = mosquitto_int_option(mosq, MOSQ_OPT_TLS_USE_OS_CERTS, 1)
            }
            try check(
                mosquitto_tls_set(mosq, tls.caFile, nil, tls.certFile, tls.keyFile, nil),
                "configuring TLS (ca_file, cert_file, key_file)",
                hint: "a file may be missing or unreadable: edge-ledger check-config names it")
        }
        mosquitto_user_data_set(mosq, Unmanaged.passUnretained(self).toOpaque())
        mosquitto_connect_v5_callback_set(mosq) { _, obj, rc, _, properties in
            MQTTClient.from(obj).handleConnect(rc, properties: properties)
        }
        mosquitto_message_v5_callback_set(mosq) { _, obj, message, properties in
            guard let message else { return }
            MQTTClient.from(obj).handleMessage(message.pointee, properties: properties)
        }
        mosquitto_disconnect_v5_callback_set(mosq) { _, obj, rc, _ in
            MQTTClient.from(obj).handleDisconnect(rc)
        }
        mosquitto_subscribe_v5_callback_set(mosq) { _, obj, mid, count, granted, _ in
            MQTTClient.from(obj).handleSubscribed(
                mid: mid, granted: UnsafeBufferPointer(start: granted, count: Int(count)))
        }
    }

    static func from(_ obj: UnsafeMutableRawPointer?) -> MQTTClient {
        Unmanaged<MQTTClient>.fromOpaque(obj!).takeUnretainedValue()
    }

    private func check(_ rc: Int32, _ what: String, hint: String? = nil) throws(MQTTError) {
        guard rc == MOSQ_ERR_SUCCESS.rawValue else { throw MQTTError(what, code: rc, hint: hint) }
    }

    /// Starts the network thread: connect, subscribe, receive, reconnect with backoff.
    public func start() throws(MQTTError) {
        let thread = NativeThread { [self] in runLoop() }
        guard thread.start() else { throw MQTTError("cannot start the MQTT network thread") }
        self.thread = thread
    }

    /// CPU time the network thread has used since ``start()``, in seconds: what waiting for a
    /// broker costs (a retry loop must not spin). Read it between ``start()`` and ``stop()``,
    /// from the thread that calls them.
    public var networkThreadCPUSeconds: Double? { thread?.cpuSeconds }

    /// Stops taking readings: the handler call in progress (if any) finishes, a DISCONNECT is
    /// sent, and the network thread ends before this returns. The broker keeps the session.
    public func stop() {
        guard !stopping.exchange(true, ordering: .sequentiallyConsistent) else { return }
        sleeper.wake()
        _ = mosquitto_disconnect(mosq)
        thread?.join()
        thread = nil
        report(.stopped)
    }

    /// Replaces the subscriptions: unsubscribes what is gone and subscribes what is new.
    public func update(subscriptions new: [MQTTSubscription]) {
        let old = subscriptions.withLock { current in
            let old = current
            current = new
            return old
        }
        for gone in old where !new.contains(where: { $0.filter == gone.filter }) {
            _ = mosquitto_unsubscribe(mosq, nil, gone.filter)
        }
        for sub in new where !old.contains(sub) {
            subscribe(sub)
        }
    }

    // MARK: - Network thread

    private func runLoop() {
        var delay = max(0.05, options.reconnectInitial)
        var first = true
        var retries = MQTTRetryTracker(interval: options.retryReportInterval)
        report(.connecting)
        while !stopping.load(ordering: .relaxed) {
            connectedThisRound.store(false, ordering: .relaxed)
            refusal.withLock { $0 = nil }
            beginTLSDiagnosis()
            var rc = first ? connect() : mosquitto_reconnect(mosq)
            first = false
            let reachedBroker = rc == MOSQ_ERR_SUCCESS.rawValue
            if reachedBroker {
                repeat {
                    rc = mosquitto_loop(mosq, 1000, 1)
                } while rc == MOSQ_ERR_SUCCESS.rawValue && !stopping.load(ordering: .relaxed)
            }
            if stopping.load(ordering: .relaxed) { break }
            let connected = connectedThisRound.load(ordering: .relaxed)
            if connected {
                delay = max(0.05, options.reconnectInitial)
                retries.connected()
            }
            let reason =
                refusal.withLock { $0 }
                ?? failureReason(rc, reachedBroker: reachedBroker, connected: connected)
            // Full jitter on the upper half: spreads a fleet's reconnects after a broker restart.
            let wait = delay / 2 + Double.random(in: 0...(delay / 2))
            let retryIn = (wait * 10).rounded() / 10
            let now = SystemClock.monotonicSeconds()
            switch retries.failed(reason: reason, now: now, retryIn: wait, wall: SystemClock.nowNanoseconds()) {
            case .report: report(.disconnected(reason: reason, retryIn: retryIn))
            case .remind(let attempts, let since):
                onState(.retrying(reason: reason, retryIn: retryIn, attempts: attempts, sinceNanoseconds: since))
            case .quiet: break
            }
            sleeper.sleep(seconds: wait)
            delay = min(delay * 2, max(options.reconnectMax, options.reconnectInitial))
        }
        // Let the DISCONNECT queued by stop() go out.
        for _ in 0..<10 where mosquitto_loop(mosq, 100, 1) == MOSQ_ERR_SUCCESS.rawValue {}
    }

    private func connect() -> Int32 {
        guard options.protocolVersion == .v5 && !options.cleanSession else {
            return mosquitto_connect_bind_v5(
                mosq, options.host, Int32(options.port), Int32(options.keepalive), nil, nil)
        }
        // MQTT 5 ends a session at disconnect unless CONNECT carries a session expiry.
        var props: OpaquePointer? = nil
        _ = mosquitto_property_add_int32(
            &props, Int32(MQTT_PROP_SESSION_EXPIRY_INTERVAL.rawValue), options.sessionExpiry)
        defer { mosquitto_property_free_all(&props) }
        return mosquitto_connect_bind_v5(mosq, options.host, Int32(options.port), Int32(options.keepalive), nil, props)
    }

    private func handleConnect(_ rc: Int32, properties: OpaquePointer?) {
        guard rc == 0 else {
            refusal.withLock { $0 = "broker refused the connection: \(connackText(rc, properties: properties))" }
            return
        }
        connectedThisRound.store(true, ordering: .relaxed)
        endTLSDiagnosis()
        guard offerHeldMessages() else { return }
        for sub in subscriptions.withLock({ $0 }) {
            subscribe(sub)
        }
        report(.connected)
    }

    private func subscribe(_ sub: MQTTSubscription) {
        var mid: Int32 = 0
        if mosquitto_subscribe(mosq, &mid, sub.filter, Int32(sub.qos)) == MOSQ_ERR_SUCCESS.rawValue {
            pendingSubscriptions.withLock { $0[mid] = sub }
        }
    }

    private func handleMessage(_ message: mosquitto_message, properties: OpaquePointer?) {
        let topicLength = message.topic.map { strlen($0) } ?? 0
        let msg = MQTTMessage(
            topic: UnsafeRawBufferPointer(start: message.topic, count: topicLength),
            payload: UnsafeRawBufferPointer(start: message.payload, count: Int(max(0, message.payloadlen))),
            qos: UInt8(clamping: message.qos), retain: message.retain,
            properties: properties.map { .list($0) } ?? .none)
        if case .withhold(let reason) = onMessage(msg) {
            // libmosquitto has answered a QoS 2 PUBLISH with PUBREC already: keep it to offer again.
            if msg.qos == 2 { redeliveries.withLock { $0.append(MQTTHeldMessage(msg)) } }
            withhold(reason)
        }
    }

    /// Cuts the connection before the queued PUBACK (PUBCOMP) can leave, so the broker keeps
    /// the reading and redelivers it after the reconnect.
    func withhold(_ reason: String) {
        let fd = mosquitto_socket(mosq)
        if fd >= 0 { _ = shutdown(fd, Int32(SHUT_RDWR)) }
        refusal.withLock { $0 = "reading not stored, acknowledgement withheld: \(reason)" }
    }

    /// Offers the withheld QoS 2 readings to the handler again, in order; stops and withholds at
    /// the first it withholds again. Returns whether all were taken.
    private func offerHeldMessages() -> Bool {
        while let held = redeliveries.withLock({ $0.first }) {
            if case .withhold(let reason) = held.offer(to: onMessage) {
                withhold(reason)
                return false
            }
            redeliveries.withLock { _ = $0.removeFirst() }
        }
        return true
    }

    private func report(_ state: MQTTConnectionState) {
        let changed = lastState.withLock { last -> Bool in
            let same: Bool
            switch (last, state) {
            case (.disconnected(let a, _), .disconnected(let b, _)): same = a == b
            default: same = last == state
            }
            last = state
            return !same
        }
        if changed { onState(state) }
    }
}
