/// Client-controlled bytes made safe to show in a terminal or a journal
/// message: printable ASCII is kept, a backslash is doubled, and every other
/// byte becomes `\xhh`, so that control characters and invalid UTF-8 can
/// neither forge lines nor move the cursor.
public enum DisplayText {
    /// Returns the escaped text of `bytes`, cut after `maxBytes` input bytes
    /// with `...` appended when longer.
    public static func escaped(_ bytes: UnsafeBufferPointer<UInt8>, maxBytes: Int) -> String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var output: [UInt8] = []
        output.reserveCapacity(min(bytes.count, maxBytes) + 8)
        for byte in bytes.prefix(maxBytes) {
            switch byte {
            case 0x5C:
                output += [0x5C, 0x5C]
            case 0x20...0x7E:
                output.append(byte)
            default:
                output += [0x5C, UInt8(ascii: "x"), digits[Int(byte >> 4)], digits[Int(byte & 0xF)]]
            }
        }
        if bytes.count > maxBytes { output += Array("...".utf8) }
        return String(decoding: output, as: UTF8.self)
    }

    /// Returns `text` escaped like `escaped(_:maxBytes:)`.
    public static func escaped(_ text: String, maxBytes: Int) -> String {
        var copy = text
        return copy.withUTF8 { escaped($0, maxBytes: maxBytes) }
    }

    /// Returns `text` for a UTF-8 medium such as the report's mail parts.
    /// Printable characters of any script are kept and a backslash is
    /// doubled. ASCII control characters become `\xhh` as in `escaped`;
    /// other control, format, separator, private-use and unassigned
    /// characters become `\u{hhhh}`. The format characters include the
    /// bidirectional overrides, which would reorder what follows. Cut after at most `maxBytes` UTF-8 bytes of input, between
    /// two Unicode scalars, with `...` appended when longer.
    public static func readable(_ text: String, maxBytes: Int) -> String {
        var output = ""
        var used = 0
        for scalar in text.unicodeScalars {
            let length = UTF8.width(scalar)
            guard used + length <= maxBytes else {
                output += "..."
                return output
            }
            used += length
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator, .privateUse, .surrogate, .unassigned:
                if scalar.value < 0x80 {
                    // As `escaped` writes them, so that `scan` and the report agree.
                    let hex = String(scalar.value, radix: 16)
                    output += "\\x" + (hex.count == 1 ? "0" + hex : hex)
                } else {
                    output += "\\u{" + String(scalar.value, radix: 16) + "}"
                }
            default:
                if scalar == "\\" { output += "\\\\" } else { output.unicodeScalars.append(scalar) }
            }
        }
        return output
    }
}
