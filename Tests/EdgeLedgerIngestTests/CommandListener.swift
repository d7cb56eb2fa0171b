import EdgeLedgerMQTT
import EdgeLedgerTestSupport
import Foundation
import Synchronization

/// A second host-side subscriber that collects the NCMDs the agent sends.
final class CommandListener: Sendable {
    private final class Inbox: Sendable {
        let messages = Mutex<[(topic: String, payload: [UInt8])]>([])
        let connected = Atomic<Bool>(false)
    }

    private let inbox = Inbox()
    private let client: MQTTClient

    init(broker: MosquittoBroker) throws {
        let inbox = self.inbox
        client = try MQTTClient(
            options: MQTTClientOptions(
                host: "127.0.0.1", port: broker.port, clientID: "ncmd-\(UUID().uuidString.prefix(6))",
                cleanSession: true, subscriptions: [MQTTSubscription(filter: "spBv1.0/+/NCMD/#", qos: 0)]),
            onMessage: { message in
                let item = (String(decoding: message.topic, as: UTF8.self), Array(message.payload))
                inbox.messages.withLock { $0.append(item) }
                return .acknowledge
            },
            onState: { if $0.isConnected { inbox.connected.store(true, ordering: .relaxed) } })
        try client.start()
        _ = Eventually.holds(timeout: 10) { inbox.connected.load(ordering: .relaxed) }
        usleep(150_000)  // SUBACK
    }

    deinit { client.stop() }

    var received: [(topic: String, payload: [UInt8])] { inbox.messages.withLock { $0 } }

    /// Waits until a command arrived on each of `topics`.
    func wait(forTopics topics: Set<String>, timeout: Double = 20) -> Bool {
        Eventually.holds(timeout: timeout) { topics.isSubset(of: Set(received.map(\.topic))) }
    }
}
