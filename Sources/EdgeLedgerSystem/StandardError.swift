/// Writing to standard error: one `write(2)` per line when it fits, so that lines from
/// different threads never interleave; the rest is retried after a partial write or EINTR.
public enum StandardError {
    /// Writes `text` and a newline; failures are ignored (there is nowhere left to report them).
    public static func line(_ text: String) {
        var bytes = Array(text.utf8)
        bytes.append(0x0a)
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = write(2, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return }
                offset += n
            }
        }
    }
}
