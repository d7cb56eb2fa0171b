/// The version of this build and what it was built with, for `--version` and `version` of both
/// executables.
public enum EdgeLedgerVersion {
    /// The release version.
    public static let current = "0.1.0"

    /// The compiler version this binary was built with (to the minor version).
    public static var swiftCompiler: String {
        #if compiler(>=6.5)
            "6.5 or later"
        #elseif compiler(>=6.4)
            "6.4"
        #elseif compiler(>=6.3)
            "6.3"
        #elseif compiler(>=6.2)
            "6.2"
        #elseif compiler(>=6.1)
            "6.1"
        #else
            "6.0"
        #endif
    }

    /// Operating system, release and machine, from `uname`.
    public static func platform() -> String {
        var info = utsname()
        guard uname(&info) == 0 else { return "unknown" }
        func field<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
        }
        return "\(field(info.sysname)) \(field(info.release)) \(field(info.machine))"
    }
}
