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

    private static let libraryInit: Void = { mosquitto_lib_init() }()

    let options: MQTTClientOptions
    private let onMessage: MessageHandler
    private let onState: StateHandler
    let mosq: OpaquePointer
    private let stopping = Atomic<Bool>(false)
    private let connectedThisRound = Atomic<Bool>(false)
    private let subscriptions: Mutex<[MQTTSubscription]>
    private let lastState = Mutex<MQTTConnectionState?>(nil)
    private let refusal = Mutex<String?>(nil)
    /// What libmosquitto logged about the current attempt's TLS handshake (TLS only).
    let tlsDiagnosis = Mutex(MQTTTLSDiagnosis())
    private let sleeper = InterruptibleSleeper()
    private var thread: NativeThread?

    /// Creates the client; nothing connects until `start()`.
    public init(
        options: MQTTClientOptions, onMessage: @escaping MessageHandler,
        onState: @escaping StateHandler = { _ in }
    ) throws(MQTTError) {
        _ = Self.libraryInit
        self.options = options
        self.onMessage = onMessage
        self.onState = onState
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
        mosquitto_connect_v5_callback_set(mosq) { _, obj, rc, _, _ in
            MQTTClient.from(obj).handleConnect(rc)
        }
        mosquitto_message_callback_set(mosq) { _, obj, message in
            guard let message else { return }
            MQTTClient.from(obj).handleMessage(message.pointee)
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
            _ = mosquitto_subscribe(mosq, nil, sub.filter, Int32(Self.effectiveQoS(sub.qos)))
        }
    }

    /// QoS 2 subscriptions are served at QoS 1: libmosquitto answers an incoming QoS 2
    /// PUBLISH with PUBREC before handing it over (on PUBREL), so a crash in between would lose
    /// it. QoS 1 with acknowledge-after-store loses nothing; duplicates are counted instead.
    public static func effectiveQoS(_ requested: UInt8) -> UInt8 { min(requested, 1) }

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

    private func handleConnect(_ rc: Int32) {
        guard rc == 0 else {
            let text = String(cString: mosquitto_connack_string(rc))
            refusal.withLock { $0 = "broker refused the connection: \(text)" }
            return
        }
        connectedThisRound.store(true, ordering: .relaxed)
        endTLSDiagnosis()
        for sub in subscriptions.withLock({ $0 }) {
            _ = mosquitto_subscribe(mosq, nil, sub.filter, Int32(Self.effectiveQoS(sub.qos)))
        }
        report(.connected)
    }

    private func handleMessage(_ message: mosquitto_message) {
        let topicLength = message.topic.map { strlen($0) } ?? 0
        let msg = MQTTMessage(
            topic: UnsafeRawBufferPointer(start: message.topic, count: topicLength),
            payload: UnsafeRawBufferPointer(start: message.payload, count: Int(max(0, message.payloadlen))),
            qos: UInt8(clamping: message.qos), retain: message.retain)
        if case .withhold(let reason) = onMessage(msg) {
            // The PUBACK is queued but unsent: cutting the socket now means it never leaves.
            let fd = mosquitto_socket(mosq)
            if fd >= 0 { _ = shutdown(fd, Int32(SHUT_RDWR)) }
            refusal.withLock { $0 = "reading not stored, acknowledgement withheld: \(reason)" }
        }
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
