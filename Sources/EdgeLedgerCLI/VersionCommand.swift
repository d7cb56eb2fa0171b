import ArgumentParser

/// Placeholder: implemented by its owner.
struct VersionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version")
    func run() async throws { throw ValidationError("not implemented yet") }
}
