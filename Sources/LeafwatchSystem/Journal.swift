#if canImport(Glibc)
import Glibc
#endif
import CSystemd
import LeafwatchCore

/// One field of a journal entry: a name such as `LEAFWATCH_RULE` and the
/// value's bytes. Values may contain any bytes, newlines and NUL included,
/// because `sd_journal_sendv` switches to the native protocol's binary form
/// for them.
public struct JournalField: Sendable, Equatable {
    public var name: String
    public var value: [UInt8]

    public init(_ name: String, bytes: [UInt8]) {
        self.name = name
        self.value = bytes
    }

    public init(_ name: String, _ value: String) {
        self.init(name, bytes: Array(value.utf8))
    }

    public init(_ name: String, _ value: some BinaryInteger) {
        self.init(name, String(value))
    }

    /// The value as text, with invalid UTF-8 replaced.
    public var text: String {
        String(decoding: value, as: UTF8.self)
    }
}

/// Entries written to the local systemd journal with `sd_journal_sendv`.
///
/// Field names follow journald's rules for fields a client may set: 1 to 64
/// characters from `A-Z`, `0-9` and `_`, not starting with a digit or with
/// `_` (names starting with `_` are trusted fields that journald sets itself).
///
/// NOTE: `sd_journal_sendv` sends on a blocking socket, so it waits while
/// journald's receive queue is full, for example while journald hangs. A
/// missing socket, or one that no process has bound any more, fails at once.
public enum Journal {
    /// The socket that `sd_journal_sendv` sends to; libsystemd fixes the path.
    public static let socketPath = "/run/systemd/journal/socket"

    /// The maximum length of a field name that journald accepts.
    public static let maxFieldNameLength = 64

    /// Returns true when journald accepts `name` as a field that a client sets.
    public static func isValidFieldName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, bytes.count <= maxFieldNameLength else { return false }
        guard first != UInt8(ascii: "_"), !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else { return false }
        return bytes.allSatisfy { byte in
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "_")
        }
    }

    /// Sends one entry made of `fields`, in order.
    ///
    /// `sd_journal_sendv` reports success without sending anything when the
    /// socket does not exist, so this checks for `socketPath` first and
    /// throws ENOENT when it is missing. The check and the send are two
    /// steps, so an entry sent just as journald removes its socket can still
    /// be lost without an error.
    ///
    /// - Throws: `SystemError` with EINVAL for an empty entry or an invalid
    ///   field name, ENOENT for a missing socket, and the errno that
    ///   `sd_journal_sendv` returns (ECONNREFUSED when journald has stopped).
    public static func send(_ fields: [JournalField], socketPath: String = Journal.socketPath) throws(SystemError) {
        guard !fields.isEmpty else {
            throw SystemError("send journal entry to", path: socketPath, errno: EINVAL, detail: "the entry has no fields")
        }
        if let invalid = fields.first(where: { !isValidFieldName($0.name) }) {
            throw SystemError("send journal entry to", path: socketPath, errno: EINVAL,
                              detail: "invalid field name '\(DisplayText.escaped(invalid.name, maxBytes: 80))'; "
                                  + "expected 1 to 64 characters from A-Z, 0-9 and _, not starting with _ or a digit")
        }
        guard access(socketPath, F_OK) == 0 else {
            throw SystemError("send journal entry to", path: socketPath, errno: errno)
        }

        // Each field becomes one contiguous `NAME=value` run in `buffer`, and
        // one iovec points at each run.
        var buffer: [UInt8] = []
        buffer.reserveCapacity(fields.reduce(0) { $0 + $1.name.utf8.count + 1 + $1.value.count })
        var ends: [Int] = []
        ends.reserveCapacity(fields.count)
        for field in fields {
            buffer += field.name.utf8
            buffer.append(UInt8(ascii: "="))
            buffer += field.value
            ends.append(buffer.count)
        }

        let result = buffer.withUnsafeMutableBytes { bytes -> Int32 in
            var vectors: [iovec] = []
            vectors.reserveCapacity(ends.count)
            var start = 0
            for end in ends {
                vectors.append(iovec(iov_base: bytes.baseAddress! + start, iov_len: end - start))
                start = end
            }
            return vectors.withUnsafeBufferPointer { sd_journal_sendv($0.baseAddress, Int32($0.count)) }
        }
        if result < 0 {
            throw SystemError("send journal entry to", path: socketPath, errno: -result)
        }
    }
}

/// The text rules for journal entries: no control characters in `MESSAGE`
/// or in values that contain client-controlled text, and a bounded length.
public enum JournalText {
    /// The marker appended where text was cut.
    public static let cutMarker = "..."

    /// The maximum length in bytes of a field value that contains
    /// client-controlled text, such as a user name.
    public static let maxFieldValueLength = 1024

    /// Returns `text` as a `MESSAGE` value. Each control character (U+0000
    /// to U+001F and U+007F to U+009F) becomes `\xhh` for each of its UTF-8
    /// bytes, as `DisplayText` writes them. Text longer than `maxBytes` bytes
    /// is cut at a character boundary, so that the result with `...` appended
    /// is at most `maxBytes` bytes.
    ///
    /// Backslashes stay as they are, because a message contains client text
    /// that `DisplayText` has already escaped.
    public static func message(_ text: String, maxBytes: Int) -> String {
        escapingControlCharacters(text, maxBytes: maxBytes)
    }

    /// Returns client-controlled `text` as a field value: the raw text, so
    /// that `journalctl LEAFWATCH_USER=name` finds it, with control
    /// characters escaped and the length bounded as in `message`.
    ///
    /// NOTE: a backslash is kept, so a name that contains the four characters
    /// `\x0a` reads the same as one that contains a newline. `MESSAGE`
    /// distinguishes them, because `DisplayText` doubles backslashes there.
    public static func fieldValue(_ text: String, maxBytes: Int = maxFieldValueLength) -> String {
        escapingControlCharacters(text, maxBytes: maxBytes)
    }

    /// Returns true for the characters of Unicode's general category Cc.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    private static func escapingControlCharacters(_ text: String, maxBytes: Int) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var output: [UInt8] = []
        output.reserveCapacity(min(text.utf8.count, maxBytes) + 8)
        // The output length after each character, so that a cut never splits
        // a character or an escape sequence.
        var boundaries: [Int] = []
        for scalar in text.unicodeScalars {
            if isControl(scalar) {
                for byte in String(scalar).utf8 {
                    output += [UInt8(ascii: "\\"), UInt8(ascii: "x"), digits[Int(byte >> 4)], digits[Int(byte & 0xF)]]
                }
            } else {
                output += String(scalar).utf8
            }
            boundaries.append(output.count)
            if output.count > maxBytes { break }
        }
        guard output.count > maxBytes else { return String(decoding: output, as: UTF8.self) }

        let room = max(0, maxBytes - cutMarker.utf8.count)
        let keep = boundaries.last(where: { $0 <= room }) ?? 0
        return String(decoding: output[..<keep], as: UTF8.self) + cutMarker
    }
}
