/// One PUBLISH received from the broker, valid only for the duration of the handler call.
///
/// The topic and payload point into libmosquitto's buffers, so the hot path can encode
/// and hash them without copying. Copy what must outlive the call; never store the buffers.
public struct MQTTMessage {
    /// The topic bytes as received (not guaranteed to be valid UTF-8: validate before use).
    public let topic: UnsafeRawBufferPointer
    /// The payload bytes.
    public let payload: UnsafeRawBufferPointer
    /// Delivery QoS (0, 1 or 2).
    public let qos: UInt8
    /// The retain flag.
    public let retain: Bool

    init(topic: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer, qos: UInt8, retain: Bool) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
    }
}
