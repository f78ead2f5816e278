#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Byte values that the log parsers compare against.
enum ASCII {
    static let tab: UInt8 = 0x09
    static let newline: UInt8 = 0x0A
    static let carriageReturn: UInt8 = 0x0D
    static let space: UInt8 = 0x20
    static let quote: UInt8 = 0x22
    static let hash: UInt8 = 0x23
    static let percent: UInt8 = 0x25
    static let dollar: UInt8 = 0x24
    static let openParen: UInt8 = 0x28
    static let closeParen: UInt8 = 0x29
    static let plus: UInt8 = 0x2B
    static let comma: UInt8 = 0x2C
    static let minus: UInt8 = 0x2D
    static let dot: UInt8 = 0x2E
    static let slash: UInt8 = 0x2F
    static let zero: UInt8 = 0x30
    static let nine: UInt8 = 0x39
    static let colon: UInt8 = 0x3A
    static let greaterThan: UInt8 = 0x3E
    static let openBracket: UInt8 = 0x5B
    static let backslash: UInt8 = 0x5C
    static let closeBracket: UInt8 = 0x5D
    static let openBrace: UInt8 = 0x7B
    static let closeBrace: UInt8 = 0x7D

    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool { byte &- zero < 10 }

    @inline(__always)
    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: return byte - 0x30
        case 0x41...0x46: return byte - 0x41 + 10
        case 0x61...0x66: return byte - 0x61 + 10
        default: return nil
        }
    }

    @inline(__always)
    static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
    }
}

/// A half-open range of byte offsets inside one log line. `start < 0` marks a
/// field that the line does not contain.
public struct ByteRange: Sendable, Equatable {
    public var start: Int32
    public var end: Int32

    public static let absent = ByteRange(start: -1, end: -1)

    public init(start: Int32, end: Int32) {
        self.start = start
        self.end = end
    }

    public init(_ start: Int, _ end: Int) {
        self.start = Int32(truncatingIfNeeded: start)
        self.end = Int32(truncatingIfNeeded: end)
    }

    public var isPresent: Bool { start >= 0 }
    public var count: Int { isPresent ? Int(end - start) : 0 }
}

extension UnsafeBufferPointer where Element == UInt8 {
    /// Returns the bytes of `range`, an empty buffer when the range is absent.
    @inline(__always)
    func slice(_ range: ByteRange) -> UnsafeBufferPointer<UInt8> {
        guard range.isPresent, let base = baseAddress else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: base + Int(range.start), count: Int(range.end - range.start))
    }

    /// Returns the offset of the first `byte` in `from..<to`, or nil.
    @inline(__always)
    func firstIndex(of byte: UInt8, from: Int, to: Int) -> Int? {
        guard from < to, let base = baseAddress else { return nil }
        guard let found = memchr(base + from, Int32(byte), to - from) else { return nil }
        return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
    }

    /// Tells whether the bytes equal the ASCII string `text`.
    func equals(_ text: StaticString) -> Bool {
        guard count == text.utf8CodeUnitCount else { return false }
        let other = UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
        for i in 0..<count where self[i] != other[i] { return false }
        return true
    }

    /// Tells whether the bytes start with the ASCII string `text`.
    func hasPrefix(_ text: StaticString) -> Bool {
        let length = text.utf8CodeUnitCount
        guard count >= length else { return false }
        let other = UnsafeBufferPointer(start: text.utf8Start, count: length)
        for i in 0..<length where self[i] != other[i] { return false }
        return true
    }

    /// Decodes the bytes as UTF-8, replacing invalid sequences with U+FFFD.
    var lenientString: String { String(decoding: self, as: UTF8.self) }
}
