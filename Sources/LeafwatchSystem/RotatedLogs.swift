#if canImport(Glibc)
import Glibc
#endif

/// One file of a log's rotation series: the current file or a rotated copy.
public struct RotatedLogFile: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case current
        /// `NAME.N` or `NAME.N.gz`: a higher N is older.
        case numbered(Int)
        /// `NAME-DIGITS` or `NAME-DIGITS.gz`, as logrotate's `dateext` writes
        /// (`-20261203`, or `-2026120308` hourly): a smaller date is older.
        case dated(String)
    }

    public var path: String
    public var kind: Kind
    /// Last modification, UTC seconds since the epoch.
    public var modificationTime: Int64
    public var size: Int64
}

/// A log's current file and its rotated siblings, oldest first.
public struct RotatedLogSeries: Sendable, Equatable {
    /// The current file's path, whether or not it exists now.
    public var path: String
    /// Oldest first; the current file, when it exists, is last.
    public var files: [RotatedLogFile]
    /// Rotated siblings compressed in a format that cannot be read here,
    /// such as `access.log.2.xz`, by name.
    public var unsupportedFiles: [String] = []
}

/// The times of a file's first and last complete lines that the caller's
/// parser could read, UTC seconds since the epoch.
public struct LogTimeRange: Sendable, Equatable {
    public var first: Int64?
    /// Nil for a compressed file, whose end this check does not decompress.
    public var last: Int64?
    public var isCompressed: Bool
}

/// A file of a series and whether its lines can lie within a period.
public struct LogFileSelection: Sendable, Equatable {
    public var file: RotatedLogFile
    public var range: LogTimeRange
    /// The time after which the file has no lines: its last line's time, or
    /// the first line's time of the next newer file when its own end is not
    /// known. Nil when neither is known.
    public var upperBound: Int64?
    public var overlapsPeriod: Bool
}

/// Finding a log's rotated files and checking cheaply which of them can
/// contain lines of a period.
///
/// Rotated names that logrotate writes are recognized: `NAME.1`,
/// `NAME.2.gz`, `NAME-20261203` and `NAME-20261203.gz`. Files are read as
/// gzip by their content, whatever their name. Names with other compression
/// suffixes (`.bz2`, `.xz`, `.zst`, `.lz4`, `.Z`) are listed in the
/// series' `unsupportedFiles`, because only gzip can be decompressed here.
public enum RotatedLogs {
    /// The number of lines at each end of a file tried until one has a time.
    public static let sampledLines = 16

    /// Compression suffixes of rotated files that cannot be read here.
    public static let unsupportedCompressionSuffixes = [".bz2", ".xz", ".zst", ".lz4", ".Z"]

    /// Finds the files that `pattern` names and their rotated siblings.
    ///
    /// `pattern` is an absolute or relative path whose file name part may be
    /// a glob (fnmatch(3), a leading `.` matched only explicitly). A match
    /// that is itself a rotated name of another match (`access.log.1` for
    /// `access.log*`) joins that match's series instead of starting its own.
    /// A pattern without glob characters gives one series even when its
    /// current file is missing.
    ///
    /// - Throws: `SystemError` with EINVAL for a glob in the directory part,
    ///   and the errno of opendir(3) when the directory cannot be read.
    public static func series(matching pattern: String) throws(SystemError) -> [RotatedLogSeries] {
        guard let parsed = FollowedPattern(pattern) else {
            throw SystemError("list files for", path: pattern, errno: EINVAL,
                              detail: "invalid pattern: it must end in a file name, and only the file name may contain a glob")
        }
        let names = try directoryEntries(parsed.directory)

        var currentNames = names.filter { parsed.matches(name: $0) }.sorted()
        if !parsed.isGlob && !currentNames.contains(parsed.name) {
            currentNames.append(parsed.name)
        }
        let currentSet = Set(currentNames)
        currentNames.removeAll { name in
            currentSet.contains { base in base != name && rotationKind(of: name, base: base) != nil }
        }

        return currentNames.map { base in
            var files: [RotatedLogFile] = []
            for name in names {
                let kind: RotatedLogFile.Kind
                if name == base {
                    kind = .current
                } else if let rotated = rotationKind(of: name, base: base) {
                    kind = rotated
                } else {
                    continue
                }
                let path = parsed.path(of: name)
                guard let status = regularFileStatus(path) else { continue }
                files.append(RotatedLogFile(path: path, kind: kind, modificationTime: Int64(status.st_mtim.tv_sec),
                                            size: Int64(status.st_size)))
            }
            let unsupported = names.filter { name in
                guard let suffix = unsupportedCompressionSuffixes.first(where: { name.hasSuffix($0) }) else { return false }
                let stem = String(name.dropLast(suffix.count))
                return rotationKind(of: stem, base: base) != nil || stem == base
            }
            return RotatedLogSeries(path: parsed.path(of: base), files: ordered(files),
                                    unsupportedFiles: unsupported.sorted().map { parsed.path(of: $0) })
        }
    }

    /// Returns how `name` is a rotated copy of `base`, or nil when it is not one.
    public static func rotationKind(of name: String, base: String) -> RotatedLogFile.Kind? {
        guard name.count > base.count + 1, name.hasPrefix(base) else { return nil }
        var rest = Substring(name.dropFirst(base.count))
        if rest.hasSuffix(".gz") { rest = rest.dropLast(3) }
        guard let separator = rest.first else { return nil }
        let digits = rest.dropFirst()
        guard !digits.isEmpty, digits.count <= 14, digits.allSatisfy({ $0 >= "0" && $0 <= "9" }) else { return nil }
        switch separator {
        case ".":
            return Int(digits).map { .numbered($0) }
        case "-" where digits.count >= 8:
            return .dated(String(digits))
        default:
            return nil
        }
    }

    /// Reads the times of the first and last complete lines of `path` with
    /// `time`, trying up to `sampledLines` lines at each end until one
    /// parses. The last line is read with pread(2) from the end of a plain
    /// file; a gzip file's end is not decompressed, so `last` is nil for it.
    ///
    /// - Parameters:
    ///   - maxLineLength: the bytes read at each end; a line longer than
    ///     this is not sampled.
    ///   - time: returns a line's time in UTC seconds, or nil when the line
    ///     has none. The line comes without its newline.
    /// - Throws: `SystemError` when the file cannot be opened or read, or
    ///   its gzip data is invalid.
    public static func timeRange(of path: String, maxLineLength: Int = 64 * 1024,
                                 time: (UnsafeBufferPointer<UInt8>) -> Int64?) throws(SystemError) -> LogTimeRange {
        let chunkSize = max(maxLineLength, 256) + 1
        var head = [UInt8](repeating: 0, count: chunkSize)
        var source = try ByteSource(path: path)
        var filled = 0
        var isCompressed = false
        try head.withUnsafeMutableBufferPointer { buffer throws(SystemError) in
            while filled < buffer.count {
                let count = try source.read(into: UnsafeMutableBufferPointer(rebasing: buffer[filled...]))
                if count == 0 { break }
                filled += count
                if buffer[..<filled].contains(ASCIINewline) { break }
            }
        }
        isCompressed = try isGzip(path)

        let first = firstTime(in: head[..<filled], time: time)
        guard !isCompressed else { return LogTimeRange(first: first, last: nil, isCompressed: true) }
        let last = try lastTime(of: path, chunkSize: chunkSize, time: time)
        return LogTimeRange(first: first, last: last, isCompressed: false)
    }

    /// Checks each file of `series` against `since..<until` (UTC seconds).
    /// A file is outside the period when its first line is at or after
    /// `until + tolerance`, or its upper bound is before `since - tolerance`.
    /// A file whose bounds are unknown counts as overlapping, and an empty
    /// file as outside.
    ///
    /// - Parameter tolerance: seconds by which lines may be out of order, as
    ///   Apache stamps a request's start but writes its line at the end.
    public static func select(_ series: RotatedLogSeries, since: Int64, until: Int64, tolerance: Int64 = 300,
                              maxLineLength: Int = 64 * 1024,
                              time: (UnsafeBufferPointer<UInt8>) -> Int64?) throws(SystemError) -> [LogFileSelection] {
        var ranges: [LogTimeRange] = []
        for file in series.files {
            ranges.append(try timeRange(of: file.path, maxLineLength: maxLineLength, time: time))
        }

        var selections: [LogFileSelection] = []
        for (index, file) in series.files.enumerated() {
            let range = ranges[index]
            // The next newer file that has a first time bounds this file's end.
            let newerFirst = ranges[(index + 1)...].lazy.compactMap(\.first).first
            let upperBound = range.last ?? newerFirst
            var overlaps = file.size > 0
            if let first = range.first, first >= until + tolerance { overlaps = false }
            if let upperBound, upperBound < since - tolerance { overlaps = false }
            selections.append(LogFileSelection(file: file, range: range, upperBound: upperBound, overlapsPeriod: overlaps))
        }
        return selections
    }

    // MARK: - Helpers

    private static let ASCIINewline = UInt8(ascii: "\n")

    /// Orders numbered files by falling number and dated files by rising
    /// date, then the current file. When both kinds exist, the kind whose
    /// newest file was modified earlier comes first, because a change of
    /// logrotate's `dateext` leaves the files of the old scheme behind.
    private static func ordered(_ files: [RotatedLogFile]) -> [RotatedLogFile] {
        var numbered: [(Int, RotatedLogFile)] = []
        var dated: [(String, RotatedLogFile)] = []
        var current: [RotatedLogFile] = []
        for file in files {
            switch file.kind {
            case .numbered(let number): numbered.append((number, file))
            case .dated(let date): dated.append((date, file))
            case .current: current.append(file)
            }
        }
        // `.2` and `.2.gz` may both exist for a moment: the plain one is newer.
        let numberedFiles = numbered.sorted { a, b in
            a.0 != b.0 ? a.0 > b.0 : a.1.path.hasSuffix(".gz") && !b.1.path.hasSuffix(".gz")
        }.map(\.1)
        let datedFiles = dated.sorted { a, b in
            a.0.count != b.0.count ? a.0.count < b.0.count : (a.0 != b.0 ? a.0 < b.0 : a.1.path.hasSuffix(".gz"))
        }.map(\.1)

        let numberedNewest = numberedFiles.map(\.modificationTime).max() ?? .min
        let datedNewest = datedFiles.map(\.modificationTime).max() ?? .min
        let rotated = datedNewest <= numberedNewest ? datedFiles + numberedFiles : numberedFiles + datedFiles
        return rotated + current
    }

    private static func directoryEntries(_ directory: String) throws(SystemError) -> [String] {
        guard let stream = opendir(directory) else {
            throw SystemError("list the directory", path: directory, errno: errno)
        }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    private static func regularFileStatus(_ path: String) -> stat? {
        var status = stat()
        guard stat(path, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else { return nil }
        return status
    }

    private static func isGzip(_ path: String) throws(SystemError) -> Bool {
        let descriptor = retryingOnInterrupt { open(path, O_RDONLY | O_CLOEXEC) }
        guard descriptor >= 0 else { throw SystemError("open", path: path, errno: errno) }
        defer { close(descriptor) }
        var magic: [UInt8] = [0, 0]
        let count = retryingOnInterrupt { pread(descriptor, &magic, 2, 0) }
        guard count >= 0 else { throw SystemError("read", path: path, errno: errno) }
        return count == 2 && magic == [0x1F, 0x8B]
    }

    /// The time of the first of the complete lines in `head` that has one.
    private static func firstTime(in head: ArraySlice<UInt8>, time: (UnsafeBufferPointer<UInt8>) -> Int64?) -> Int64? {
        var start = head.startIndex
        var tried = 0
        while tried < sampledLines, let newline = head[start...].firstIndex(of: ASCIINewline) {
            tried += 1
            let found = head[start..<newline].withUnsafeBufferPointer { time($0) }
            if let found { return found }
            start = newline + 1
        }
        return nil
    }

    /// The time of the last complete line of a plain file that has one, read
    /// from the last `chunkSize` bytes. A last line without its newline is
    /// still being written and is ignored.
    private static func lastTime(of path: String, chunkSize: Int,
                                 time: (UnsafeBufferPointer<UInt8>) -> Int64?) throws(SystemError) -> Int64? {
        let descriptor = retryingOnInterrupt { open(path, O_RDONLY | O_CLOEXEC) }
        guard descriptor >= 0 else { throw SystemError("open", path: path, errno: errno) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw SystemError("read", path: path, errno: errno) }
        let size = Int64(status.st_size)
        let offset = max(0, size - Int64(chunkSize))
        var tail = [UInt8](repeating: 0, count: Int(size - offset))
        var filled = 0
        while filled < tail.count {
            let count = tail.withUnsafeMutableBytes { raw in
                retryingOnInterrupt { pread(descriptor, raw.baseAddress! + filled, raw.count - filled, off_t(offset) + off_t(filled)) }
            }
            guard count >= 0 else { throw SystemError("read", path: path, errno: errno) }
            if count == 0 { break }
            filled += count
        }

        // Complete lines end at a newline. The first line of the tail is
        // complete only when the tail starts at the file's start.
        guard var end = tail[..<filled].lastIndex(of: ASCIINewline) else { return nil }
        var tried = 0
        while tried < sampledLines {
            let previous = tail[..<end].lastIndex(of: ASCIINewline)
            guard previous != nil || offset == 0 else { return nil }
            let start = previous.map { $0 + 1 } ?? 0
            tried += 1
            if let found = tail[start..<end].withUnsafeBufferPointer({ time($0) }) { return found }
            guard let previous else { return nil }
            end = previous
        }
        return nil
    }
}
