import EdgeLedgerMQTT
import EdgeLedgerTestSupport
import Foundation
import Synchronization
import Testing

@Suite(.serialized) struct MQTTClientTests {
    private func makeClient(
        _ broker: MosquittoBroker, _ inbox: Inbox, id: String = "agent-\(UUID().uuidString.prefix(6))",
        version: MQTTClientOptions.ProtocolVersion = .v311
    ) throws -> MQTTClient {
        let options = MQTTClientOptions(
            host: "127.0.0.1", port: broker.port, clientID: id, protocolVersion: version,
            reconnectInitial: 0.1, reconnectMax: 0.5,
            subscriptions: [MQTTSubscription(filter: "plant/+/telemetry", qos: 1)])
        return try MQTTClient(
            options: options, onMessage: { inbox.handle($0) },
            onState: { s in inbox.states.withLock { $0.append(s) } })
    }

    private func publish(
        _ broker: MosquittoBroker, count: Int, from start: Int = 0, topic: String = "plant/a/telemetry"
    )
        throws
    {
        let pub = try MQTTPublisher(clientID: "pub-\(UUID().uuidString.prefix(6))")
        try pub.connect(host: "127.0.0.1", port: broker.port)
        for i in start..<(start + count) {
            try pub.publish(topic: topic, payload: Array("\(i)".utf8), qos: 1)
        }
        #expect(pub.drain())
        pub.disconnect()
    }

    @Test(arguments: [MQTTClientOptions.ProtocolVersion.v311, .v5])
    func receivesInOrderOnMatchingTopicsOnly(version: MQTTClientOptions.ProtocolVersion) throws {
        let broker = try MosquittoBroker()
        let inbox = Inbox()
        let client = try makeClient(broker, inbox, version: version)
        try client.start()
        #expect(inbox.waitConnected())
        usleep(100_000)  // SUBACK
        try publish(broker, count: 500)
        try publish(broker, count: 5, topic: "plant/a/other")
        #expect(inbox.wait(for: 500))
        client.stop()
        let got = inbox.messages.withLock { $0 }
        #expect(got.count == 500)
        #expect(got.map { String(decoding: $0.payload, as: UTF8.self) } == (0..<500).map(String.init))
        #expect(got.allSatisfy { $0.topic == "plant/a/telemetry" && $0.qos == 1 })
        #expect(inbox.states.withLock { $0 }.last == .stopped)
    }

    @Test func persistentSessionKeepsReadingsWhileAway() throws {
        let broker = try MosquittoBroker()
        let inbox = Inbox()
        let id = "agent-persist"
        var client = try makeClient(broker, inbox, id: id)
        try client.start()
        #expect(inbox.waitConnected())
        usleep(100_000)
        client.stop()
        try publish(broker, count: 200)  // while the agent is away
        client = try makeClient(broker, inbox, id: id)
        try client.start()
        #expect(inbox.wait(for: 200))
        client.stop()
        #expect(inbox.count == 200)
    }

    @Test func reconnectsAfterBrokerRestart() throws {
        let broker = try MosquittoBroker()
        let inbox = Inbox()
        let client = try makeClient(broker, inbox)
        try client.start()
        #expect(inbox.waitConnected())
        usleep(100_000)
        try publish(broker, count: 100)
        #expect(inbox.wait(for: 100))
        try broker.restart()
        usleep(100_000)
        #expect(inbox.waitConnected())
        usleep(200_000)
        try publish(broker, count: 100, from: 100)
        #expect(inbox.wait(for: 200))
        client.stop()
        let states = inbox.states.withLock { $0 }
        #expect(states.contains { if case .disconnected = $0 { true } else { false } })
    }

    @Test func withheldReadingIsRedelivered() throws {
        let broker = try MosquittoBroker()
        let inbox = Inbox()
        let client = try makeClient(broker, inbox)
        try client.start()
        #expect(inbox.waitConnected())
        usleep(100_000)
        inbox.withholdNext.store(1, ordering: .relaxed)
        try publish(broker, count: 1)
        // The first delivery is refused without PUBACK; the broker redelivers after reconnect.
        #expect(inbox.wait(for: 1, timeout: 15))
        client.stop()
        #expect(inbox.messages.withLock { $0.map { String(decoding: $0.payload, as: UTF8.self) } } == ["0"])
    }

    @Test func connectingToNothingRetriesWithoutSpinning() throws {
        let port = try FreePort.find()
        let inbox = Inbox()
        let options = MQTTClientOptions(
            host: "127.0.0.1", port: port, clientID: "nobody", reconnectInitial: 0.2, reconnectMax: 0.4)
        let client = try MQTTClient(
            options: options, onMessage: { inbox.handle($0) },
            onState: { s in inbox.states.withLock { $0.append(s) } })
        try client.start()
        usleep(1_500_000)
        // The network thread's own CPU time (the process's would include every test running in
        // parallel): a loop retrying without pause would use most of the 1.5 s.
        let cpu = try #require(client.networkThreadCPUSeconds)
        client.stop()
        #expect(cpu < 0.2, "CPU while waiting for a broker: \(cpu)s")
        let states = inbox.states.withLock { $0 }
        // One "disconnected" report for the repeated same reason, not one per attempt.
        #expect(states.filter { if case .disconnected = $0 { true } else { false } }.count == 1)
    }
}
