import EdgeLedgerCore

/// A gateway enrolled in the upstream's registry: its settings (as a `[[gateways]]` entry) and
/// how it is collected.
public struct RegisteredGateway: Sendable, Equatable {
    /// How the upstream gets a gateway's log.
    public typealias Mode = GatewayConfiguration.Mode

    /// Row id (also the collector's gateway id).
    public var id: Int64
    /// The settings.
    public var configuration: GatewayConfiguration
    /// Pull or push (also ``configuration``'s `mode`).
    public var mode: Mode {
        get { configuration.mode }
        set { configuration.mode = newValue }
    }
    /// Whether it is collected and witnessed (disabled: both stop, its data stays).
    public var enabled: Bool
    /// Grows with each change of the entry (instances notice changes by it).
    public var revision: Int64
    /// When it was enrolled: Unix nanoseconds, UTC (`nil` for a log the collector registered
    /// before enrollment existed).
    public var enrolledAt: Int64?

    /// The gateway log's origin.
    public var origin: String { configuration.origin }

    /// Creates a record.
    public init(
        id: Int64, configuration: GatewayConfiguration, mode: Mode, enabled: Bool, revision: Int64,
        enrolledAt: Int64?
    ) {
        self.id = id
        self.configuration = configuration
        self.configuration.mode = mode
        self.enabled = enabled
        self.revision = revision
        self.enrolledAt = enrolledAt
    }
}
