extension LogFormat.Builder {
    /// Compiles Apache `mod_log_config` syntax: `%` [conditions] [`<` or `>`]
    /// [`{argument}`] letter. Status conditions such as `%400,501{Referer}i`
    /// only decide whether Apache writes the value or `-`, so they are skipped.
    mutating func compileApache(_ format: [UInt8], source: String) throws(LogFormatError) {
        var literal: [UInt8] = []
        var i = 0
        func fail(_ offset: Int, _ reason: String) -> LogFormatError {
            LogFormatError(format: source, offset: offset, reason: reason)
        }

        while i < format.count {
            let byte = format[i]
            if byte == ASCII.backslash, i + 1 < format.count {
                // Apache's configuration parser turns these escapes into bytes.
                switch format[i + 1] {
                case UInt8(ascii: "n"): literal.append(ASCII.newline)
                case UInt8(ascii: "t"): literal.append(ASCII.tab)
                default: literal.append(format[i + 1])
                }
                i += 2
                continue
            }
            guard byte == ASCII.percent else {
                literal.append(byte)
                i += 1
                continue
            }

            let start = i
            i += 1
            guard i < format.count else { throw fail(start, "'%' at the end of the format") }
            if format[i] == ASCII.percent {
                literal.append(ASCII.percent)
                i += 1
                continue
            }

            // Status conditions: `!` and comma-separated codes.
            while i < format.count, format[i] == UInt8(ascii: "!") || format[i] == ASCII.comma || ASCII.isDigit(format[i]) {
                i += 1
            }
            var redirect: UInt8? = nil
            if i < format.count, format[i] == ASCII.greaterThan || format[i] == UInt8(ascii: "<") {
                redirect = format[i]
                i += 1
            }
            var argument: String? = nil
            if i < format.count, format[i] == ASCII.openBrace {
                guard let close = format[(i + 1)...].firstIndex(of: ASCII.closeBrace) else {
                    throw fail(i, "'{' without a closing '}'")
                }
                argument = String(decoding: format[(i + 1)..<close], as: UTF8.self)
                i = close + 1
            }
            // `%^ti` and `%^to` name request and response trailers.
            var trailer = false
            if i + 1 < format.count, format[i] == UInt8(ascii: "^"), format[i + 1] == UInt8(ascii: "t") {
                trailer = true
                i += 2
            }
            guard i < format.count else { throw fail(start, "directive without a letter") }
            let letter = format[i]
            i += 1
            let directive = String(decoding: format[start..<i], as: UTF8.self)

            appendLiteral(literal)
            literal.removeAll()
            directiveOffset = start
            if trailer {
                appendExtra("trailer:" + (argument ?? ""), .text, directive)
                continue
            }
            try appendApacheDirective(letter, argument: argument, redirect: redirect,
                                      directive: directive, offset: start, source: source)
        }
        appendLiteral(literal)
    }

    private mutating func appendApacheDirective(
        _ letter: UInt8, argument: String?, redirect: UInt8?, directive: String, offset: Int, source: String
    ) throws(LogFormatError) {
        switch Character(Unicode.Scalar(letter)) {
        case "a":
            appendField(argument == "c" ? .peerAddress : .clientAddress, .text, directive)
        case "A": appendField(.localAddress, .text, directive)
        case "b", "B": appendField(.responseBytes, .integer, directive)
        case "C": appendExtra("cookie:" + (argument ?? ""), .text, directive)
        case "D": appendField(.duration, .duration(unitsPerSecond: 1_000_000), directive)
        case "e": appendExtra("env:" + (argument ?? ""), .text, directive)
        case "f": appendExtra("filename", .text, directive)
        case "h":
            // `%{c}h` names the connection's peer even when mod_remoteip changed the client.
            appendField(argument == "c" ? .peerAddress : .remoteHost, .text, directive)
        case "H": appendField(.protocolName, .text, directive)
        case "i": appendHeader(argument ?? "", directive: directive)
        case "I": appendField(.bytesReceived, .integer, directive)
        case "k": appendField(.keepAliveRequests, .integer, directive)
        case "l": appendField(.identity, .text, directive)
        case "L": appendField(.logID, .text, directive)
        case "m": appendField(.method, .text, directive)
        case "n": appendExtra("note:" + (argument ?? ""), .text, directive)
        case "o": appendExtra("response:" + (argument ?? ""), .text, directive)
        case "O": appendField(.bytesSent, .integer, directive)
        case "p":
            switch argument {
            case nil, "canonical", "local": appendField(.serverPort, .integer, directive)
            case "remote": appendField(.remotePort, .integer, directive)
            default:
                throw LogFormatError(format: source, offset: offset,
                                     reason: "unknown port kind in '\(directive)'; expected canonical, local or remote")
            }
        case "P": appendExtra("process:" + (argument ?? "pid"), .text, directive)
        case "q": appendField(.query, .text, directive)
        case "r": appendField(.request, .text, directive)
        case "R": appendExtra("handler", .text, directive)
        case "s":
            appendField(redirect == UInt8(ascii: "<") || redirect == nil ? .originalStatus : .finalStatus, .status, directive)
        case "S": appendField(.bytesTransferred, .integer, directive)
        case "t":
            try appendApacheTime(argument, directive: directive, offset: offset, source: source)
        case "T":
            let units: Int64
            switch argument {
            case nil, "s": units = 1
            case "ms": units = 1000
            case "us": units = 1_000_000
            default:
                throw LogFormatError(format: source, offset: offset,
                                     reason: "unknown unit in '\(directive)'; expected s, ms or us")
            }
            appendField(.duration, .duration(unitsPerSecond: units), directive)
        case "u": appendField(.user, .text, directive)
        case "U": appendField(.path, .text, directive)
        case "v": appendField(.virtualHost, .text, directive)
        case "V": appendField(.serverName, .text, directive)
        case "X": appendField(.connectionStatus, .text, directive)
        case "x":
            // mod_ssl's `%{SSL_PROTOCOL}x`, `%{SSL_CIPHER}x` and other SSL variables.
            appendExtra("ssl:" + (argument ?? ""), .text, directive)
        default:
            throw LogFormatError(format: source, offset: offset, reason: "unknown directive '\(directive)'")
        }
    }

    /// `%t`, `%{sec}t`, `%{msec}t`, `%{usec}t` and strftime patterns, each
    /// optionally prefixed with `begin:` or `end:`.
    private mutating func appendApacheTime(_ argument: String?, directive: String, offset: Int, source: String) throws(LogFormatError) {
        guard var pattern = argument else {
            appendLiteral([ASCII.openBracket])
            appendField(.time, .commonLogTime, directive)
            appendLiteral([ASCII.closeBracket])
            return
        }
        if pattern.hasPrefix("begin:") { pattern.removeFirst(6) }
        if pattern.hasPrefix("end:") { pattern.removeFirst(4) }
        switch pattern {
        case "sec": appendField(.time, .epochTime(unitsPerSecond: 1), directive)
        case "msec": appendField(.time, .epochTime(unitsPerSecond: 1000), directive)
        case "usec": appendField(.time, .epochTime(unitsPerSecond: 1_000_000), directive)
        case "msec_frac", "usec_frac": appendExtra("time:" + pattern, .text, directive)
        case "":
            appendLiteral([ASCII.openBracket])
            appendField(.time, .commonLogTime, directive)
            appendLiteral([ASCII.closeBracket])
        default:
            guard StrftimePattern(pattern) != nil else {
                throw LogFormatError(format: source, offset: offset,
                                     reason: "unsupported time pattern '\(pattern)'; use %Y %m %d %e %b %H %M %S %T %F %z and literal text")
            }
            appendField(.time, .strftime(pattern), directive)
        }
    }
}
