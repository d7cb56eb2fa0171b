/// How to reach and talk to the broker.
public struct MQTTClientOptions: Sendable {
    /// MQTT protocol revision.
    public enum ProtocolVersion: Sendable { case v311, v5 }

    /// TLS settings for the broker connection (libmosquitto uses OpenSSL).
    public struct TLS: Sendable {
        /// PEM file of the CA certificates to trust; `nil` uses the system store.
        public var caFile: String?
        /// Client certificate (PEM) for mutual TLS.
        public var certFile: String?
        /// Client private key (PEM) for mutual TLS.
        public var keyFile: String?

        public init(caFile: String? = nil, certFile: String? = nil, keyFile: String? = nil) {
            self.caFile = caFile
            self.certFile = certFile
            self.keyFile = keyFile
        }
    }

    public var host: String
    public var port: Int
    /// Fixed client id: with `cleanSession == false` the broker keeps the session and
    /// queues QoS 1/2 readings while the agent is away.
    public var clientID: String
    public var protocolVersion: ProtocolVersion
    /// Keepalive in seconds.
    public var keepalive: Int
    public var username: String?
    public var password: String?
    public var tls: TLS?
    public var cleanSession: Bool
    /// MQTT v5 session expiry (seconds) sent with CONNECT when `cleanSession` is false;
    /// `UInt32.max` asks the broker to keep the session forever.
    public var sessionExpiry: UInt32
    /// MQTT v5 receive maximum announced in CONNECT (1...65535): how many QoS 1/2 readings the
    /// broker may have sent and not yet had acknowledged. Ignored by MQTT 3.1.1 (the broker's
    /// own setting applies, mosquitto's `max_inflight_messages`).
    public var receiveMaximum: UInt16
    /// First reconnect delay in seconds; doubles per failed attempt up to `reconnectMax`.
    public var reconnectInitial: Double
    /// Cap of the reconnect delay in seconds.
    public var reconnectMax: Double
    public var subscriptions: [MQTTSubscription]
    /// Seconds between "still retrying" reminders while the same connection failure repeats
    /// (``MQTTConnectionState/retrying(reason:retryIn:attempts:sinceNanoseconds:)``); 0 or less: none.
    public var retryReportInterval: Double

    public init(
        host: String, port: Int, clientID: String, protocolVersion: ProtocolVersion = .v311,
        keepalive: Int = 30, username: String? = nil, password: String? = nil, tls: TLS? = nil,
        cleanSession: Bool = false, sessionExpiry: UInt32 = UInt32.max, receiveMaximum: UInt16 = 20,
        reconnectInitial: Double = 1, reconnectMax: Double = 60, subscriptions: [MQTTSubscription] = [],
        retryReportInterval: Double = 60
    ) {
        self.host = host
        self.port = port
        self.clientID = clientID
        self.protocolVersion = protocolVersion
        self.keepalive = keepalive
        self.username = username
        self.password = password
        self.tls = tls
        self.cleanSession = cleanSession
        self.sessionExpiry = sessionExpiry
        self.receiveMaximum = receiveMaximum
        self.reconnectInitial = reconnectInitial
        self.reconnectMax = reconnectMax
        self.subscriptions = subscriptions
        self.retryReportInterval = retryReportInterval
    }
}
