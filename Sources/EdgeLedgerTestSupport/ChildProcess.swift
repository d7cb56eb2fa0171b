import EdgeLedgerSystem
import Foundation

/// A child process started with `posix_spawn`, with an empty signal mask and default signal
/// dispositions.
///
/// Foundation's `Process` passes on the spawning thread's blocked signals; test-runner threads
/// block SIGTERM, so a broker or agent started that way would ignore it. Tests need real
/// signals: SIGTERM for graceful stops, SIGKILL for crash tests, SIGSTOP for snapshots.
public final class ChildProcess: @unchecked Sendable {
    // @unchecked: `status` is only touched by the owning test through `wait`/`signal`.
    /// The process id.
    public let pid: pid_t
    private var exitStatus: Int32?

    /// Starts `executable` with `arguments`; stdout and stderr go to `outputFile` (appended) or /dev/null.
    public init(
        executable: String, arguments: [String], outputFile: String? = nil, environment: [String: String]? = nil
    ) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        let out = outputFile ?? "/dev/null"
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attr, &empty)
        posix_spawnattr_setsigdefault(&attr, &all)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let env = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        let argv = [executable] + arguments
        var cArgs = argv.map { strdup($0) } + [nil]
        var cEnv = env.map { strdup($0) } + [nil]
        defer {
            cArgs.forEach { free($0) }
            cEnv.forEach { free($0) }
        }
        var pid = pid_t()
        let rc = posix_spawn(&pid, executable, &actions, &attr, &cArgs, &cEnv)
        guard rc == 0 else {
            throw TestSupportError("cannot start \(executable): \(String(cString: strerror(rc)))")
        }
        self.pid = pid
    }

    deinit {
        if exitStatus == nil {
            kill(pid, SIGKILL)
            _ = wait(timeout: 5)
        }
    }

    /// Sends `signal` to the process.
    public func signal(_ signal: Int32) {
        kill(pid, signal)
    }

    /// Waits for the exit; returns the exit code (128+signal when killed), or nil on timeout.
    @discardableResult
    public func wait(timeout: Double = 30) -> Int32? {
        if let exitStatus { return exitStatus }
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            var status: Int32 = 0
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid {
                let code = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
                exitStatus = code
                return code
            }
            if r < 0 { return nil }
            usleep(10_000)
        } while Date() < deadline
        return nil
    }

    /// True while the process has not exited.
    public var isRunning: Bool {
        if exitStatus != nil { return false }
        return wait(timeout: 0) == nil
    }
}
