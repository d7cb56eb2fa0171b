import ArgumentParser

/// Placeholder: implemented by its owner.
struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "simulate")
    func run() async throws { throw ValidationError("not implemented yet") }
}
