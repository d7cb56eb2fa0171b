import ArgumentParser

/// Placeholder: implemented by its owner.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export")
    func run() async throws { throw ValidationError("not implemented yet") }
}
