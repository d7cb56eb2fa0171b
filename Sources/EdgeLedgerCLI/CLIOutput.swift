import EdgeLedgerSystem

/// Standard output and standard error through `write(2)`, without Foundation.
///
/// Results (verifier keys, summaries, exported entries) go to standard output so that scripts
/// can capture them; status, warnings, progress and errors go to standard error.
enum CLIOutput {
    /// Writes `text` and a newline to standard error; errors writing it are ignored.
    static func stderr(_ text: String) {
        var bytes = Array(text.utf8)
        bytes.append(0x0a)
        _ = try? write(fd: 2, bytes[...])
    }

    /// Writes `text` without a newline to standard error (progress lines).
    static func stderrRaw(_ text: String) {
        _ = try? write(fd: 2, Array(text.utf8)[...])
    }

    /// Writes `text` and a newline to standard output.
    ///
    /// - Throws: ``CLIOutputClosed`` when the reader went away, ``CLIError`` on other failures.
    static func stdout(_ text: String) throws {
        var bytes = Array(text.utf8)
        bytes.append(0x0a)
        try write(fd: 1, bytes[...])
    }

    /// Whether standard error is a terminal (progress lines are drawn only then).
    static var stderrIsTerminal: Bool { isatty(2) == 1 }

    /// Whether standard output is a terminal.
    static var stdoutIsTerminal: Bool { isatty(1) == 1 }

    /// Makes a closed pipe an `EPIPE` error instead of a fatal `SIGPIPE`, so `export | head`
    /// ends cleanly.
    static func ignoreSIGPIPE() {
        signal(SIGPIPE, SIG_IGN)
    }

    /// Writes every byte of `bytes` to `fd`, retrying after interrupts and partial writes.
    static func write(fd: Int32, _ bytes: ArraySlice<UInt8>) throws {
        var offset = bytes.startIndex
        while offset < bytes.endIndex {
            let n = bytes[offset...].withUnsafeBytes { raw in
                #if canImport(Glibc)
                    Glibc.write(fd, raw.baseAddress, raw.count)
                #elseif canImport(Musl)
                    Musl.write(fd, raw.baseAddress, raw.count)
                #else
                    Darwin.write(fd, raw.baseAddress, raw.count)
                #endif
            }
            if n < 0 {
                let code = errno
                if code == EINTR || code == EAGAIN { continue }
                if code == EPIPE { throw CLIOutputClosed() }
                throw CLIError(
                    "cannot write to \(fd == 1 ? "standard output" : "file descriptor \(fd)"): "
                        + String(cString: strerror(code)))
            }
            offset += n
        }
    }
}

/// The reader of standard output went away (`EPIPE`, e.g. `edge-ledger export | head`): the
/// command stops writing and exits successfully.
struct CLIOutputClosed: Error {}

/// A buffer in front of standard output for commands that print many lines (export).
struct CLIBufferedOutput {
    private var buffer: [UInt8] = []
    private let fd: Int32
    private let capacity: Int

    /// A buffer for `fd` that writes whenever `capacity` bytes are pending.
    init(fd: Int32 = 1, capacity: Int = 64 * 1024) {
        self.fd = fd
        self.capacity = capacity
        buffer.reserveCapacity(capacity + 1024)
    }

    /// Appends bytes, writing the buffer out when it is full.
    mutating func append(_ bytes: some Sequence<UInt8>) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= capacity { try flush() }
    }

    /// Appends the UTF-8 of `text`.
    mutating func append(_ text: String) throws {
        try append(text.utf8)
    }

    /// Gives direct access to the pending bytes (for encoders that append in place), then
    /// writes them out when the buffer is full.
    mutating func withBuffer(_ body: (inout [UInt8]) -> Void) throws {
        body(&buffer)
        if buffer.count >= capacity { try flush() }
    }

    /// Writes every pending byte.
    mutating func flush() throws {
        guard !buffer.isEmpty else { return }
        defer { buffer.removeAll(keepingCapacity: true) }
        try CLIOutput.write(fd: fd, buffer[...])
    }
}
