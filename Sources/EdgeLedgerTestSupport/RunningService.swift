import Logging
import ServiceLifecycle

/// A server under test, run in a service group the way the executables run it.
public enum RunningService {
    /// Builds a service with `make` (which gets the callback to hand the service for the port
    /// it bound), runs it in a `ServiceGroup`, calls `body` with the port once it listens, then
    /// shuts the group down gracefully. A service that stops before it listens ends the wait with
    /// its error.
    public static func with<Value: Sendable>(
        logger: Logger, _ make: (@escaping @Sendable (Int) async -> Void) throws -> any Service,
        _ body: (Int) async throws -> Value
    ) async throws -> Value {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let service = try make { port in continuation.yield(port) }
        let group = ServiceGroup(configuration: .init(services: [service], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                defer { continuation.finish() }
                try await group.run()
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else {
                try await tasks.waitForAll()
                throw TestSupportError("the service stopped before it listened")
            }
            do {
                let value = try await body(port)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return value
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }
}
