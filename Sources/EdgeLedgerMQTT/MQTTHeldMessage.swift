import EdgeLedgerCore

/// A copy of a QoS 2 reading the handler withheld after libmosquitto had sent PUBREC: the broker
/// will not send it again, so ``MQTTClient`` offers this copy after the reconnect.
struct MQTTHeldMessage: Sendable {
    let topic: [UInt8]
    let payload: [UInt8]
    let qos: UInt8
    let retain: Bool
    let contentType: String?
    let userProperties: [EntryUserProperty]

    init(_ message: MQTTMessage) {
        topic = Array(message.topic)
        payload = Array(message.payload)
        qos = message.qos
        retain = message.retain
        contentType = message.contentType
        userProperties = message.userProperties
    }

    /// Calls `handler` with a message over this copy.
    func offer(to handler: MQTTClient.MessageHandler) -> MQTTMessageDisposition {
        topic.withUnsafeBytes { t in
            payload.withUnsafeBytes { p in
                handler(
                    MQTTMessage(
                        topic: t, payload: p, qos: qos, retain: retain,
                        properties: contentType == nil && userProperties.isEmpty
                            ? .none : .copied(contentType: contentType, userProperties: userProperties)))
            }
        }
    }
}
