import CMosquitto
import EdgeLedgerSystem
import Synchronization

/// A simple MQTT publisher over libmosquitto (`mosquitto_loop_start`), for the sensor
/// simulator, the benchmarks and the tests. Not used by the agent itself.
///
/// `publish` applies back-pressure: it waits while more than `maxInflight` QoS > 0 messages
/// are unacknowledged, so memory stays bounded at any rate.
public final class MQTTPublisher: @unchecked Sendable {
    // @unchecked: libmosquitto is thread-safe for publish/disconnect once loop_start runs;
    // the counters are atomics.
    private static let libraryInit: Void = { mosquitto_lib_init() }()

    private let mosq: OpaquePointer
    private let maxInflight: Int
    private let connected = Atomic<Int>(0)  // 0 waiting, 1 connected, -1 refused
    private let sent = Atomic<Int>(0)
    private let acknowledged = Atomic<Int>(0)

    /// Creates a publisher with a clean session.
    public init(
        clientID: String, maxInflight: Int = 1000, protocolVersion: MQTTClientOptions.ProtocolVersion = .v311
    )
        throws(MQTTError)
    {
        _ = Self.libraryInit
        guard let mosq = mosquitto_new(clientID, true, nil) else {
            throw MQTTError("cannot create an MQTT publisher")
        }
        self.mosq = mosq
        self.maxInflight = max(1, maxInflight)
        _ = mosquitto_int_option(
            mosq, MOSQ_OPT_PROTOCOL_VERSION, protocolVersion == .v5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311)
        _ = mosquitto_int_option(mosq, MOSQ_OPT_SEND_MAXIMUM, Int32(clamping: maxInflight))
        _ = mosquitto_int_option(mosq, MOSQ_OPT_TCP_NODELAY, 1)
        mosquitto_user_data_set(mosq, Unmanaged.passUnretained(self).toOpaque())
        mosquitto_connect_callback_set(mosq) { _, obj, rc in
            Unmanaged<MQTTPublisher>.fromOpaque(obj!).takeUnretainedValue()
                .connected.store(rc == 0 ? 1 : -1, ordering: .sequentiallyConsistent)
        }
        mosquitto_publish_callback_set(mosq) { _, obj, _ in
            Unmanaged<MQTTPublisher>.fromOpaque(obj!).takeUnretainedValue()
                .acknowledged.add(1, ordering: .relaxed)
        }
    }

    deinit {
        mosquitto_loop_stop(mosq, true)
        mosquitto_destroy(mosq)
    }

    /// Connects (over `tls` when given) and starts the network thread; waits up to `timeout`
    /// seconds for CONNACK.
    public func connect(
        host: String, port: Int, tls: MQTTClientOptions.TLS? = nil, timeout: Double = 10
    ) throws(MQTTError) {
        if let tls {
            let rc = mosquitto_tls_set(mosq, tls.caFile, nil, tls.certFile, tls.keyFile, nil)
            guard rc == MOSQ_ERR_SUCCESS.rawValue else { throw MQTTError("configuring TLS", code: rc) }
        }
        let rc = mosquitto_connect(mosq, host, Int32(port), 30)
        guard rc == MOSQ_ERR_SUCCESS.rawValue else {
            throw MQTTError("connecting to \(host):\(port)", code: rc, hint: "is the broker running?")
        }
        guard mosquitto_loop_start(mosq) == MOSQ_ERR_SUCCESS.rawValue else {
            throw MQTTError("cannot start the publisher's network thread")
        }
        var waited = 0.0
        while connected.load(ordering: .sequentiallyConsistent) == 0 && waited < timeout {
            usleep(2000)
            waited += 0.002
        }
        guard connected.load(ordering: .sequentiallyConsistent) == 1 else {
            throw MQTTError("broker at \(host):\(port) did not accept the connection within \(timeout)s")
        }
    }

    /// Publishes one message; blocks while the in-flight window is full.
    public func publish(topic: String, payload: [UInt8], qos: UInt8, retain: Bool = false) throws(MQTTError) {
        if qos > 0 {
            while sent.load(ordering: .relaxed) - acknowledged.load(ordering: .relaxed) >= maxInflight {
                usleep(100)
            }
        }
        let rc = payload.withUnsafeBytes { buf in
            mosquitto_publish(mosq, nil, topic, Int32(buf.count), buf.baseAddress, Int32(qos), retain)
        }
        guard rc == MOSQ_ERR_SUCCESS.rawValue else { throw MQTTError("publishing to \(topic)", code: rc) }
        // on_publish fires for QoS 0 too (when written); count every message alike.
        sent.add(1, ordering: .relaxed)
    }

    /// Number of messages the broker has acknowledged (QoS 1/2) or that were written (QoS 0).
    public var acknowledgedCount: Int { acknowledged.load(ordering: .relaxed) }

    /// Waits until every published message is acknowledged; false on timeout.
    public func drain(timeout: Double = 30) -> Bool {
        var waited = 0.0
        while acknowledged.load(ordering: .relaxed) < sent.load(ordering: .relaxed) {
            if waited >= timeout { return false }
            usleep(1000)
            waited += 0.001
        }
        return true
    }

    /// Sends DISCONNECT and stops the network thread.
    public func disconnect() {
        _ = mosquitto_disconnect(mosq)
        mosquitto_loop_stop(mosq, false)
    }
}
