extension LogFormat.Builder {
    /// Compiles nginx `log_format` syntax: `$name` or `${name}` variables and
    /// literal text. Variables without a fixed meaning become extra fields.
    mutating func compileNginx(_ format: [UInt8], source: String) throws(LogFormatError) {
        var literal: [UInt8] = []
        var i = 0
        while i < format.count {
            guard format[i] == ASCII.dollar else {
                literal.append(format[i])
                i += 1
                continue
            }
            let start = i
            var nameStart = i + 1
            var nameEnd: Int
            if nameStart < format.count, format[nameStart] == ASCII.openBrace {
                nameStart += 1
                guard let close = format[nameStart...].firstIndex(of: ASCII.closeBrace) else {
                    throw LogFormatError(format: source, offset: start, reason: "'${' without a closing '}'")
                }
                nameEnd = close
                i = close + 1
            } else {
                nameEnd = nameStart
                while nameEnd < format.count, Self.isVariableByte(format[nameEnd]) { nameEnd += 1 }
                i = nameEnd
            }
            guard nameEnd > nameStart else {
                throw LogFormatError(format: source, offset: start, reason: "'$' without a variable name")
            }
            let name = String(decoding: format[nameStart..<nameEnd], as: UTF8.self)
            appendLiteral(literal)
            literal.removeAll()
            directiveOffset = start

            // `$is_args$args` writes `?` and the arguments, or nothing, as Apache's `%q` does.
            if name == "is_args", let argsEnd = Self.argsVariableEnd(format, at: i) {
                appendField(.query, .text, "$is_args$args")
                i = argsEnd
                continue
            }
            appendNginxVariable(name, directive: "$" + name)
        }
        appendLiteral(literal)
    }

    /// Returns the offset after `$args` or `${args}` when it starts at `index`.
    private static func argsVariableEnd(_ format: [UInt8], at index: Int) -> Int? {
        for spelling in ["$args", "${args}"] {
            let bytes = Array(spelling.utf8)
            let end = index + bytes.count
            guard end <= format.count, Array(format[index..<end]) == bytes else { continue }
            if spelling == "$args", end < format.count, isVariableByte(format[end]) { continue }
            return end
        }
        return nil
    }

    private static func isVariableByte(_ byte: UInt8) -> Bool {
        (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || ASCII.isDigit(byte) || byte == 0x5F
    }

    private mutating func appendNginxVariable(_ name: String, directive: String) {
        switch name {
        case "remote_addr": appendField(.remoteHost, .text, directive)
        case "realip_remote_addr": appendField(.peerAddress, .text, directive)
        case "server_addr": appendField(.localAddress, .text, directive)
        case "remote_user": appendField(.user, .text, directive)
        case "time_local": appendField(.time, .commonLogTime, directive)
        case "time_iso8601": appendField(.time, .strftime("%Y-%m-%dT%H:%M:%S%z"), directive)
        // nginx writes `$msec` as seconds with a millisecond fraction, `1710079331.123`.
        case "msec": appendField(.time, .epochTime(unitsPerSecond: 1), directive)
        case "request": appendField(.request, .text, directive)
        case "request_method": appendField(.method, .text, directive)
        case "uri", "document_uri": appendField(.path, .text, directive)
        case "args", "query_string": appendField(.query, .text, directive)
        case "server_protocol": appendField(.protocolName, .text, directive)
        case "status": appendField(.finalStatus, .status, directive)
        case "body_bytes_sent": appendField(.responseBytes, .integer, directive)
        case "bytes_sent": appendField(.bytesSent, .integer, directive)
        case "request_length": appendField(.bytesReceived, .integer, directive)
        case "request_time": appendField(.duration, .duration(unitsPerSecond: 1), directive)
        case "host", "server_name": appendField(.virtualHost, .text, directive)
        case "server_port": appendField(.serverPort, .integer, directive)
        case "remote_port": appendField(.remotePort, .integer, directive)
        case "connection_requests": appendField(.keepAliveRequests, .integer, directive)
        case "request_id": appendField(.logID, .text, directive)
        default:
            if name.hasPrefix("http_") {
                let header = name.dropFirst(5).map { $0 == "_" ? "-" : $0 }
                appendHeader(String(header), directive: directive)
            } else {
                appendExtra("nginx:" + name, .text, directive)
            }
        }
    }
}
