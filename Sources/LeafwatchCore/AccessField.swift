/// The meaning of a field in an access-log line. A format maps each of its
/// directives to one of these; directives without a fixed meaning (arbitrary
/// headers, notes, environment variables) get slots after these.
public enum AccessField: Int, CaseIterable, Sendable {
    /// `%h`: the remote host, an address or, with `HostnameLookups On`, a name.
    case remoteHost
    /// `%a`: the client address of the request (`mod_remoteip` may have set it).
    case clientAddress
    /// `%{c}a` and `%{c}h`: the address of the connection's peer.
    case peerAddress
    /// `%A`: the server's local address.
    case localAddress
    /// `%l`: the identity from identd, never the authenticated user.
    case identity
    /// `%u`: the authenticated user name.
    case user
    /// `%t` and `%{...}t`: when the request was received.
    case time
    /// `%r`: the first line of the request.
    case request
    /// `%m`.
    case method
    /// `%U`.
    case path
    /// `%q` and nginx `$is_args$args`: the query string with its leading `?`,
    /// or empty. nginx's `$args` alone has no `?`.
    case query
    /// `%H`.
    case protocolName
    /// `%>s`: the final status.
    case finalStatus
    /// `%s`: the status of the original request before internal redirects.
    case originalStatus
    /// `%b` and `%B`: the size of the response body.
    case responseBytes
    /// `%O`: bytes sent, headers included.
    case bytesSent
    /// `%I`: bytes received, headers included.
    case bytesReceived
    /// `%S`: bytes received and sent.
    case bytesTransferred
    /// `%D`, `%T`, `%{UNIT}T`, nginx `$request_time`: time taken to serve the request.
    case duration
    /// `%v`: the canonical name of the virtual host.
    case virtualHost
    /// `%V`: the server name according to `UseCanonicalName`.
    case serverName
    /// `%p` and `%{canonical}p`, `%{local}p`.
    case serverPort
    /// `%{remote}p`.
    case remotePort
    /// `%k`: keep-alive requests served on this connection.
    case keepAliveRequests
    /// `%L`: the request's log id.
    case logID
    /// `%X`: the connection status when the response completed.
    case connectionStatus
    /// `%{X-Forwarded-For}i`.
    case forwardedFor
    /// `%{Referer}i`.
    case referer
    /// `%{User-Agent}i`.
    case userAgent
    /// `%{Host}i`.
    case hostHeader

    /// The name used in JSON output.
    public var name: String {
        switch self {
        case .remoteHost: "remoteHost"
        case .clientAddress: "clientAddress"
        case .peerAddress: "peerAddress"
        case .localAddress: "localAddress"
        case .identity: "identity"
        case .user: "user"
        case .time: "time"
        case .request: "request"
        case .method: "method"
        case .path: "path"
        case .query: "query"
        case .protocolName: "protocol"
        case .finalStatus: "status"
        case .originalStatus: "originalStatus"
        case .responseBytes: "responseBytes"
        case .bytesSent: "bytesSent"
        case .bytesReceived: "bytesReceived"
        case .bytesTransferred: "bytesTransferred"
        case .duration: "duration"
        case .virtualHost: "virtualHost"
        case .serverName: "serverName"
        case .serverPort: "serverPort"
        case .remotePort: "remotePort"
        case .keepAliveRequests: "keepAliveRequests"
        case .logID: "logID"
        case .connectionStatus: "connectionStatus"
        case .forwardedFor: "forwardedFor"
        case .referer: "referer"
        case .userAgent: "userAgent"
        case .hostHeader: "hostHeader"
        }
    }

    /// Tells whether a line may end before this field, as a common-format line
    /// ends before the referer and user agent of combined.
    var mayBeMissingAtEnd: Bool {
        switch self {
        case .referer, .userAgent, .forwardedFor, .hostHeader, .duration, .keepAliveRequests,
            .logID, .connectionStatus, .bytesReceived, .bytesSent, .bytesTransferred:
            true
        default:
            false
        }
    }
}
