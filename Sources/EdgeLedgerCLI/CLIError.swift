import ArgumentParser
import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore

/// A command failed: what went wrong, and what the operator can do about it.
///
/// ``CLI/run(_:)`` prints it to standard error as `error: MESSAGE` and `hint: HINT` and exits
/// with ``exitCode``.
struct CLIError: ExplainedError {
    /// What went wrong, naming the file, key or entry concerned.
    var message: String
    /// What to do about it, when something useful can be said.
    var hint: String?
    /// The process exit code (1 unless said otherwise).
    var exitCode: Int32

    /// An error saying `message`, with an optional `hint`.
    init(_ message: String, hint: String? = nil, exitCode: Int32 = 1) {
        self.message = message
        self.hint = hint
        self.exitCode = exitCode
    }
}

/// Shared plumbing of the subcommands.
enum CLI {
    /// Runs a command body and turns every failure into a message on standard error and a
    /// non-zero exit code; never lets an error end the process with a backtrace.
    ///
    /// A closed standard output (``CLIOutputClosed``) ends the command successfully.
    static func run(_ body: () async throws -> Void) async throws {
        CLIOutput.ignoreSIGPIPE()
        do {
            try await body()
        } catch is CLIOutputClosed {
            return
        } catch let error as ExitCode {
            throw error
        } catch let error as CLIError {
            report(error.message, hint: error.hint)
            throw ExitCode(error.exitCode)
        } catch let error as ConfigError {
            for issue in error.issues { CLIOutput.stderr("error: \(issue)") }
            throw ExitCode.failure
        } catch let error as any ExplainedError {
            report(error.message, hint: error.hint)
            throw ExitCode.failure
        } catch {
            report("\(error)", hint: nil)
            throw ExitCode.failure
        }
    }

    /// Prints `error: message` and, when given, `hint: hint` to standard error.
    static func report(_ message: String, hint: String?) {
        CLIOutput.stderr("error: \(message)")
        if let hint { CLIOutput.stderr("hint: \(hint)") }
    }

    /// Prints `warning: message` to standard error.
    static func warn(_ message: String) {
        CLIOutput.stderr("warning: \(message)")
    }

    /// Prints a status line to standard error (standard output is for results).
    static func status(_ message: String) {
        CLIOutput.stderr(message)
    }
}
