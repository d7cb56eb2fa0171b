import ArgumentParser

/// Placeholder: implemented by its owner.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run")
    func run() async throws { throw ValidationError("not implemented yet") }
}
