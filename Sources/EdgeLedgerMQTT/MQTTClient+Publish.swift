import CMosquitto

extension MQTTClient {
    /// Queues one message on the agent's own connection (the Sparkplug rebirth command) and
    /// returns at once: libmosquitto's network thread sends it; nothing here waits for the
    /// socket, so the message handler may call it. QoS 0 is lost while disconnected.
    ///
    /// - Returns: `nil` when queued, else why not (e.g. "the client is not connected").
    @discardableResult
    public func publish(topic: String, payload: [UInt8], qos: UInt8 = 0, retain: Bool = false) -> String? {
        let rc = payload.withUnsafeBytes { buf in
            mosquitto_publish(mosq, nil, topic, Int32(buf.count), buf.baseAddress, Int32(min(qos, 2)), retain)
        }
        guard rc != MOSQ_ERR_SUCCESS.rawValue else { return nil }
        return String(cString: mosquitto_strerror(rc))
    }
}
