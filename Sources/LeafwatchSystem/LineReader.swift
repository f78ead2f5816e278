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
        let base = buffer.baseAddress!
        while true {
            // Hand out every complete line in the buffer.
            while start < end {
                guard let found = memchr(base + start, Int32(ASCII_NEWLINE), end - start) else { break }
                let newline = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
                if skippingRestOfCutLine {
                    skippingRestOfCutLine = false
                } else {
                    lineNumber += 1
                    let length = min(newline - start, maxLineLength)
                    try body(Line(bytes: UnsafeBufferPointer(start: base + start, count: length),
                                  number: lineNumber, isCut: newline - start > maxLineLength))
                }
                start = newline + 1
            }

            // A partial line longer than the maximum is handed out cut, and its rest skipped.
            if end - start > maxLineLength && !skippingRestOfCutLine {
                lineNumber += 1
                try body(Line(bytes: UnsafeBufferPointer(start: base + start, count: maxLineLength), number: lineNumber, isCut: true))
                skippingRestOfCutLine = true
            }
            if skippingRestOfCutLine {
                start = end
            }

            if reachedEnd {
                if start < end {
                    lineNumber += 1
                    try body(Line(bytes: UnsafeBufferPointer(start: base + start, count: end - start), number: lineNumber, isCut: false))
                }
                start = 0
                end = 0
                return
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
