import ArgumentParser
import CMosquitto
import COpenSSL
import CSQLite

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// `edge-ledger version`: this program's version and the versions of what it runs on.
struct VersionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Print the version of edge-ledger and of the libraries it uses.",
        discussion: """
            The first line is `edge-ledger VERSION`; the following lines name the Swift compiler \
            it was built with and the OpenSSL, SQLite and libmosquitto libraries loaded at run \
            time (which may differ from the ones it was built against).
            """
    )

    func run() async throws {
        try await CLI.run {
            try CLIOutput.stdout(Self.lines().joined(separator: "\n"))
        }
    }

    static func lines() -> [String] {
        var major: Int32 = 0
        var minor: Int32 = 0
        var revision: Int32 = 0
        _ = mosquitto_lib_version(&major, &minor, &revision)
        return [
            "edge-ledger \(EdgeLedgerVersion.current)",
            "  swift:        \(swiftVersion)",
            "  openssl:      \(String(cString: OpenSSL_version(Int32(OPENSSL_VERSION))))",
            "  sqlite:       \(String(cString: sqlite3_libversion()))",
            "  libmosquitto: \(major).\(minor).\(revision)",
            "  platform:     \(platform())",
        ]
    }

    /// The compiler version this binary was built with (to the minor version).
    static var swiftVersion: String {
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
    static func platform() -> String {
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
