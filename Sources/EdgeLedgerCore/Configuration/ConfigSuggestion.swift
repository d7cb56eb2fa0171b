/// "Did you mean ...?" for unknown keys: the closest known key by edit distance.
enum ConfigSuggestion {
    /// The candidate closest to `key` (case-insensitive Levenshtein distance), if it is close
    /// enough to be a plausible typo.
    static func closest(to key: String, among candidates: [String]) -> String? {
        let needle = Array(key.lowercased().unicodeScalars.prefix(64))
        guard !needle.isEmpty else { return nil }
        var best: (String, Int)?
        for candidate in candidates {
            let hay = Array(candidate.lowercased().unicodeScalars)
            let d = distance(needle, hay)
            let threshold = max(1, min(3, max(needle.count, hay.count) / 3))
            if d <= threshold, d < (best?.1 ?? Int.max) { best = (candidate, d) }
        }
        return best?.0
    }

    /// Optimal-string-alignment distance: insertions, deletions, substitutions and adjacent
    /// transpositions ("durabiltiy") each cost one.
    static func distance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        let width = b.count + 1
        var d = [Int](repeating: 0, count: (a.count + 1) * width)
        for i in 0...a.count { d[i * width] = i }
        for j in 0...b.count { d[j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var v = min(d[(i - 1) * width + j] + 1, d[i * width + j - 1] + 1, d[(i - 1) * width + j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    v = min(v, d[(i - 2) * width + j - 2] + 1)
                }
                d[i * width + j] = v
            }
        }
        return d[a.count * width + b.count]
    }
}
