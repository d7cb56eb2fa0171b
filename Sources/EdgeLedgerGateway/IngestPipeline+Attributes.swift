import EdgeLedgerCore
import EdgeLedgerMQTT

extension IngestPipeline {
    /// The entry attributes of an accepted reading: empty (a format-v1 entry, the hot path)
    /// unless the message or its topic's configuration supplies some. A Sparkplug B message
    /// records its group, node, device, type, `seq`, `bdSeq` and timestamp, and the payload
    /// timestamp as the device time.
    func attributes(of message: MQTTMessage, accepted: ReadingValidator.Accepted) -> EntryAttributes {
        guard let sparkplug = accepted.sparkplug else { return EntryAttributes() }
        return EntryAttributes(deviceTime: sparkplug.timestampNanoseconds, sparkplug: sparkplug.attributes)
    }

    /// Why a reading with attributes cannot become an entry (too large with them, or an
    /// attribute that does not fit its record), or `nil` when it can.
    static func sizeProblem(_ message: MQTTMessage, _ topic: String, _ attributes: EntryAttributes) -> Rejection? {
        do {
            try Entry.validate(
                qos: message.qos, topic: topic, payloadCount: message.payload.count, attributes: attributes)
            return nil
        } catch {
            return Rejection(.entryTooLarge, "\(error)")
        }
    }
}
