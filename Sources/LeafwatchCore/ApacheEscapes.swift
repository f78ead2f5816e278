/// Decoding of the escapes that Apache's `mod_log_config` writes in `%r`,
/// `%u` and header fields: `\"`, `\\`, `\n`, `\t`, `\r`, `\v`, `\b` and
/// `\xhh` (nginx writes `\xHH`, also decoded). A backslash before any other
/// byte is kept as written.
public enum ApacheEscapes {
    /// Returns the decoded bytes of a logged field.
    public static func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        guard bytes.firstIndex(of: ASCII.backslash, from: 0, to: bytes.count) != nil else { return Array(bytes) }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            guard byte == ASCII.backslash, i + 1 < bytes.count else {
                output.append(byte)
                i += 1
                continue
            }
            switch bytes[i + 1] {
            case ASCII.quote: output.append(ASCII.quote)
            case ASCII.backslash: output.append(ASCII.backslash)
            case UInt8(ascii: "n"): output.append(ASCII.newline)
            case UInt8(ascii: "t"): output.append(ASCII.tab)
            case UInt8(ascii: "r"): output.append(ASCII.carriageReturn)
            case UInt8(ascii: "v"): output.append(0x0B)
            case UInt8(ascii: "b"): output.append(0x08)
            case UInt8(ascii: "x"):
                if i + 3 < bytes.count, let high = ASCII.hexValue(bytes[i + 2]), let low = ASCII.hexValue(bytes[i + 3]) {
                    output.append(high << 4 | low)
                    i += 4
                    continue
                }
                output.append(byte)
                i += 1
                continue
            default:
                output.append(byte)
                i += 1
                continue
            }
            i += 2
        }
        return output
    }

    /// Returns the decoded field as text; bytes that are not UTF-8 become U+FFFD.
    public static func decodeString(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        let decoded = decode(bytes)
        return String(decoding: decoded, as: UTF8.self)
    }
}
