/// The kinds of sensor the simulator plays, each with its unit and a plausible behaviour:
/// a mean-reverting random walk around a per-sensor operating point.
public enum SensorKind: String, Sendable, CaseIterable {
    case temperature
    case pressure
    case vibration
    case current

    /// Prefix of the sensor id, e.g. `press` in `press-07`.
    public var idPrefix: String {
        switch self {
        case .temperature: "temp"
        case .pressure: "press"
        case .vibration: "vib"
        case .current: "curr"
        }
    }

    /// The unit written in each reading.
    public var unit: String {
        switch self {
        case .temperature: "°C"
        case .pressure: "bar"
        case .vibration: "mm/s"
        case .current: "A"
        }
    }

    /// Range the per-sensor operating point is drawn from.
    var operatingRange: ClosedRange<Double> {
        switch self {
        case .temperature: 18...85
        case .pressure: 1.5...10
        case .vibration: 0.5...6
        case .current: 2...40
        }
    }

    /// Physical limits the walk is clamped to.
    var limits: ClosedRange<Double> {
        switch self {
        case .temperature: -40...150
        case .pressure: 0...25
        case .vibration: 0...50
        case .current: 0...100
        }
    }

    /// Standard deviation of one step, as a fraction of the operating point.
    var relativeStep: Double {
        switch self {
        case .temperature: 0.002
        case .pressure: 0.003
        case .vibration: 0.02
        case .current: 0.01
        }
    }
}

/// One simulated sensor: its id, topic and current value.
struct SimulatedSensor {
    let kind: SensorKind
    let id: String
    let telemetryTopic: String
    let debugTopic: String
    let operatingPoint: Double
    var value: Double
    var sequence: Int = 0

    init(kind: SensorKind, number: Int, topicPrefix: String, random: inout SimulatorRandom) {
        self.kind = kind
        let digits = String(number)
        self.id = kind.idPrefix + "-" + (digits.count < 2 ? "0" + digits : digits)
        self.telemetryTopic = topicPrefix + "/" + id + "/telemetry"
        self.debugTopic = topicPrefix + "/" + id + "/debug"
        self.operatingPoint = random.uniform(kind.operatingRange)
        self.value = operatingPoint
    }

    /// Moves the value one step: pulled back towards the operating point (Ornstein–Uhlenbeck
    /// style) plus noise; vibration sensors show a rare transient spike.
    mutating func step(_ random: inout SimulatorRandom) {
        let sigma = operatingPoint * kind.relativeStep
        value += 0.02 * (operatingPoint - value) + sigma * random.gaussian()
        if kind == .vibration && random.next() % 2000 == 0 {
            value += random.uniform(3...10)
        }
        value = min(max(value, kind.limits.lowerBound), kind.limits.upperBound)
    }
}
