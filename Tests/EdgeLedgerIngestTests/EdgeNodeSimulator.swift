import EdgeLedgerMQTT
import EdgeLedgerTestSupport
import Foundation

/// Publishes an edge node's messages (QoS 1: in order, none lost, so every gap is deliberate).
final class EdgeNodeSimulator {
    private let publisher: MQTTPublisher

    init(broker: MosquittoBroker) throws {
        publisher = try MQTTPublisher(clientID: "edge-\(UUID().uuidString.prefix(6))")
        try publisher.connect(host: "127.0.0.1", port: broker.port)
    }

    func send(_ topic: String, _ payload: [UInt8]) {
        try? publisher.publish(topic: topic, payload: payload, qos: 1)
        _ = publisher.drain(timeout: 10)
    }

    func close() { publisher.disconnect() }
}
