import EdgeLedgerCore
import EdgeLedgerMQTT
import Logging

extension IngestPipeline {
    /// The entry attributes of an accepted reading: the MQTT 5 content type and user properties,
    /// the device time when its topic configures `device_time`, and for a Sparkplug B message its
    /// group, node, device, type, `seq`, `bdSeq` and timestamp, the payload timestamp being the
    /// device time. Empty — a format-v1 entry, at the cost of three checks — when the message
    /// has no properties, the topic no `device_time` and the format is not `sparkplug_b`.
    func attributes(
        of message: MQTTMessage, accepted: ReadingValidator.Accepted, receivedAt: Int64
    ) -> EntryAttributes {
        guard message.hasProperties || accepted.deviceTimeMember != nil || accepted.sparkplug != nil else {
            return EntryAttributes()
        }
        var attributes = EntryAttributes()
        if message.hasProperties {
            attributes.contentType = message.contentType.flatMap { $0.isEmpty ? nil : $0 }
            attributes.userProperties = message.userProperties
        }
        if let sparkplug = accepted.sparkplug {
            attributes.sparkplug = sparkplug.attributes
            attributes.deviceTime = sparkplug.timestampNanoseconds.map {
                checkedSkew($0, topic: accepted.topic, receivedAt: receivedAt)
            }
        } else if let member = accepted.deviceTimeMember {
            attributes.deviceTime = deviceTime(member, of: message, topic: accepted.topic, receivedAt: receivedAt)
        }
        return attributes
    }

    /// The device time read from the payload, counting and logging (rate-limited per topic)
    /// one that is unreadable or further than the bound from the receive time. Never rejects.
    private func deviceTime(_ member: [UInt8], of message: MQTTMessage, topic: String, receivedAt: Int64) -> Int64? {
        switch DeviceTime.read(member: member, from: message.payload) {
        case .failure(let problem):
            statistics.deviceTimeUnreadable.add(1, ordering: .relaxed)
            metrics?.deviceTimeUnreadable.increment()
            warn(
                topic: topic, reason: "device_time_\(problem.rawValue)",
                "reading without a readable device time: stored with its receive time only",
                ["member": "\(String(decoding: member, as: UTF8.self))", "problem": "\(problem.rawValue)"])
            return nil
        case .success(let time):
            return checkedSkew(time, topic: topic, receivedAt: receivedAt)
        }
    }

    /// `time`, after counting and logging (rate-limited per topic) a device time further than the
    /// bound from the receive time: recorded as sent, never used to reorder the log.
    private func checkedSkew(_ time: Int64, topic: String, receivedAt: Int64) -> Int64 {
        let skew = time.subtractingReportingOverflow(receivedAt)
        let bound = deviceTimeMaxSkew.load(ordering: .relaxed)
        if skew.overflow || skew.partialValue.magnitude > bound.magnitude {
            let value = skew.overflow ? (time > receivedAt ? Int64.max : Int64.min) : skew.partialValue
            statistics.deviceTimeSkewed.add(1, ordering: .relaxed)
            statistics.lastSkew.withLock { $0 = (topic, value) }
            metrics?.deviceTimeSkewed.increment()
            warn(
                topic: topic, reason: "device_time_skewed",
                "device time far from the receive time: recorded as sent, the log keeps the receive order",
                [
                    "skew": "\(IngestStatistics.describe(skew: value))",
                    "device_time": "\(RFC3339.string(nanoseconds: time))",
                ])
        }
        return time
    }

    private func warn(topic: String, reason: String, _ message: String, _ metadata: Logger.Metadata) {
        guard let suppressed = rejectLog.withLock({ $0 }).admit(topic: topic, reason: reason) else { return }
        var metadata = metadata
        metadata["topic"] = "\(topic)"
        metadata["suppressed_since_last"] = "\(suppressed)"
        logBudget.log(.warning, kind: "device time", "\(message)", metadata: metadata, logger: logger)
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
