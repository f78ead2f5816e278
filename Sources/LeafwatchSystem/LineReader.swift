#if canImport(Glibc)
import Glibc
#endif


/// Reads a file (plain or gzip, or standard input for `-`) from start to end
/// and hands out its lines without their `\n`.
///
/// Lines are views into one reusable buffer, valid only during the call. A
/// line longer than `maxLineLength` is handed out once, cut to that length,
/// with `isCut` set; the rest of it up to its newline is skipped. A last line
/// without a newline is handed out at the end of the file.
public struct LineReader: ~Copyable {
    public struct Line {
        public var bytes: UnsafeBufferPointer<UInt8>
        /// 1-based number of the line in the file.
        public var number: Int
        /// The line was longer than the maximum and is cut.
        public var isCut: Bool
    }

    public let path: String
    public let maxLineLength: Int
    private var source: ByteSource
    private var buffer: UnsafeMutableBufferPointer<UInt8>
    private var start = 0
    private var end = 0
    private var lineNumber = 0
    private var skippingRestOfCutLine = false
    private var reachedEnd = false

    /// Opens the file. Throws `SystemError` when it cannot be opened.
    public init(path: String, maxLineLength: Int = 64 * 1024) throws(SystemError) {
        self.path = path
        self.maxLineLength = max(maxLineLength, 1)
        self.source = try ByteSource(path: path)
        self.buffer = .allocate(capacity: max(1 << 20, self.maxLineLength * 2))
    }

    deinit {
        buffer.deallocate()
    }

    /// Calls `body` for every line until the end of the file.
    public mutating func forEachLine(_ body: (Line) throws -> Void) throws {
        while let line = try nextLine() {
            try body(line)
        }
    }

    /// Returns the next line, or nil at the end of the file. The line's bytes
    /// stay valid until the next call.
    public mutating func nextLine() throws(SystemError) -> Line? {
        let base = buffer.baseAddress!
        while true {
            // A complete line in the buffer.
            while start < end, let found = memchr(base + start, Int32(ASCII_NEWLINE), end - start) {
                let newline = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
                let lineStart = start
                start = newline + 1
                if skippingRestOfCutLine {
                    skippingRestOfCutLine = false
                    continue
                }
                lineNumber += 1
                let length = min(newline - lineStart, maxLineLength)
                return Line(bytes: UnsafeBufferPointer(start: base + lineStart, count: length),
                            number: lineNumber, isCut: newline - lineStart > maxLineLength)
            }

            // A partial line longer than the maximum is handed out cut, and its rest skipped.
            if end - start > maxLineLength && !skippingRestOfCutLine {
                lineNumber += 1
                skippingRestOfCutLine = true
                let lineStart = start
                start = end
                return Line(bytes: UnsafeBufferPointer(start: base + lineStart, count: maxLineLength), number: lineNumber, isCut: true)
            }
            if skippingRestOfCutLine {
                start = end
            }

            if reachedEnd {
                guard start < end else { return nil }
                lineNumber += 1
                let lineStart = start
                start = end
                return Line(bytes: UnsafeBufferPointer(start: base + lineStart, count: end - lineStart), number: lineNumber, isCut: false)
            }

            // Move the partial line to the front and fill the rest.
            if start > 0 {
                if end > start { memmove(base, base + start, end - start) }
                end -= start
                start = 0
            }
            let count = try source.read(into: UnsafeMutableBufferPointer(rebasing: buffer[end...]))
            if count == 0 {
                reachedEnd = true
            } else {
                end += count
            }
        }
    }
}

private let ASCII_NEWLINE: UInt8 = 0x0A
