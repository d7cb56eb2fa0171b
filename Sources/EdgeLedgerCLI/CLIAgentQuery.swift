import EdgeLedgerCore
import EdgeLedgerGateway
import EdgeLedgerHTTP

/// How `edge-ledger status` asks the running agent: `GET <prefix>/status`, the typed status
/// document (``AgentStatusDocument``), over the listener's plaintext or TLS (with a client
/// certificate when the listener requires one), through the same HTTP client the agent uses
/// for its upstreams (``PeerHTTPClient``).
struct CLIAgentQuery {
    /// The API's base URL, prefix included (`https://127.0.0.1:8443/ledger`).
    var baseURL: String
    /// TLS settings for an `https` URL: trust roots and the client certificate.
    var tls: TLSClientConfiguration?
    /// The bearer token from `EDGE_LEDGER_TOKEN`, sent when set.
    var token: String?
    /// Seconds for the whole exchange.
    var timeout: Double

    /// The URL of the listener `http` configures: a wildcard address is asked on loopback;
    /// `https` when `[http.tls]` is set.
    static func baseURL(_ http: HTTPConfiguration) -> String {
        let host =
            switch http.listen.host {
            case "0.0.0.0": "127.0.0.1"
            case "::": "::1"
            default: http.listen.host
            }
        return (http.tls == nil ? "http://" : "https://") + HostPort(host: host, port: http.listen.port).description
            + http.prefix
    }

    /// Asks the agent and records its answer (or why there is none) in `report`.
    func ask(into report: inout CLIStatusReport) async {
        report.apiURL = baseURL
        let client: PeerHTTPClient
        do {
            client = try PeerHTTPClient(
                baseURL: baseURL, token: token, tls: baseURL.hasPrefix("https://") ? tls ?? .init() : nil,
                timeout: .milliseconds(Int64(timeout * 1000)), connections: 1)
        } catch {
            report.api = .unreachable("cannot set up TLS: \(error)")
            return
        }
        let outcome: Result<PeerHTTPResponse, any Error>
        do {
            outcome = .success(try await client.get("status", limit: AgentStatusDocument.maximumSize))
        } catch {
            outcome = .failure(error)
        }
        await client.shutdown()
        let response: PeerHTTPResponse
        switch outcome {
        case .success(let answer): response = answer
        case .failure(let error):
            report.api = .unreachable(Self.explain(error, tls: baseURL.hasPrefix("https://")))
            return
        }
        guard response.status == 200 else {
            report.api = .answered(ready: nil, detail: "HTTP \(response.status) for /status")
            return
        }
        let document: AgentStatusDocument
        do {
            document = try AgentStatusDocument(json: response.body)
        } catch {
            report.api = .answered(ready: nil, detail: error.message)
            return
        }
        let detail = (document.ready ? document.warnings : document.problems).joined(separator: "; ")
        report.api = .answered(
            ready: document.ready,
            detail: String((document.ready || !detail.isEmpty ? detail : "not ready").prefix(300)))
        report.broker =
            switch document.broker {
            case .connected: .connected
            case .disconnected: .disconnected
            case .unknown: .unknown
            }
        report.brokerDetail = nil
        report.sparkplug = document.sparkplug
    }

    /// Why nothing usable came back, with what to do for the TLS failures an operator meets.
    static func explain(_ error: any Error, tls: Bool) -> String {
        let text = (error as? PeerTransportError)?.description ?? PeerHTTPClient.describe(error)
        guard tls else { return text }
        let lower = text.lowercased()
        if lower.contains("certificate")
            && (lower.contains("verif") || lower.contains("unknown") || lower.contains("untrusted"))
            || lower.contains("hostname")
        {
            return text + " (pass the CA of the API's certificate with --ca-file, and --api-url with a name it holds)"
        }
        if lower.contains("handshake") || lower.contains("alert") {
            return text + " (a listener with http.tls.client_ca_file needs a client certificate: --cert and --key)"
        }
        return text
    }
}
