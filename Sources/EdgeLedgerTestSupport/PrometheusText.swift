/// Reads Prometheus text exposition (what `/metrics` serves), for tests.
public enum PrometheusText {
    /// The value of the first sample named `name` whose labels include every pair of `labels`
    /// (`nil` when there is none): for `edge_ledger_x{gateway="a",reason="b"} 3.0`,
    /// `value(text, "edge_ledger_x", ["reason": "b"])` is 3.
    public static func value(_ text: String, _ name: String, _ labels: [String: String] = [:]) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(name) {
            let rest = line.dropFirst(name.count)
            guard rest.first == "{" || rest.first == " " else { continue }
            if labels.allSatisfy({ rest.contains("\($0.key)=\"\($0.value)\"") }),
                let last = rest.split(separator: " ").last, let value = Double(last)
            {
                return value
            }
        }
        return nil
    }
}
