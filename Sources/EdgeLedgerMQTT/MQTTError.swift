import CMosquitto
import EdgeLedgerCore
import EdgeLedgerSystem

/// An MQTT operation failed: what happened and what to do about it.
public struct MQTTError: ExplainedError, Equatable {
    /// What happened, e.g. "connection refused by 127.0.0.1:1883".
    public var message: String
    /// What the operator can do, if anything specific.
    public var hint: String?

    public init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }

    /// An error from a libmosquitto return code.
    init(_ operation: String, code: Int32, hint: String? = nil) {
        self.init("\(operation): \(MQTTError.describe(code))", hint: hint)
    }

    /// libmosquitto's text for a return code (`MOSQ_ERR_ERRNO` includes the system error).
    static func describe(_ code: Int32) -> String {
        if code == Int32(MOSQ_ERR_ERRNO.rawValue) {
            return String(cString: strerror(errno))
        }
        return String(cString: mosquitto_strerror(code))
    }
}
