import CMosquitto
import EdgeLedgerSystem

extension MQTTClient {
    /// An MQTT 5 reason code as the log shows it: `Session taken over (reason code 0x8E)`.
    static func reasonText(_ code: Int32) -> String {
        let hex = String(UInt8(truncatingIfNeeded: code), radix: 16, uppercase: true)
        return "\(String(cString: mosquitto_reason_string(code))) (reason code 0x\(hex.count == 1 ? "0" : "")\(hex))"
    }

    /// The broker's reason string property, if it sent one.
    static func reasonString(_ properties: OpaquePointer?) -> String? {
        properties.flatMap { MQTTMessage.stringProperty($0, MQTT_PROP_REASON_STRING) }
    }

    /// What to do about a refusal or a disconnect with this reason code, when there is advice.
    static func advice(_ code: Int32) -> String? {
        switch code {
        case 0x85: "the broker does not accept mqtt.client_id"
        case 0x86: "check mqtt.username and the password"
        case 0x87: "the broker's access control does not let this user connect or subscribe"
        case 0x8A: "the broker has banned this client"
        case 0x8E:
            "another client connected with the same mqtt.client_id: give every agent (and every other program) its own client id"
        case 0x97: "a broker quota is exceeded"
        case 0x9F: "the broker limits the connection rate; the agent backs off"
        default: nil
        }
    }

    /// The text of a refused CONNACK: MQTT 5 reason code, reason string and advice, or the
    /// MQTT 3.1.1 return code's text.
    func connackText(_ rc: Int32, properties: OpaquePointer?) -> String {
        guard options.protocolVersion == .v5 else { return String(cString: mosquitto_connack_string(rc)) }
        return Self.describe(rc, properties: properties)
    }

    static func describe(_ code: Int32, properties: OpaquePointer?) -> String {
        var text = reasonText(code)
        if let reason = reasonString(properties) { text += ": \"\(reason)\"" }
        if let advice = advice(code) { text += " — \(advice)" }
        return text
    }

    /// On the network thread: the connection ended. An MQTT 5 DISCONNECT from the broker carries
    /// a reason code ≥ 0x80 (libmosquitto's own error codes are small numbers); it becomes the
    /// reason the reconnect reports. (libmosquitto 2.0 does not pass the DISCONNECT's
    /// properties, so its reason string cannot be shown.)
    func handleDisconnect(_ rc: Int32) {
        guard options.protocolVersion == .v5, rc >= 0x80 else { return }
        let text = "broker closed the connection: \(Self.describe(rc, properties: nil))"
        refusal.withLock { current in
            if current == nil { current = text }
        }
    }

    /// On the network thread: a SUBACK. A refused subscription (reason code ≥ 0x80) or a granted
    /// QoS below the one asked for is worth a warning: readings on that filter are lost or
    /// delivered with less assurance.
    func handleSubscribed(mid: Int32, granted: UnsafeBufferPointer<Int32>) {
        guard let sub = pendingSubscriptions.withLock({ $0.removeValue(forKey: mid) }), let code = granted.first else {
            return
        }
        if code >= 0x80 {
            onWarning(
                "the broker refused the subscription to \"\(sub.filter)\": \(Self.describe(code, properties: nil))")
        } else if code < Int32(sub.qos) {
            onWarning("the broker granted QoS \(code) for \"\(sub.filter)\", below the QoS \(sub.qos) asked for")
        }
    }
}
