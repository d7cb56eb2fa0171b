import EdgeLedgerCore
import EdgeLedgerHTTP
import EdgeLedgerSystem

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The agent's status as a typed JSON document, `GET <prefix>/status` (docs/FORMAT.md, "The
/// status document"), which `edge-ledger status` reads instead of scraping `/readyz` text:
///
/// ```json
/// {"format":"edge-ledger-status/v1","agent_version":"0.1.0","pid":4242,"ready":false,
///  "problems":["MQTT broker not connected"],"warnings":[],"broker":"disconnected"}
/// ```
///
/// Members may be added in later versions of the same format; readers ignore the ones they do
/// not know. `broker` is `connected`, `disconnected` or `unknown`. An agent with `sparkplug_b`
/// topics adds `sparkplug` (``SparkplugStatus/json()``): nodes, gaps by kind, rebirth requests,
/// redeliveries.
public struct AgentStatusDocument: Sendable, Equatable {
    /// The value of `format` this type writes and reads.
    public static let format = "edge-ledger-status/v1"
    /// Largest document a reader accepts (64 KiB): problems and warnings are a few short lines.
    public static let maximumSize = 1 << 16

    /// The broker connection as the agent sees it.
    public enum Broker: String, Sendable, Equatable {
        case connected, disconnected, unknown
    }

    /// The agent's version (``EdgeLedgerVersion/current``).
    public var agentVersion: String
    /// The agent's process id.
    public var pid: Int
    /// Whether the agent is ready (no problems).
    public var ready: Bool
    /// Why it is not ready, one line each.
    public var problems: [String]
    /// What an operator should see although the agent is ready, one line each.
    public var warnings: [String]
    /// The broker connection.
    public var broker: Broker
    /// The Sparkplug B host state (agents with `sparkplug_b` topics).
    public var sparkplug: SparkplugStatus?

    /// Creates a document.
    public init(
        agentVersion: String = EdgeLedgerVersion.current, pid: Int = Int(getpid()), ready: Bool,
        problems: [String], warnings: [String], broker: Broker, sparkplug: SparkplugStatus? = nil
    ) {
        self.agentVersion = agentVersion
        self.pid = pid
        self.ready = ready
        self.problems = problems
        self.warnings = warnings
        self.broker = broker
        self.sparkplug = sparkplug
    }

    /// The document for `readiness`, of this process.
    public init(readiness: LedgerReadiness) {
        self.init(
            ready: readiness.isReady, problems: readiness.problems, warnings: readiness.warnings,
            broker: readiness.brokerConnected.map { $0 ? .connected : .disconnected } ?? .unknown,
            sparkplug: readiness.sparkplug)
    }

    /// The document as one line of JSON (``JSONWriter``).
    public func json() -> String {
        func list(_ lines: [String]) -> String { "[" + lines.map(JSONWriter.string).joined(separator: ",") + "]" }
        var members = [
            ("format", JSONWriter.string(Self.format)), ("agent_version", JSONWriter.string(agentVersion)),
            ("pid", String(pid)), ("ready", String(ready)), ("problems", list(problems)),
            ("warnings", list(warnings)), ("broker", JSONWriter.string(broker.rawValue)),
        ]
        if let sparkplug { members.append(("sparkplug", sparkplug.json())) }
        return JSONWriter.object(members)
    }

    private struct Wire: Decodable {
        var format: String
        var agent_version: String
        var pid: Int
        var ready: Bool
        var problems: [String]
        var warnings: [String]
        var broker: String
        var sparkplug: SparkplugWire?
    }

    private struct SparkplugWire: Decodable {
        var nodes: Int
        var alive: Int
        var gaps: [String: Int]
        var rebirth_requests: Int
        /// Absent from agents before it was added.
        var redelivered: Int?
        var last_gap: String?
    }

    /// Reads a document from an agent's answer.
    ///
    /// - Throws: ``AgentStatusDocumentError`` for an oversized, malformed or other-format body.
    public init(json bytes: [UInt8]) throws(AgentStatusDocumentError) {
        guard bytes.count <= Self.maximumSize else {
            throw AgentStatusDocumentError("the status document is larger than \(Self.maximumSize) bytes")
        }
        let wire: Wire
        do {
            wire = try JSONDecoder().decode(Wire.self, from: Data(bytes))
        } catch {
            throw AgentStatusDocumentError("the status document is not valid: \(error)")
        }
        guard wire.format == Self.format else {
            throw AgentStatusDocumentError("the status document has format \"\(wire.format)\", not \(Self.format)")
        }
        self.init(
            agentVersion: wire.agent_version, pid: wire.pid, ready: wire.ready, problems: wire.problems,
            warnings: wire.warnings, broker: Broker(rawValue: wire.broker) ?? .unknown,
            sparkplug: wire.sparkplug.map {
                SparkplugStatus(
                    nodes: $0.nodes, alive: $0.alive, gaps: $0.gaps, rebirthRequests: $0.rebirth_requests,
                    redelivered: $0.redelivered ?? 0, lastGap: $0.last_gap)
            })
    }
}

/// An agent's status document could not be read.
public struct AgentStatusDocumentError: ExplainedError, Equatable {
    /// What is wrong.
    public var message: String
    /// No hint: the message says what is wrong with the input.
    public var hint: String? { nil }

    /// Creates an error.
    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
