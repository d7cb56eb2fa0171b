/// The process environment as a dictionary, without Foundation.
enum ProcessEnvironment {
    static func current() -> [String: String] {
        var result: [String: String] = [:]
        #if canImport(Darwin)
            guard var pointer = _NSGetEnviron()?.pointee else { return result }
        #else
            let start: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = environ
            guard var pointer = start else { return result }
        #endif
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let eq = text.firstIndex(of: "=") {
                let name = String(text[..<eq])
                if result[name] == nil { result[name] = String(text[text.index(after: eq)...]) }
            }
            pointer += 1
        }
        return result
    }
}
