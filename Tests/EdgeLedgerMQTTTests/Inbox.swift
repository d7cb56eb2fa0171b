import EdgeLedgerMQTT
import Foundation
import Synchronization

/// Collects what the client hands to its handler, thread-safely.
final class Inbox: Sendable {
    let messages = Mutex<[(topic: String, payload: [UInt8], qos: UInt8)]>([])
    let states = Mutex<[MQTTConnectionState]>([])
    let withholdNext = Atomic<Int>(0)

    func handle(_ m: MQTTMessage) -> MQTTMessageDisposition {
        if withholdNext.load(ordering: .relaxed) > 0 {
            withholdNext.subtract(1, ordering: .relaxed)
            return .withhold(reason: "test: store unavailable")
        }
        let entry = (String(decoding: m.topic, as: UTF8.self), Array(m.payload), m.qos)
        messages.withLock { $0.append(entry) }
        return .acknowledge
    }

    var count: Int { messages.withLock { $0.count } }

    func wait(for n: Int, timeout: Double = 20) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while count < n && Date() < deadline { usleep(5_000) }
        return count >= n
    }

    func waitConnected(timeout: Double = 10) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if states.withLock({ $0.last }) == .connected { return true }
            usleep(5_000)
        }
        return false
    }

    /// The reasons of the `disconnected` states so far.
    var disconnectReasons: [String] {
        states.withLock { $0 }.compactMap { if case .disconnected(let reason, _) = $0 { reason } else { nil } }
    }

    /// Waits until a `disconnected` state arrives; its reason.
    func waitDisconnected(timeout: Double = 15) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let reason = disconnectReasons.first { return reason }
            usleep(5_000)
        }
        return nil
    }
}
