import CMosquitto
import EdgeLedgerCore
import EdgeLedgerSystem

/// One PUBLISH received from the broker, valid only for the duration of the handler call.
///
/// The topic and payload point into libmosquitto's buffers, so the hot path can encode
/// and hash them without copying. Copy what must outlive the call; never store the buffers.
/// MQTT 5 properties are read only when asked for (``contentType``, ``userProperties``): a
/// PUBLISH without properties costs nothing more than under MQTT 3.1.1.
public struct MQTTMessage {
    /// The topic bytes as received (not guaranteed to be valid UTF-8: validate before use).
    public let topic: UnsafeRawBufferPointer
    /// The payload bytes.
    public let payload: UnsafeRawBufferPointer
    /// Delivery QoS (0, 1 or 2).
    public let qos: UInt8
    /// The retain flag.
    public let retain: Bool
    /// The MQTT 5 properties: libmosquitto's list (valid during the call), or a copy of the
    /// recorded ones for a QoS 2 reading offered again.
    let properties: Properties

    enum Properties {
        case none
        case list(OpaquePointer)
        case copied(contentType: String?, userProperties: [EntryUserProperty])
    }

    init(
        topic: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer, qos: UInt8, retain: Bool,
        properties: Properties = .none
    ) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
        self.properties = properties
    }

    /// Whether the PUBLISH carried any MQTT 5 property (not necessarily one the ledger records).
    public var hasProperties: Bool {
        if case .none = properties { return false }
        return true
    }

    /// The MQTT 5 content type property, if any.
    public var contentType: String? {
        switch properties {
        case .none: return nil
        case .copied(let contentType, _): return contentType
        case .list(let list): return Self.stringProperty(list, MQTT_PROP_CONTENT_TYPE)
        }
    }

    /// The first string property `identifier` in libmosquitto's property `list`, if any.
    static func stringProperty(_ list: OpaquePointer, _ identifier: mqtt5_property) -> String? {
        var value: UnsafeMutablePointer<CChar>? = nil
        guard mosquitto_property_read_string(list, Int32(identifier.rawValue), &value, false) != nil, let value
        else { return nil }
        defer { free(value) }
        return String(cString: value)
    }

    /// The MQTT 5 user properties, in the order sent (names may repeat).
    public var userProperties: [EntryUserProperty] {
        switch properties {
        case .none: return []
        case .copied(_, let userProperties): return userProperties
        case .list(let list):
            var result: [EntryUserProperty] = []
            var name: UnsafeMutablePointer<CChar>? = nil
            var value: UnsafeMutablePointer<CChar>? = nil
            let identifier = Int32(MQTT_PROP_USER_PROPERTY.rawValue)
            var at = mosquitto_property_read_string_pair(list, identifier, &name, &value, false)
            while at != nil {
                if let name, let value {
                    result.append(EntryUserProperty(name: String(cString: name), value: String(cString: value)))
                }
                free(name)
                free(value)
                name = nil
                value = nil
                at = mosquitto_property_read_string_pair(at, identifier, &name, &value, true)
            }
            return result
        }
    }
}
