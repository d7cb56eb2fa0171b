import EdgeLedgerSystem

/// Runs a command (argument vector, no shell) with bytes on its stdin and a timeout, without
/// blocking a thread: the child is started with `posix_spawnp` in its own process group, with an
/// empty signal mask and default signal dispositions (the service's threads block signals that
/// the child must not inherit blocked); stdout and stderr are captured (the first few KiB) for
/// error messages. On timeout or cancellation the whole process group is killed.
///
/// **Nothing leaks into the child.** It gets exactly the environment it is given (never this
/// process's: the upstream's secrets stay here), and no descriptor but its stdin, stdout and
/// stderr: every other one is closed in the child before exec (`closefrom` as a spawn file
/// action), so a listening socket or a store file is never held by a hook that outlives a
/// restart. When the command exits, whatever it left running in its process group is killed.
enum CommandRunner {
    struct Result: Sendable {
        /// The exit code, or 128 + signal when killed by a signal.
        var status: Int32
        /// The beginning of stdout and stderr, interleaved.
        var output: String
        /// Whether the timeout killed it.
        var timedOut: Bool
    }

    struct LaunchError: Error, CustomStringConvertible {
        var description: String
    }

    /// Captured output is cut at this many bytes.
    static let outputLimit = 4096

    /// Runs `argv` with `input` on stdin and `environment` ("NAME=value" strings) as its whole
    /// environment.
    static func run(
        _ argv: [String], stdin input: [UInt8], timeout: Duration, environment: [String]
    ) async throws -> Result {
        precondition(!argv.isEmpty, "CommandRunner.run: empty argument vector")
        guard let closeFrom = SpawnCloseFrom.function else {
            throw LaunchError(
                description: "this C library lacks posix_spawn_file_actions_addclosefrom_np (glibc 2.34 or later): "
                    + "refusing to start \(argv[0]) with this process's descriptors")
        }
        var inPipe: [Int32] = [-1, -1]
        var outPipe: [Int32] = [-1, -1]
        // stdin is a socket pair, so that writing after the child exited fails with EPIPE
        // (MSG_NOSIGNAL) instead of raising SIGPIPE in this process.
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &inPipe) == 0 else {
            throw LaunchError(description: "socketpair: \(errnoText())")
        }
        guard pipe(&outPipe) == 0 else {
            close(inPipe[0])
            close(inPipe[1])
            throw LaunchError(description: "pipe: \(errnoText())")
        }
        // Only the child's stdin/stdout/stderr copies survive exec.
        for fd in [inPipe[1], outPipe[0], outPipe[1]] { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 2)
        let closing = closeFrom(&actions, 3)
        guard closing == 0 else {
            for fd in [inPipe[0], inPipe[1], outPipe[0], outPipe[1]] { close(fd) }
            throw LaunchError(
                description: "posix_spawn_file_actions_addclosefrom_np: \(String(cString: strerror(closing)))")
        }
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attr, &empty)
        posix_spawnattr_setsigdefault(&attr, &all)
        posix_spawnattr_setpgroup(&attr, 0)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))
        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var cEnvironment: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer { cEnvironment.forEach { free($0) } }
        var pid = pid_t()
        let rc = posix_spawnp(&pid, argv[0], &actions, &attr, &cArgs, &cEnvironment)
        close(inPipe[0])
        close(outPipe[1])
        guard rc == 0 else {
            close(inPipe[1])
            close(outPipe[0])
            throw LaunchError(description: "cannot start \(argv[0]): \(String(cString: strerror(rc)))")
        }
        let stdinFD = inPipe[1]
        let outFD = outPipe[0]
        _ = fcntl(stdinFD, F_SETFL, fcntl(stdinFD, F_GETFL) | O_NONBLOCK)
        _ = fcntl(outFD, F_SETFL, fcntl(outFD, F_GETFL) | O_NONBLOCK)

        var written = 0
        var stdinOpen = true
        var output: [UInt8] = []
        var outOpen = true
        var chunk = [UInt8](repeating: 0, count: 4096)
        let deadline = ContinuousClock.now + timeout
        var status: Int32? = nil
        var timedOut = false
        var cancelled = false
        defer {
            if stdinOpen { close(stdinFD) }
            if outOpen { close(outFD) }
        }
        while status == nil {
            // Feed stdin; when the child exits without reading it all, the send fails (EPIPE).
            if stdinOpen {
                if written < input.count {
                    let n = input.withUnsafeBytes { raw in
                        send(stdinFD, raw.baseAddress! + written, raw.count - written, Int32(MSG_NOSIGNAL))
                    }
                    if n > 0 {
                        written += n
                    } else if n < 0 && errno != EAGAIN && errno != EINTR {
                        close(stdinFD)
                        stdinOpen = false
                    }
                }
                if stdinOpen && written >= input.count {
                    shutdown(stdinFD, Int32(SHUT_WR))
                    close(stdinFD)
                    stdinOpen = false
                }
            }
            if outOpen {
                while true {
                    let n = chunk.withUnsafeMutableBytes { read(outFD, $0.baseAddress, $0.count) }
                    if n > 0 {
                        if output.count < outputLimit {
                            output.append(contentsOf: chunk[0..<min(n, outputLimit - output.count)])
                        }
                    } else if n == 0 {
                        close(outFD)
                        outOpen = false
                        break
                    } else {
                        break  // EAGAIN or error
                    }
                }
            }
            var raw: Int32 = 0
            let r = waitpid(pid, &raw, WNOHANG)
            if r == pid {
                status = (raw & 0x7f) == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
                // What the command left in its group: the group id is not reused while a member
                // lives; with none left this finds nothing (ESRCH) (a new group of the same id
                // would need the pid to wrap around within these microseconds).
                kill(-pid, SIGKILL)
                break
            }
            if r < 0 && errno != EINTR {
                status = -1
                break
            }
            if Task.isCancelled { cancelled = true }
            if cancelled || ContinuousClock.now >= deadline {
                timedOut = !cancelled
                kill(-pid, SIGKILL)
                kill(pid, SIGKILL)
                var raw2: Int32 = 0
                while waitpid(pid, &raw2, 0) < 0 && errno == EINTR {}
                status = 128 + SIGKILL
                break
            }
            try? await Task.sleep(for: .milliseconds(5))
        }
        // Whatever the child wrote last.
        if outOpen {
            while output.count < outputLimit {
                let n = chunk.withUnsafeMutableBytes { read(outFD, $0.baseAddress, $0.count) }
                guard n > 0 else { break }
                output.append(contentsOf: chunk[0..<min(n, outputLimit - output.count)])
            }
        }
        if cancelled { throw CancellationError() }
        return Result(status: status ?? -1, output: String(decoding: output, as: UTF8.self), timedOut: timedOut)
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }
}

/// `posix_spawn_file_actions_addclosefrom_np` (glibc 2.34+), looked up at run time: Swift's
/// Glibc module does not declare it (it is a GNU extension).
enum SpawnCloseFrom {
    typealias Function = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    /// The function, or `nil` when the C library lacks it.
    static let function: Function? = {
        guard let handle = dlopen(nil, RTLD_NOW),
            let symbol = dlsym(handle, "posix_spawn_file_actions_addclosefrom_np")
        else { return nil }
        return unsafeBitCast(symbol, to: Function.self)
    }()
}
