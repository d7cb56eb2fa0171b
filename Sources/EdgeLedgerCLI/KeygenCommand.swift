import ArgumentParser

/// Placeholder: implemented by its owner.
struct KeygenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "keygen")
    func run() async throws { throw ValidationError("not implemented yet") }
}
