/// The broker connection and subscriptions (`[mqtt]`).
public struct MQTTConfiguration: Sendable, Equatable {
    /// MQTT protocol revision.
    public enum ProtocolVersion: String, Sendable, Equatable, CaseIterable {
        /// MQTT 3.1.1 (`protocol = "3.1.1"`), the default.
        case v311 = "3.1.1"
        /// MQTT 5 (`protocol = "5"`).
        case v5 = "5"
    }

    /// Broker host name or address. Default `localhost`.
    public var host: String
    /// Broker port. Default 1883, or 8883 when ``tls`` is set.
    public var port: UInt16
    /// Fixed client identifier; the broker keeps the session (and queues readings) under it
    /// while the agent is away. Required.
    public var clientID: String
    /// Protocol revision. Default 3.1.1.
    public var protocolVersion: ProtocolVersion
    /// Keepalive interval, whole seconds, 5s...18h. Default 30s.
    public var keepalive: Duration
    /// User name, if the broker requires one.
    public var username: String?
    /// Password (`password` or `password_env`); requires ``username``.
    public var password: ConfigSecret?
    /// Start a new session on every connect, discarding readings queued while the agent was
    /// away. Default false; true loses readings and is for tests only.
    public var cleanSession: Bool
    /// MQTT 5 session expiry interval: how long the broker keeps the agent's session (its
    /// subscriptions and queued readings) after a disconnect. Default ``defaultSessionExpiry``
    /// (7 days); `nil` (`"never"`) asks the broker to keep it forever (0xFFFFFFFF). Ignored by
    /// MQTT 3.1.1, where sessions do not expire.
    public var sessionExpiry: Duration?
    /// MQTT 5 receive maximum: QoS 1/2 readings the broker may send before the agent has
    /// acknowledged them. Default ``defaultReceiveMaximum``. Only with protocol 5.
    public var receiveMaximum: Int
    /// A device time (``MQTTTopicConfiguration/deviceTime``) further than this from the receive
    /// time is counted and logged as skewed; it is still recorded, and never reorders the log.
    /// Default 5 minutes.
    public var deviceTimeMaxSkew: Duration
    /// TLS settings; `nil` connects in plaintext.
    public var tls: TLSClientConfiguration?
    /// Reconnect backoff. Default 1s doubling to 60s.
    public var reconnect: BackoffConfiguration
    /// Subscriptions; at least one, no two overlapping.
    public var topics: [MQTTTopicConfiguration]

    /// The default ``sessionExpiry``: 7 days, longer than any outage the broker's queue should
    /// cover, short enough that a retired agent's session does not stay on the broker forever.
    public static let defaultSessionExpiry: Duration = .seconds(7 * 86_400)
    /// The default ``receiveMaximum`` (see `docs/CONFIGURATION.md` for how it was chosen).
    public static let defaultReceiveMaximum = 256

    /// Creates broker settings; `port` defaults to 1883, or 8883 with TLS.
    public init(
        host: String = "localhost", port: UInt16? = nil, clientID: String,
        protocolVersion: ProtocolVersion = .v311, keepalive: Duration = .seconds(30), username: String? = nil,
        password: ConfigSecret? = nil, cleanSession: Bool = false,
        sessionExpiry: Duration? = MQTTConfiguration.defaultSessionExpiry,
        receiveMaximum: Int = MQTTConfiguration.defaultReceiveMaximum, deviceTimeMaxSkew: Duration = .seconds(300),
        tls: TLSClientConfiguration? = nil,
        reconnect: BackoffConfiguration = BackoffConfiguration(initial: .seconds(1), max: .seconds(60)),
        topics: [MQTTTopicConfiguration]
    ) {
        self.host = host
        self.port = port ?? (tls == nil ? 1883 : 8883)
        self.clientID = clientID
        self.protocolVersion = protocolVersion
        self.keepalive = keepalive
        self.username = username
        self.password = password
        self.cleanSession = cleanSession
        self.sessionExpiry = sessionExpiry
        self.receiveMaximum = receiveMaximum
        self.deviceTimeMaxSkew = deviceTimeMaxSkew
        self.tls = tls
        self.reconnect = reconnect
        self.topics = topics
    }

    init(reading r: ConfigTableReader) {
        let d = MQTTConfiguration(clientID: "", topics: [])
        var host = r.string("host") ?? d.host
        if host.hasPrefix("["), host.hasSuffix("]"), host.count > 2 { host = String(host.dropFirst().dropLast()) }
        if let problem = HostPort.problem(withHost: host) {
            r.error("host", "\(problem), got \(ConfigValue.quote(host))")
            host = d.host
        }
        let port = r.has("port") ? UInt16(r.integer("port", default: 1883, in: 1...65535)) : nil

        let clientID = r.requiredString("client_id") ?? ""
        if clientID.utf8.count > 256 || clientID.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f })
        {
            r.error("client_id", "expected at most 256 bytes without control characters")
        }
        let version = r.choice(
            "protocol", default: d.protocolVersion, ProtocolVersion.allCases.map { ($0.rawValue, $0) })
        var keepalive = r.duration("keepalive", default: d.keepalive, in: .seconds(5)...(.seconds(65_535)))
        if keepalive.components.attoseconds != 0 {
            r.error("keepalive", "must be a whole number of seconds, got \"\(ConfigDuration.format(keepalive))\"")
            keepalive = d.keepalive
        }
        let username = r.string("username")
        let password = r.secret("password")
        if password != nil, username == nil {
            r.error("password", "a password requires a username (MQTT sends no password without a user name)")
        }
        let cleanSession = r.bool("clean_session", default: d.cleanSession)
        if cleanSession {
            r.warn("clean_session", "true discards readings the broker queued while the agent was away")
        }
        var sessionExpiry: Duration? = d.sessionExpiry
        if r.has("session_expiry") {
            if case .v311 = version {
                r.error("session_expiry", "only applies to protocol = \"5\"")
            }
            if r.value("session_expiry") == .string("never") {
                sessionExpiry = nil
            } else {
                sessionExpiry = r.duration(
                    "session_expiry", default: .seconds(0), in: .seconds(0)...(.seconds(4_294_967_294)))
                if sessionExpiry?.components.attoseconds != 0 {
                    r.error(
                        "session_expiry",
                        "must be a whole number of seconds or \"never\", got \"\(ConfigDuration.format(sessionExpiry!))\""
                    )
                    sessionExpiry = d.sessionExpiry
                }
            }
        }
        var receiveMaximum = d.receiveMaximum
        if r.has("receive_maximum") {
            if case .v311 = version {
                r.error(
                    "receive_maximum",
                    "only applies to protocol = \"5\" (with 3.1.1 the broker's own limit applies, e.g. mosquitto's max_inflight_messages)"
                )
            }
            receiveMaximum = r.integer("receive_maximum", default: d.receiveMaximum, in: 1...65_535)
        }
        let deviceTimeMaxSkew = r.duration(
            "device_time_max_skew", default: d.deviceTimeMaxSkew, in: .milliseconds(1)...(.seconds(366 * 86_400)))
        let tlsReader = r.optionalTable("tls")
        let tls = tlsReader.map(TLSClientConfiguration.init(reading:))
        let reconnect = BackoffConfiguration(reading: r.table("reconnect"), defaults: d.reconnect)

        let issuesBefore = r.context.issues.count
        let topicReaders = r.tableArray("topics")
        var topics: [MQTTTopicConfiguration] = []
        var topicPaths: [String] = []
        for tr in topicReaders {
            guard let topic = MQTTTopicConfiguration.read(tr) else { continue }
            if let j = topics.firstIndex(where: { $0.filter.overlaps(topic.filter) }) {
                let other = topics[j].filter
                let what =
                    other == topic.filter
                    ? "duplicates \(topicPaths[j]) (\(ConfigValue.quote(other.text)))"
                    : "overlaps \(topicPaths[j]) (\(ConfigValue.quote(other.text))): a reading matching both would be delivered twice"
                tr.error("filter", what)
            }
            topics.append(topic)
            topicPaths.append(tr.path(of: "filter"))
        }
        if topicReaders.isEmpty, r.context.issues.count == issuesBefore {
            r.error("topics", "at least one [[mqtt.topics]] entry is required")
        }

        self.init(
            host: host, port: port, clientID: clientID, protocolVersion: version, keepalive: keepalive,
            username: username, password: password, cleanSession: cleanSession, sessionExpiry: sessionExpiry,
            receiveMaximum: receiveMaximum, deviceTimeMaxSkew: deviceTimeMaxSkew, tls: tls, reconnect: reconnect,
            topics: topics)
        if tls == nil, password != nil, !HostPort(host: host, port: self.port).isLoopback {
            r.warn("password", "sent in plaintext to a non-loopback broker; add [mqtt.tls]")
        }
        r.finish()
    }
}
