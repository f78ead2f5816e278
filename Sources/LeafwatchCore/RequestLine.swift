/// The parts of a logged HTTP request line (`%r`, nginx `$request`).
///
/// The parser stores the request line as one field. A caller splits it here:
/// - The method is the first space-separated token and must be an HTTP token
///   (RFC 9110 `tchar`: letters, digits and ``!#$%&'*+-.^_`|~``). Its case is
///   kept, so `get` stays `get`, and any token is accepted, such as `BREW`.
/// - The protocol is the last token when it looks like `HTTP/d` or `HTTP/d.d`
///   and at least one token lies between it and the method.
/// - The target is everything between the method and the protocol, spaces
///   included (`GET /a b c HTTP/1.1` has the target `/a b c`), or everything
///   after the method when there is no protocol (HTTP/0.9 form, `GET /`).
///
/// `split` returns nil for what is not an HTTP request. That is `-` or an
/// empty string (nothing received), a single token (`SSH-2.0-Go`, `HELP`),
/// and bytes whose first token is not an HTTP token. TLS and RDP handshakes
/// are such bytes, logged as `\x16\x03\x01…`.
///
/// The split works on the bytes as logged. Apache and nginx escape quotes,
/// backslashes and control bytes but never a space, so escapes never hide a
/// separator. Decode each part with `ApacheEscapes.decode(_:)`.
public struct RequestLine: Sendable, Equatable {
    /// Offsets into the buffer given to `split(_:)`.
    public var method: ByteRange
    public var target: ByteRange
    /// `ByteRange.absent` for an HTTP/0.9 request line without a protocol.
    public var protocolName: ByteRange
    /// True for `PRI * HTTP/2.0`, the start of the HTTP/2 connection
    /// preface, which a client sent to a server that expected HTTP/1.
    public var isHTTP2Preface: Bool

    /// Splits a logged request line, or returns nil when it is not an HTTP request.
    public static func split(_ bytes: UnsafeBufferPointer<UInt8>) -> RequestLine? {
        var end = bytes.count
        while end > 0, bytes[end - 1] == ASCII.space { end -= 1 }

        // Method: one HTTP token followed by a space.
        var methodEnd = 0
        while methodEnd < end, bytes[methodEnd] != ASCII.space {
            guard isTokenByte(bytes[methodEnd]) else { return nil }
            methodEnd += 1
        }
        guard methodEnd > 0, methodEnd < end else { return nil }

        var targetStart = methodEnd
        while targetStart < end, bytes[targetStart] == ASCII.space { targetStart += 1 }

        // Protocol: the last token, when it is not also the first token after the method.
        var protocolStart = end
        while protocolStart > targetStart, bytes[protocolStart - 1] != ASCII.space { protocolStart -= 1 }
        var targetEnd = end
        var protocolName = ByteRange.absent
        if protocolStart > targetStart,
           looksLikeHTTPVersion(UnsafeBufferPointer(rebasing: bytes[protocolStart..<end])) {
            protocolName = ByteRange(protocolStart, end)
            targetEnd = protocolStart
            while targetEnd > targetStart, bytes[targetEnd - 1] == ASCII.space { targetEnd -= 1 }
        }

        let method = ByteRange(0, methodEnd)
        let target = ByteRange(targetStart, targetEnd)
        let isPreface = bytes.slice(method).equals("PRI") && bytes.slice(target).equals("*")
            && protocolName.isPresent && bytes.slice(protocolName).equals("HTTP/2.0")
        return RequestLine(method: method, target: target, protocolName: protocolName, isHTTP2Preface: isPreface)
    }

    /// Tells whether the bytes are `HTTP/` followed by a digit and optionally `.` and a digit.
    static func looksLikeHTTPVersion(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.hasPrefix("HTTP/") else { return false }
        switch bytes.count {
        case 6:
            return ASCII.isDigit(bytes[5])
        case 8:
            return ASCII.isDigit(bytes[5]) && bytes[6] == ASCII.dot && ASCII.isDigit(bytes[7])
        default:
            return false
        }
    }

    /// Tells whether the byte is an RFC 9110 `tchar`.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A:
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
            UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }
}
