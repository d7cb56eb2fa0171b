import Hummingbird
import Logging
import NIOCore
import NIOHTTPTypes

/// The per-connection half of ``ConnectionGuard``: admits or closes the connection when it is
/// added to the pipeline, and enforces total deadlines.
///
/// - A request head must be complete within ``ConnectionGuard/Limits/headerTimeout`` of the
///   accept (or of the end of the previous exchange on a kept-alive connection). An idle
///   connection, or one that trickles header bytes, is closed then.
/// - A request body must be complete within ``ConnectionGuard/Limits/bodyTimeout`` of its head,
///   whether or not the route reads it.
/// - On a probe connection (see ``ConnectionGuard/Admission/probe``) any path other than health
///   and metrics gets 503 and the connection is closed.
///
/// It sits after the HTTP codec (Hummingbird's `additionalChannelHandlers`), so it sees whole
/// request heads, and works the same under TLS.
package final class ConnectionDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    package typealias InboundIn = HTTPRequestPart
    package typealias InboundOut = HTTPRequestPart
    package typealias OutboundIn = HTTPResponsePart
    package typealias OutboundOut = HTTPResponsePart

    private let guardian: ConnectionGuard
    private let logger: Logger
    private var client = "local"
    private var admission: ConnectionGuard.Admission = .refusedCapacity
    private var deadline: Scheduled<Void>?
    /// Requests whose head arrived and whose response has not ended.
    private var pendingResponses = 0
    private var bodyComplete = true
    /// Refused or being closed: further input is dropped.
    private var closing = false

    package init(guardian: ConnectionGuard, logger: Logger) {
        self.guardian = guardian
        self.logger = logger
    }

    package func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        client = ConnectionGuard.clientKey(channel.remoteAddress)
        admission = guardian.admit(client: client)
        switch admission {
        case .refusedPerClient, .refusedCapacity:
            closing = true
            logger.debug("connection refused", metadata: ["client": "\(client)", "reason": "\(admission)"])
            // Closed once the pipeline is set up: closing inside the setup would fail it.
            context.eventLoop.assumeIsolated().execute { context.close(promise: nil) }
            return
        case .served, .probe:
            let guardian = self.guardian
            let client = self.client
            let admission = self.admission
            channel.closeFuture.whenComplete { _ in guardian.release(client: client, admission: admission) }
            armHeaderDeadline(context: context)
        }
    }

    package func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }

    package func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        context.fireChannelInactive()
    }

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if closing { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            deadline?.cancel()
            pendingResponses += 1
            bodyComplete = false
            if admission == .probe, !guardian.limits.probePaths.contains(Self.path(head)) {
                guardian.countProbePathRefused()
                refuseProbe(context: context)
                return
            }
            let guardian = self.guardian
            deadline = context.eventLoop.assumeIsolated().scheduleTask(
                in: TimeAmount(guardian.limits.bodyTimeout)
            ) { [weak self] in
                guardian.countBodyCut()
                self?.cut(context: context, what: "request body", limit: guardian.limits.bodyTimeout)
            }
        case .body:
            break
        case .end:
            bodyComplete = true
            deadline?.cancel()
            deadline = nil
            if pendingResponses == 0 { armHeaderDeadline(context: context) }
        }
        context.fireChannelRead(data)
    }

    package func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data), pendingResponses > 0 {
            pendingResponses -= 1
            if pendingResponses == 0 && bodyComplete { armHeaderDeadline(context: context) }
        }
        context.write(data, promise: promise)
    }

    /// The next request head must arrive within the header timeout from now.
    private func armHeaderDeadline(context: ChannelHandlerContext) {
        deadline?.cancel()
        let guardian = self.guardian
        deadline = context.eventLoop.assumeIsolated().scheduleTask(
            in: TimeAmount(guardian.limits.headerTimeout)
        ) { [weak self] in
            guardian.countHeaderCut()
            self?.cut(context: context, what: "request head", limit: guardian.limits.headerTimeout)
        }
    }

    private func cut(context: ChannelHandlerContext, what: String, limit: Duration) {
        deadline = nil
        logger.debug(
            "connection cut: \(what) not complete in time", metadata: ["client": "\(client)", "limit": "\(limit)"])
        context.close(promise: nil)
    }

    private func refuseProbe(context: ChannelHandlerContext) {
        deadline = nil
        closing = true
        pendingResponses = 0
        let head = HTTPResponse(
            status: .serviceUnavailable,
            headerFields: [.connection: "close", .contentLength: "0", .retryAfter: "1"])
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    private static func path(_ head: HTTPRequest) -> String {
        let path = head.path ?? ""
        return String(path.prefix { $0 != "?" })
    }
}

extension TimeAmount {
    /// The duration as a NIO time amount (saturating at `Int64.max` nanoseconds).
    package init(_ duration: Duration) {
        self = .nanoseconds(duration.nanosecondsClamped)
    }
}
