/// A minimal streaming JSON writer for output that must stay fast and
/// exact: keys in the order written, integers as written, strings escaped
/// per RFC 8259 (and U+2028, U+2029 and DEL escaped too, for JavaScript
/// readers and terminals).
public struct JSONWriter {
    private var bytes: [UInt8] = []
    /// Receives the text in pieces when set, so that a large document is
    /// never held in memory whole.
    private let sink: (([UInt8]) -> Void)?
    /// Bit `depth` is set when the container at that depth already contains a value.
    private var hasValue: UInt64 = 0
    private var depth = 0

    public init() {
        sink = nil
        bytes.reserveCapacity(1 << 12)
    }

    /// Creates a writer that hands its text to `sink` in pieces of about
    /// 64 KiB. Call `flush()` at the end.
    public init(sink: @escaping ([UInt8]) -> Void) {
        self.sink = sink
        bytes.reserveCapacity(1 << 17)
    }

    /// Hands the text written so far to the sink.
    public mutating func flush() {
        guard let sink, !bytes.isEmpty else { return }
        sink(bytes)
        bytes.removeAll(keepingCapacity: true)
    }

    /// The JSON text written so far.
    public var output: String { String(decoding: bytes, as: UTF8.self) }

    public mutating func beginObject() { open(0x7B) }
    public mutating func endObject() { close(0x7D) }
    public mutating func beginArray() { open(0x5B) }
    public mutating func endArray() { close(0x5D) }

    /// Writes an object key; the next value belongs to it.
    public mutating func key(_ name: String) {
        separate()
        appendString(name)
        bytes.append(0x3A)
        hasValue &= ~(1 << UInt64(depth))
    }

    public mutating func value(_ number: Int) { separate(); appendInteger(Int64(number)) }
    public mutating func value(_ number: Int64) { separate(); appendInteger(number) }
    public mutating func value(_ flag: Bool) { separate(); bytes += flag ? Array("true".utf8) : Array("false".utf8) }
    public mutating func value(_ text: String) { separate(); appendString(text) }
    public mutating func null() { separate(); bytes += Array("null".utf8) }

    public mutating func field(_ name: String, _ number: Int) { key(name); value(number) }
    public mutating func field(_ name: String, _ number: Int64) { key(name); value(number) }
    public mutating func field(_ name: String, _ text: String) { key(name); value(text) }
    public mutating func field(_ name: String, _ flag: Bool) { key(name); value(flag) }
    public mutating func field(_ name: String, _ text: String?) {
        key(name)
        if let text { value(text) } else { null() }
    }

    private mutating func separate() {
        let bit: UInt64 = 1 << UInt64(depth)
        if hasValue & bit != 0 { bytes.append(0x2C) }
        hasValue |= bit
    }

    private mutating func open(_ bracket: UInt8) {
        separate()
        bytes.append(bracket)
        depth += 1
        precondition(depth < 64, "JSON nested deeper than 63 levels")
        hasValue &= ~(1 << UInt64(depth))
    }

    private mutating func close(_ bracket: UInt8) {
        depth -= 1
        bytes.append(bracket)
        if sink != nil, bytes.count >= 1 << 16 { flush() }
    }

    /// Writes a line break between documents, as JSON Lines need.
    public mutating func newline() {
        bytes.append(0x0A)
    }

    private mutating func appendInteger(_ number: Int64) {
        if number < 0 { bytes.append(0x2D) }
        var magnitude = number.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[19 - count] = UInt8(magnitude % 10) + 0x30
                magnitude /= 10
                count += 1
            } while magnitude > 0
            bytes.append(contentsOf: buffer[(20 - count)...])
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    private mutating func appendString(_ text: String) {
        bytes.append(0x22)
        var copy = text
        copy.withUTF8 { utf8 in
            var runStart = 0
            var i = 0
            while i < utf8.count {
                let byte = utf8[i]
                let isLineSeparator = byte == 0xE2 && i + 2 < utf8.count && utf8[i + 1] == 0x80 && (utf8[i + 2] == 0xA8 || utf8[i + 2] == 0xA9)
                guard byte < 0x20 || byte == 0x22 || byte == 0x5C || byte == 0x7F || isLineSeparator else {
                    i += 1
                    continue
                }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<i]))
                switch byte {
                case 0x22, 0x5C:
                    bytes.append(0x5C)
                    bytes.append(byte)
                case 0x0A:
                    bytes.append(0x5C)
                    bytes.append(UInt8(ascii: "n"))
                case 0x0D:
                    bytes.append(0x5C)
                    bytes.append(UInt8(ascii: "r"))
                case 0x09:
                    bytes.append(0x5C)
                    bytes.append(UInt8(ascii: "t"))
                case 0xE2:
                    // U+2028 and U+2029 end lines in JavaScript.
                    appendUnicodeEscape(utf8[i + 2] == 0xA8 ? 0x2028 : 0x2029)
                    i += 2
                default:
                    appendUnicodeEscape(UInt16(byte))
                }
                i += 1
                runStart = i
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<utf8.count]))
        }
        bytes.append(0x22)
    }

    private mutating func appendUnicodeEscape(_ value: UInt16) {
        bytes.append(0x5C)
        bytes.append(UInt8(ascii: "u"))
        for shift in stride(from: 12, through: 0, by: -4) {
            bytes.append(Self.hexDigits[Int(value >> UInt16(shift) & 0xF)])
        }
    }
}
