import EdgeLedgerSystem
import Foundation

/// PostgreSQL's programs (`initdb`, `postgres`, `psql`) and how to run them for a test cluster:
/// as the unprivileged `postgres` user when the tests run as root (`initdb` and `postgres`
/// refuse root), as the current user otherwise.
struct PostgresPrograms: Sendable {
    /// The directory holding the programs, e.g. /usr/lib/postgresql/15/bin.
    let directory: String
    /// `runuser` and the user to run the server as, when running as root.
    private let runAs: (runuser: String, user: String)?

    /// Finds a directory with all of `programs`: /usr/lib/postgresql/<version>/bin, newest
    /// version first, then the directories of PATH.
    init(needing programs: [String]) throws {
        var candidates: [String] = []
        let base = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []
        for version in versions.compactMap({ Int($0) }).sorted(by: >) { candidates.append("\(base)/\(version)/bin") }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        candidates += path.split(separator: ":").map(String.init)
        guard
            let directory = candidates.first(where: { dir in
                programs.allSatisfy { FileManager.default.isExecutableFile(atPath: dir + "/" + $0) }
            })
        else {
            throw TestSupportError(
                "PostgreSQL is not installed (no \(programs.joined(separator: ", ")) in /usr/lib/postgresql/*/bin"
                    + " or PATH); run scripts/setup.sh")
        }
        self.directory = directory
        if getuid() == 0 {
            guard
                let runuser = ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"].first(where: {
                    FileManager.default.isExecutableFile(atPath: $0)
                })
            else { throw TestSupportError("runuser (util-linux) is missing; it runs PostgreSQL as a non-root user") }
            runAs = (runuser, "postgres")
        } else {
            runAs = nil
        }
    }

    /// The path of `program`.
    func path(_ program: String) -> String { directory + "/" + program }

    /// Makes `path` the cluster owner's (when running as root): the data directory and the
    /// socket directory must be theirs.
    func giveToOwner(_ path: String) throws {
        guard let runAs else { return }
        guard let user = getpwnam(runAs.user) else {
            throw TestSupportError(
                "there is no '\(runAs.user)' user to run PostgreSQL as (tests run as root); run scripts/setup.sh,"
                    + " whose postgresql package creates it")
        }
        guard chown(path, user.pointee.pw_uid, user.pointee.pw_gid) == 0 else {
            throw TestSupportError("cannot chown \(path) to \(runAs.user): \(String(cString: strerror(errno)))")
        }
    }

    /// The executable and arguments that run the shell `script` (with `$1`… set to `arguments`)
    /// as the cluster owner, in `/` (the owner may not be allowed into the current directory).
    func asOwner(script: String, _ arguments: [String]) -> (executable: String, arguments: [String]) {
        let shell = ["/bin/sh", "-c", "cd / || exit 1\n" + script, "sh"] + arguments
        guard let runAs else { return (shell[0], Array(shell.dropFirst())) }
        return (runAs.runuser, ["-u", runAs.user, "--"] + shell)
    }

    /// The environment for the programs: ours without PG* variables (they would redirect
    /// `psql`), in the C locale, with a connect timeout.
    static let environment: [String: String] = {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") }
        environment["LC_ALL"] = "C"
        environment["PGCONNECT_TIMEOUT"] = "10"
        return environment
    }()

    /// Runs `executable` to its end with its output in `log`; returns the output, or throws
    /// with it when the exit status is not 0 (`what` names the step).
    @discardableResult
    static func run(
        _ executable: String, _ arguments: [String], log: String, what: String, timeout: Double = 120
    ) throws -> String {
        try? FileManager.default.removeItem(atPath: log)
        defer { try? FileManager.default.removeItem(atPath: log) }
        let child = try ChildProcess(
            executable: executable, arguments: arguments, outputFile: log, environment: environment)
        guard let status = child.wait(timeout: timeout) else {
            child.signal(SIGKILL)
            child.wait(timeout: 5)
            throw TestSupportError("\(what) did not finish within \(Int(timeout)) s")
        }
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        guard status == 0 else {
            let text = output.trimmingCharacters(in: .whitespacesAndNewlines)
            throw TestSupportError("\(what) failed (exit status \(status)): \(text.isEmpty ? "no output" : text)")
        }
        return output
    }
}
