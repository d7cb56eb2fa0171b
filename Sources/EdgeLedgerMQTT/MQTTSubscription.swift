/// One topic filter to subscribe to, with the maximum QoS requested from the broker.
public struct MQTTSubscription: Sendable, Hashable {
    /// An MQTT topic filter; `+` and `#` wildcards allowed.
    public var filter: String
    /// Requested QoS 0...2.
    public var qos: UInt8

    public init(filter: String, qos: UInt8) {
        self.filter = filter
        self.qos = qos
    }
}
