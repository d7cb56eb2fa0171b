import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

extension ConnectionGuard {
    /// A Hummingbird HTTP/1.1 server builder whose connections this guard admits and times
    /// (wrap it with `.tls(…)` for TLS). `idleTimeout` still closes a connection that goes quiet
    /// while a response is being written.
    package func http1(idleTimeout: Duration, logger: Logger) -> HTTPServerBuilder {
        HTTPServerBuilder.http1(
            configuration: HTTP1Channel.Configuration(
                additionalChannelHandlers: [ConnectionDeadlineHandler(guardian: self, logger: logger)],
                idleTimeout: TimeAmount(idleTimeout)))
    }
}
