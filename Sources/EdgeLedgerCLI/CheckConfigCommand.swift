import ArgumentParser

/// Placeholder: implemented by its owner.
struct CheckConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check-config")
    func run() async throws { throw ValidationError("not implemented yet") }
}
