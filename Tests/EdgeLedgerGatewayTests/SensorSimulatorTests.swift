import EdgeLedgerGateway
import EdgeLedgerMQTT
import EdgeLedgerTestSupport
import Foundation
import Synchronization
import Testing

/// Parses `bytes` as JSON; nil when it is not JSON.
private func parseJSON(_ bytes: [UInt8]) -> Any? {
    try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
}

/// Checks a good reading's payload: a JSON object with exactly the documented fields.
private func checkReading(_ bytes: [UInt8], sensor: String, sequence: Int) -> Bool {
    guard let object = parseJSON(bytes) as? [String: Any] else { return false }
    guard Set(object.keys) == ["sensor", "seq", "ts", "value", "unit"] else { return false }
    guard object["sensor"] as? String == sensor, (object["seq"] as? NSNumber)?.intValue == sequence else {
        return false
    }
    guard let ts = object["ts"] as? String, ts.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil,
        (object["value"] as? NSNumber)?.doubleValue.isFinite == true, let unit = object["unit"] as? String
    else { return false }
    let units = ["temp": "°C", "press": "bar", "vib": "mm/s", "curr": "A"]
    return units[String(sensor.prefix { $0 != "-" })] == unit
}

/// Which malformed kind a received message is, judged only by what a subscriber sees.
private func classify(topic: String, payload: [UInt8]) -> MalformedReading? {
    if topic.hasSuffix("/debug") { return .offFilterTopic }
    if payload.count > 16 * 1024 { return .oversized }
    guard let text = String(validating: payload, as: UTF8.self), !text.contains("\0") else { return .binaryGarbage }
    guard let json = parseJSON(payload) else { return .truncatedJSON }
    return json is [String: Any] ? nil : .nonObjectJSON
}

@Suite struct SimulatedReadingGeneratorTests {
    @Test func sensorsCycleThroughKindsWithPerSensorSequences() {
        var generator = SimulatedReadingGenerator(sensors: 6, seed: 42)
        #expect(generator.sensorIDs == ["temp-01", "press-01", "vib-01", "curr-01", "temp-02", "press-02"])
        #expect(generator.telemetryTopics.first == "factory/temp-01/telemetry")
        var next: [String: Int] = [:]
        for n in 0..<600 {
            let m = generator.next(timestampMillis: 1_764_411_154_567)
            #expect(m.malformed == nil)
            #expect(m.sensor == generator.sensorIDs[n % 6])
            #expect(m.topic == "factory/\(m.sensor)/telemetry")
            #expect(m.sequence == next[m.sensor, default: 0])
            #expect(checkReading(m.payload, sensor: m.sensor, sequence: m.sequence ?? -1))
            next[m.sensor, default: 0] += 1
        }
        #expect(next.values.allSatisfy { $0 == 100 })
    }

    @Test func timestampIsRFC3339WithMilliseconds() throws {
        var generator = SimulatedReadingGenerator(sensors: 1, seed: 1)
        let m = generator.next(timestampMillis: 1_764_411_154_067)  // 2025-11-29T10:12:34.067Z
        let object = try #require(parseJSON(m.payload) as? [String: Any])
        #expect(object["ts"] as? String == "2025-11-29T10:12:34.067Z")
        let later = generator.next(timestampMillis: 951_782_400_999)  // leap day 2000
        let laterObject = try #require(parseJSON(later.payload) as? [String: Any])
        #expect(laterObject["ts"] as? String == "2000-02-29T00:00:00.999Z")
    }

    @Test func sameSeedSameStreamDifferentSeedDifferentValues() {
        var a = SimulatedReadingGenerator(sensors: 4, badEvery: 3, seed: 7)
        var b = SimulatedReadingGenerator(sensors: 4, badEvery: 3, seed: 7)
        var c = SimulatedReadingGenerator(sensors: 4, badEvery: 3, seed: 8)
        var differs = false
        for _ in 0..<200 {
            let (x, y, z) = (a.next(timestampMillis: 0), b.next(timestampMillis: 0), c.next(timestampMillis: 0))
            #expect(x.topic == y.topic && x.payload == y.payload)
            #expect(x.topic == z.topic)  // order and topics do not depend on the seed
            differs = differs || x.payload != z.payload
        }
        #expect(differs)
    }

    @Test func valuesStayPlausible() throws {
        var generator = SimulatedReadingGenerator(sensors: 8, seed: 3)
        let limits: [String: ClosedRange<Double>] = [
            "°C": -40...150, "bar": 0...25, "mm/s": 0...50, "A": 0...100,
        ]
        var first: [String: Double] = [:]
        for _ in 0..<8000 {
            let m = generator.next(timestampMillis: 0)
            let object = try #require(parseJSON(m.payload) as? [String: Any])
            let value = try #require((object["value"] as? NSNumber)?.doubleValue)
            let unit = try #require(object["unit"] as? String)
            #expect(try #require(limits[unit]).contains(value))
            if let start = first[m.sensor] {
                // A random walk, not noise: it stays in the neighbourhood of where it started.
                #expect(abs(value - start) <= max(20, abs(start)), "\(m.sensor) wandered from \(start) to \(value)")
            } else {
                first[m.sensor] = value
            }
        }
    }

    @Test func badEveryCyclesThroughEachMalformedKind() throws {
        var generator = SimulatedReadingGenerator(sensors: 3, badEvery: 4, seed: 9)
        var kinds: [MalformedReading] = []
        var next: [String: Int] = [:]
        for n in 1...40 {
            let m = generator.next(timestampMillis: 1_764_411_154_567)
            if n % 4 == 0 {
                let kind = try #require(m.malformed)
                kinds.append(kind)
                #expect(m.sequence == nil)
                #expect(classify(topic: m.topic, payload: m.payload) == kind, "\(kind)")
                switch kind {
                case .oversized: #expect(m.payload.count > 16 * 1024)
                case .nonObjectJSON: #expect(m.payload == Array("[1,2]".utf8))
                case .offFilterTopic: #expect(m.topic == "factory/\(m.sensor)/debug")
                case .truncatedJSON, .binaryGarbage: #expect(m.topic == "factory/\(m.sensor)/telemetry")
                }
            } else {
                #expect(m.malformed == nil)
                #expect(classify(topic: m.topic, payload: m.payload) == nil)
                // Bad messages do not use up sequence numbers.
                #expect(m.sequence == next[m.sensor, default: 0])
                next[m.sensor, default: 0] += 1
            }
        }
        #expect(kinds == MalformedReading.allCases + MalformedReading.allCases)
    }

    @Test func summaryLineAndJSON() throws {
        var summary = SensorSimulatorSummary(qos: 1, sensors: 2)
        summary.published = 1000
        summary.bad = 20
        summary.badByKind = [
            .truncatedJSON: 4, .nonObjectJSON: 4, .binaryGarbage: 4, .oversized: 4, .offFilterTopic: 4,
        ]
        summary.acknowledged = 1000
        summary.seconds = 4
        #expect(summary.line == "published 1000 readings (20 bad) in 4.00 s = 250/s")
        let object = try #require(parseJSON(Array(summary.json.utf8)) as? [String: Any])
        #expect(object["published"] as? Int == 1000)
        #expect(object["good"] as? Int == 980)
        #expect(object["bad_on_telemetry_topics"] as? Int == 16)
        #expect((object["bad_by_kind"] as? [String: Int])?["oversized"] == 4)
    }
}

/// Collects what a plain subscriber receives.
private final class Inbox: Sendable {
    let messages = Mutex<[(topic: String, payload: [UInt8], qos: UInt8)]>([])
    let connected = Atomic<Bool>(false)

    var count: Int { messages.withLock { $0.count } }

    func wait(for n: Int, timeout: Double = 60) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while count < n && Date() < deadline { usleep(5_000) }
        return count >= n
    }
}

/// A broker, a subscriber on `filter`, and helpers to run a simulator against them.
private struct Rig {
    let broker: MosquittoBroker
    let inbox = Inbox()
    let client: MQTTClient

    init(filter: String, qos: UInt8 = 1) throws {
        broker = try MosquittoBroker(persistence: false)
        let inbox = self.inbox
        client = try MQTTClient(
            options: MQTTClientOptions(
                host: "127.0.0.1", port: broker.port, clientID: "sub-\(UUID().uuidString.prefix(8))",
                reconnectInitial: 0.1, reconnectMax: 0.5, subscriptions: [MQTTSubscription(filter: filter, qos: qos)]),
            onMessage: { m in
                let entry = (String(decoding: m.topic, as: UTF8.self), Array(m.payload), m.qos)
                inbox.messages.withLock { $0.append(entry) }
                return .acknowledge
            },
            onState: { state in if state == .connected { inbox.connected.store(true, ordering: .relaxed) } })
        try client.start()
        try waitUntilSubscribed()
    }

    /// Publishes probes on a matching topic until one arrives (so the SUBACK is in), then
    /// empties the inbox.
    private func waitUntilSubscribed() throws {
        let probe = try MQTTPublisher(clientID: "probe-\(UUID().uuidString.prefix(8))")
        try probe.connect(host: "127.0.0.1", port: broker.port)
        defer { probe.disconnect() }
        let deadline = Date().addingTimeInterval(20)
        while inbox.count == 0 {
            guard Date() < deadline else { throw TestSupportError("the subscriber never received a probe") }
            try probe.publish(topic: "factory/probe/telemetry", payload: Array("probe".utf8), qos: 0)
            usleep(50_000)
        }
        usleep(100_000)
        inbox.messages.withLock { $0.removeAll() }
    }

    func configuration(
        sensors: Int = 5, rate: Double = 0, qos: UInt8 = 1, count: Int? = nil, badEvery: Int = 0
    ) -> SensorSimulatorConfiguration {
        SensorSimulatorConfiguration(
            port: broker.port, sensors: sensors, rate: rate, qos: qos, count: count, badEvery: badEvery,
            clientID: "sim-\(UUID().uuidString.prefix(8))", seed: 11)
    }

    func stop() {
        client.stop()
        broker.stop()
    }
}

@Suite(.serialized) struct SensorSimulatorBrokerTests {
    @Test(arguments: [(UInt8(0), 1), (1, 1), (1, 3)])
    func publishesEveryReadingWithPerSensorSequences(qos: UInt8, connections: Int) throws {
        let rig = try Rig(filter: "factory/+/telemetry", qos: qos)
        defer { rig.stop() }
        var configuration = rig.configuration(sensors: 7, qos: qos, count: 3000)
        configuration.connections = connections
        let simulator = SensorSimulator(configuration: configuration)
        let summary = try simulator.run()
        #expect(summary.connections == connections)
        #expect(summary.published == 3000)
        #expect(summary.bad == 0)
        #expect(summary.acknowledged == 3000)
        #expect(summary.drained)
        #expect(rig.inbox.wait(for: 3000))
        usleep(200_000)
        let got = rig.inbox.messages.withLock { $0 }
        #expect(got.count == 3000)
        var next: [String: Int] = [:]
        var valid = 0
        for m in got {
            #expect(m.qos == qos)
            let sensor = m.topic.split(separator: "/")[1]
            let seq = next[String(sensor), default: 0]
            if checkReading(m.payload, sensor: String(sensor), sequence: seq) { valid += 1 }
            next[String(sensor), default: 0] += 1
        }
        #expect(valid == 3000, "readings in order per sensor, each a valid JSON object")
        #expect(next.count == 7)
        #expect(next.values.sorted() == [428, 428, 428, 429, 429, 429, 429])
    }

    @Test func badEveryDeliversEachMalformedKind() throws {
        let rig = try Rig(filter: "factory/#")
        defer { rig.stop() }
        let simulator = SensorSimulator(configuration: rig.configuration(sensors: 4, count: 500, badEvery: 10))
        let summary = try simulator.run()
        #expect(summary.published == 500)
        #expect(summary.bad == 50)
        #expect(MalformedReading.allCases.allSatisfy { summary.badByKind[$0] == 10 })
        #expect(summary.badOnTelemetryTopics == 40)
        #expect(rig.inbox.wait(for: 500))
        usleep(200_000)
        let got = rig.inbox.messages.withLock { $0 }
        #expect(got.count == 500)
        var kinds: [MalformedReading?: Int] = [:]
        for m in got { kinds[classify(topic: m.topic, payload: m.payload), default: 0] += 1 }
        #expect(kinds[nil] == 450)
        for kind in MalformedReading.allCases { #expect(kinds[kind] == 10, "\(kind)") }
    }

    @Test func rateIsRoughlyHonoured() throws {
        let rig = try Rig(filter: "factory/+/telemetry")
        defer { rig.stop() }
        // 150 readings at 300/s: the last one is due at 149/300 s ≈ 0.5 s, so it cannot finish
        // sooner; the upper bound is loose for a loaded machine.
        let simulator = SensorSimulator(configuration: rig.configuration(rate: 300, count: 150))
        let summary = try simulator.run()
        #expect(summary.published == 150)
        #expect(summary.seconds >= 0.49)
        #expect(summary.seconds < 10)
        #expect(rig.inbox.wait(for: 150))
    }

    @Test func pacingDoesNotBusyWait() throws {
        let rig = try Rig(filter: "factory/+/telemetry")
        defer { rig.stop() }
        let simulator = SensorSimulator(configuration: rig.configuration(rate: 100, count: 100))
        func threadCPU() -> Double {
            var ts = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
            return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
        }
        let before = threadCPU()
        let summary = try simulator.run()  // publishes on this thread
        let cpu = threadCPU() - before
        #expect(summary.seconds >= 0.98)
        // About a second of pacing; a spinning loop would burn about that much CPU.
        #expect(cpu < 0.4, "publishing thread used \(cpu) s CPU over \(summary.seconds) s")
    }

    @Test func runsUntilStoppedThenDrains() throws {
        let rig = try Rig(filter: "factory/+/telemetry")
        defer { rig.stop() }
        let simulator = SensorSimulator(configuration: rig.configuration(rate: 2000))
        let stopper = Thread {
            usleep(400_000)
            simulator.stop()
        }
        stopper.start()
        let summary = try simulator.run()
        #expect(simulator.isStopping)
        #expect(summary.published > 0)
        #expect(summary.drained)
        #expect(summary.acknowledged == summary.published)
        #expect(rig.inbox.wait(for: summary.published))
    }
}
