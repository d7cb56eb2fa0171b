import ArgumentParser

/// Placeholder: implemented by its owner.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "verify")
    func run() async throws { throw ValidationError("not implemented yet") }
}
