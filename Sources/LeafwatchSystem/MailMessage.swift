#if canImport(Glibc)
import Glibc
#endif
import Foundation
import LeafwatchCore

/// A mail message with a plain-text and an HTML version of the same content,
/// rendered as MIME (RFC 2045, RFC 2046) for the sendmail interface.
///
/// The body is `multipart/alternative` with a `text/plain` part first and a
/// `text/html` part second, both UTF-8 in quoted-printable, so every line of
/// the rendered message is at most 76 characters before its line ending. A
/// non-ASCII subject becomes RFC 2047 encoded words.
///
/// Header values come from the configuration, the command line and the
/// logs. A CR or LF in any of them would end the header and let the rest
/// become headers of its own, so the initializer rejects them with
/// `MailError.lineBreakInHeader`. Addresses must be plain `local@domain`.
///
/// Line endings: `render(lineEnding: .lf)` is for the sendmail interface,
/// which reads the message in the local text format with LF line endings and
/// sends CRLF over SMTP itself. The tests check this with msmtp 1.8.23; for
/// Postfix, Exim and nullmailer it is their documented convention, not tested
/// here. `.crlf` gives the wire format, for SMTP or a `.eml` file.
public struct MailMessage: Sendable {
    /// The sender address, `local@domain`.
    public let sender: String
    /// The recipient addresses, at least one.
    public let recipients: [String]
    /// The subject as readable text, before any encoding.
    public let subject: String
    /// The time in the `Date:` header.
    public let date: Date
    /// The zone the `Date:` header is written in.
    public let timeZone: TimeZone
    /// The `Message-ID:` value without its angle brackets: random hex digits, `@` and the host.
    public let messageID: String
    /// The `text/plain` part.
    public let text: String
    /// The `text/html` part, a complete HTML document.
    public let html: String

    /// Creates a message after checking every header value.
    ///
    /// - Parameters:
    ///   - host: the domain of the `Message-ID:`; nil takes the host name, or `localhost` when it is not a valid domain.
    /// - Throws: `MailError` naming the header whose value is invalid.
    public init(
        sender: String,
        recipients: [String],
        subject: String,
        text: String,
        html: String,
        date: Date = Date(),
        timeZone: TimeZone = .current,
        host: String? = nil
    ) throws(MailError) {
        try Self.checkAddress(sender, header: "From")
        guard !recipients.isEmpty else { throw MailError.noRecipients }
        for recipient in recipients {
            try Self.checkAddress(recipient, header: "To")
        }
        try Self.checkLineBreaks(subject, header: "Subject")
        let domain = host ?? Self.hostName()
        try Self.checkLineBreaks(domain, header: "Message-ID")
        guard Self.isDomain(domain) else { throw MailError.invalidValue(header: "Message-ID", value: domain) }

        self.sender = sender
        self.recipients = recipients
        self.subject = subject
        self.text = text
        self.html = html
        self.date = date
        self.timeZone = timeZone
        self.messageID = Self.randomHex(byteCount: 16) + "@" + domain
    }

    /// The line ending of the rendered bytes.
    public enum LineEnding: Sendable {
        /// LF, the local text format that sendmail programs read on standard input.
        case lf
        /// CRLF, the wire format of SMTP and `.eml` files.
        case crlf

        var bytes: String { self == .lf ? "\n" : "\r\n" }
    }

    /// Renders the headers and the MIME body as bytes.
    public func render(lineEnding: LineEnding = .lf) -> [UInt8] {
        let eol = lineEnding.bytes
        let plainPart = QuotedPrintable.encode(Self.withoutFinalLineBreak(text), lineEnding: eol)
        let htmlPart = QuotedPrintable.encode(Self.withoutFinalLineBreak(html), lineEnding: eol)
        let boundary = Self.boundary(avoiding: [plainPart, htmlPart])

        var lines: [String] = []
        lines.append("From: " + sender)
        lines.append(Self.addressList("To: ", recipients, lineEnding: eol))
        lines.append(Self.encodedSubject(subject, lineEnding: eol))
        lines.append("Date: " + Self.rfc5322Date(date, timeZone: timeZone))
        lines.append("Message-ID: <" + messageID + ">")
        // RFC 3834: automatic replies (vacation notices) are not sent back to this message.
        lines.append("Auto-Submitted: auto-generated")
        lines.append("MIME-Version: 1.0")
        lines.append("Content-Type: multipart/alternative;" + eol + " boundary=\"" + boundary + "\"")
        lines.append("")
        lines.append("This is a multipart message in MIME format.")

        for (type, encoded) in [("text/plain", plainPart), ("text/html", htmlPart)] {
            lines.append("")
            lines.append("--" + boundary)
            lines.append("Content-Type: " + type + "; charset=utf-8")
            lines.append("Content-Transfer-Encoding: quoted-printable")
            lines.append("")
            lines.append(encoded)
        }
        lines.append("")
        lines.append("--" + boundary + "--")
        return Array((lines.joined(separator: eol) + eol).utf8)
    }
}

/// An invalid value for a mail header.
public enum MailError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The value for `header` contains CR or LF, which would start a header of its own.
    case lineBreakInHeader(header: String)
    /// The value for `header` is not valid there, such as an address that is not `local@domain`.
    case invalidValue(header: String, value: String)
    /// The message has no recipient.
    case noRecipients

    public var description: String {
        switch self {
        case .lineBreakInHeader(let header):
            return "invalid value for the mail header \(header): it contains a line break (CR or LF), which would add headers"
        case .invalidValue(let header, let value):
            return "invalid value for the mail header \(header): '\(DisplayText.escaped(value, maxBytes: 200))'; expected a plain address such as ops@example.com"
        case .noRecipients:
            return "the mail has no recipient; set [Report] To= or pass --to"
        }
    }
}

// MARK: - Headers

extension MailMessage {
    /// Returns the UTF-8 of `text` without one final line break. The line
    /// break before a boundary belongs to the boundary (RFC 2046 section 5.1.1),
    /// and `render` puts an empty line there, so every part ends with exactly
    /// one line break whether or not `text` ends with one.
    static func withoutFinalLineBreak(_ text: String) -> [UInt8] {
        var bytes = Array(text.utf8)
        if bytes.last == 0x0A { bytes.removeLast() }
        if bytes.last == 0x0D { bytes.removeLast() }
        return bytes
    }

    static func checkLineBreaks(_ value: String, header: String) throws(MailError) {
        if value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A }) {
            throw MailError.lineBreakInHeader(header: header)
        }
    }

    /// Checks a plain `local@domain` address of printable ASCII, the form `[Report] To=` accepts.
    static func checkAddress(_ address: String, header: String) throws(MailError) {
        try checkLineBreaks(address, header: header)
        guard MailAddress.isValid(address) else {
            throw MailError.invalidValue(header: header, value: address)
        }
    }

    /// True for a host name of letters, digits, `-` and `.`, which is valid on the right of a Message-ID.
    static func isDomain(_ name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix(".") && !name.hasSuffix(".") && !name.contains("..")
            && name.utf8.allSatisfy { ASCIIClass.isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") }
    }

    /// Returns the machine's host name, or `localhost` when it is not a valid domain.
    public static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return isDomain(name) ? name : "localhost"
    }

    static func randomHex(byteCount: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        var result = ""
        for _ in 0..<byteCount {
            let byte = UInt8.random(in: 0...255, using: &generator)
            result += String(byte, radix: 16).count == 1 ? "0" + String(byte, radix: 16) : String(byte, radix: 16)
        }
        return result
    }

    /// Returns a boundary that occurs in none of `parts`. A quoted-printable
    /// part cannot contain `=_`, so the first one fits; the check keeps that true
    /// whatever produces the parts.
    static func boundary(avoiding parts: [String]) -> String {
        while true {
            let candidate = "=_leafwatch_" + randomHex(byteCount: 16)
            if !parts.contains(where: { $0.contains(candidate) }) { return candidate }
        }
    }

    /// Formats `date` as RFC 5322 section 3.3 does: `Fri, 04 Dec 2026 08:00:00 +0100`.
    static func rfc5322Date(_ date: Date, timeZone: TimeZone) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.calendar = Calendar(identifier: .gregorian)
        formatter.timeZone = timeZone
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return formatter.string(from: date)
    }

    /// Joins addresses with `, ` and folds before an address that would carry the line past 78 characters.
    static func addressList(_ prefix: String, _ addresses: [String], lineEnding: String) -> String {
        var result = prefix
        var lineLength = prefix.utf8.count
        for (index, address) in addresses.enumerated() {
            let separator = index == 0 ? "" : ","
            let piece = address.utf8.count + (index == addresses.count - 1 ? 0 : 1)
            if index > 0 && lineLength + 1 + piece > 78 {
                result += separator + lineEnding + " " + address
                lineLength = 1 + address.utf8.count
            } else {
                result += separator + (index == 0 ? "" : " ") + address
                lineLength += (index == 0 ? 0 : 2) + address.utf8.count
            }
        }
        return result
    }

    /// Writes the `Subject:` header: printable ASCII folded at spaces, anything else as encoded words.
    static func encodedSubject(_ subject: String, lineEnding: String) -> String {
        let words = subject.split(separator: " ", omittingEmptySubsequences: false)
        let isPlain = subject.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
            && !subject.contains("=?")
            && words.allSatisfy { $0.utf8.count <= 60 }
        if isPlain {
            var result = "Subject:"
            var lineLength = result.utf8.count
            for word in words {
                if lineLength + 1 + word.utf8.count > 78 {
                    result += lineEnding
                    lineLength = 0
                }
                result += " " + word
                lineLength += 1 + word.utf8.count
            }
            return result
        }
        return "Subject: " + encodedWords(subject).joined(separator: lineEnding + " ")
    }

    /// Splits `text` into RFC 2047 `B` encoded words of whole Unicode scalars.
    /// At most 39 bytes of UTF-8 go into one word, so a word is 64 characters
    /// and every folded line stays within 78.
    static func encodedWords(_ text: String) -> [String] {
        let maxBytes = 39
        var chunks: [[UInt8]] = [[]]
        for scalar in text.unicodeScalars {
            let bytes = Array(String(scalar).utf8)
            if chunks[chunks.count - 1].count + bytes.count > maxBytes {
                chunks.append([])
            }
            chunks[chunks.count - 1] += bytes
        }
        return chunks.map { "=?UTF-8?B?" + Data($0).base64EncodedString() + "?=" }
    }
}

/// Byte classes for headers, kept here so that the mail code needs nothing from the parsers.
enum ASCIIClass {
    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
    }
}

// MARK: - Quoted-printable

/// The quoted-printable transfer encoding of RFC 2045 section 6.7.
enum QuotedPrintable {
    /// The maximum length of an encoded line, without its line ending, set by RFC 2045.
    static let maxLineLength = 76

    /// Encodes `bytes` as text with `lineEnding` between lines. Line breaks in
    /// the input (LF, CRLF or a lone CR) become hard line breaks; longer lines
    /// get soft line breaks (`=` at the end). Besides what the RFC requires,
    /// a `.` or a `From ` at the start of a line is encoded, so that an SMTP
    /// server or an mbox file cannot change it.
    static func encode(_ bytes: [UInt8], lineEnding: String) -> String {
        var output = ""
        output.reserveCapacity(bytes.count + bytes.count / 8)
        for (index, line) in splitLines(bytes).enumerated() {
            if index > 0 { output += lineEnding }
            encodeLine(line, lineEnding: lineEnding, into: &output)
        }
        return output
    }

    static func splitLines(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        var lines: [ArraySlice<UInt8>] = []
        var start = 0
        var index = 0
        while index < bytes.count {
            if bytes[index] == 0x0A || bytes[index] == 0x0D {
                lines.append(bytes[start..<index])
                if bytes[index] == 0x0D && index + 1 < bytes.count && bytes[index + 1] == 0x0A {
                    index += 1
                }
                start = index + 1
            }
            index += 1
        }
        lines.append(bytes[start..<bytes.count])
        return lines
    }

    private static func encodeLine(_ line: ArraySlice<UInt8>, lineEnding: String, into output: inout String) {
        var length = 0
        var index = line.startIndex
        while index < line.endIndex {
            let byte = line[index]
            let isLast = index == line.endIndex - 1
            var token = self.token(byte, isLast: isLast, atLineStart: length == 0, rest: line[index...])

            // The soft line break `=` must fit on the line too, except after the last token.
            let limit = isLast ? maxLineLength : maxLineLength - 1
            if length + token.utf8.count > limit {
                output += "=" + lineEnding
                length = 0
                token = self.token(byte, isLast: isLast, atLineStart: true, rest: line[index...])
            }
            output += token
            length += token.utf8.count
            index += 1
        }
    }

    private static func token(_ byte: UInt8, isLast: Bool, atLineStart: Bool, rest: ArraySlice<UInt8>) -> String {
        let isSpace = byte == 0x20 || byte == 0x09
        let isLiteral = (byte >= 0x21 && byte <= 0x7E && byte != UInt8(ascii: "=")) || (isSpace && !isLast)
        let guardsLineStart = atLineStart && (byte == UInt8(ascii: ".") || rest.starts(with: "From ".utf8))
        if isLiteral && !guardsLineStart {
            return String(Character(Unicode.Scalar(byte)))
        }
        let digits = Array("0123456789ABCDEF".utf8)
        return String(decoding: [UInt8(ascii: "="), digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]], as: UTF8.self)
    }
}
