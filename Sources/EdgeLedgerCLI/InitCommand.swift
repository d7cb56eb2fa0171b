import ArgumentParser

/// Placeholder: implemented by its owner.
struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "init")
    func run() async throws { throw ValidationError("not implemented yet") }
}
