import Foundation

/// Publishes MQTT 5 messages with paho-mqtt 2 (Python, installed globally; the flood fault test
/// uses it too): a client nobody here wrote, with content type and user properties.
public enum PahoPublisher {
    /// One message to publish.
    public struct Message: Sendable {
        public var topic: String
        public var payload: String
        public var qos: Int
        public var contentType: String?
        public var userProperties: [(String, String)]

        public init(
            topic: String, payload: String, qos: Int = 1, contentType: String? = nil,
            userProperties: [(String, String)] = []
        ) {
            self.topic = topic
            self.payload = payload
            self.qos = qos
            self.contentType = contentType
            self.userProperties = userProperties
        }
    }

    private static let script = """
        import json, sys
        import paho.mqtt.client as mqtt
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties
        c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=sys.argv[2], protocol=mqtt.MQTTv5)
        c.connect("127.0.0.1", int(sys.argv[1]))
        c.loop_start()
        for m in json.load(sys.stdin if sys.argv[3] == "-" else open(sys.argv[3])):
            p = None
            if m.get("content_type") or m.get("user_properties"):
                p = Properties(PacketTypes.PUBLISH)
                if m.get("content_type"):
                    p.ContentType = m["content_type"]
                if m.get("user_properties"):
                    p.UserProperty = [tuple(x) for x in m["user_properties"]]
            c.publish(m["topic"], m["payload"], qos=m["qos"], properties=p).wait_for_publish(10)
        c.loop_stop()
        c.disconnect()
        """

    /// Publishes `messages` in order to the broker on 127.0.0.1:`port` and waits for each to be
    /// acknowledged; throws with paho's output when it fails.
    public static func publish(port: Int, _ messages: [Message], clientID: String = "paho-pub") throws {
        let folder = try TemporaryFolder(prefix: "paho")
        let scriptPath = folder.file("publish.py")
        let dataPath = folder.file("messages.json")
        try script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        let list: [[String: Any]] = messages.map { m in
            var object: [String: Any] = ["topic": m.topic, "payload": m.payload, "qos": m.qos]
            if let contentType = m.contentType { object["content_type"] = contentType }
            if !m.userProperties.isEmpty { object["user_properties"] = m.userProperties.map { [$0.0, $0.1] } }
            return object
        }
        try JSONSerialization.data(withJSONObject: list).write(to: URL(fileURLWithPath: dataPath))
        let log = folder.file("paho.log")
        let python = try ChildProcess(
            executable: "/usr/bin/env", arguments: ["python3", scriptPath, "\(port)", clientID, dataPath],
            outputFile: log)
        guard python.wait(timeout: 60) == 0 else {
            let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw TestSupportError("paho-mqtt publisher failed (is paho-mqtt 2 installed?): \(output)")
        }
    }
}
