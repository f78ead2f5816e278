import Foundation
import Testing
@testable import LeafwatchSystem

/// A line's time for these tests: the decimal number at the start of the line.
private func leadingNumber(_ line: UnsafeBufferPointer<UInt8>) -> Int64? {
    var value: Int64 = 0
    var digits = 0
    for byte in line {
        guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { break }
        value = value * 10 + Int64(byte - UInt8(ascii: "0"))
        digits += 1
    }
    return digits > 0 ? value : nil
}

/// Lines `time request` for each time.
private func lines(_ times: [Int64]) -> String {
    times.map { "\($0) GET /\n" }.joined()
}

/// Writes `text` to `name` in `folder` and compresses it with gzip(1) to `name.gz`.
private func writeGzip(_ folder: TemporaryFolder, _ name: String, _ text: String) throws -> String {
    let path = try folder.write(name, text)
    try #require(try runProgram("/bin/gzip", ["-n", path]) == 0)
    return path + ".gz"
}

private func setModificationTime(_ path: String, _ seconds: Int) throws {
    try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: TimeInterval(seconds))],
                                          ofItemAtPath: path)
}

@Suite struct RotatedLogsNamingTests {
    @Test func rotatedNamesRecognized() {
        #expect(RotatedLogs.rotationKind(of: "access.log.1", base: "access.log") == .numbered(1))
        #expect(RotatedLogs.rotationKind(of: "access.log.12.gz", base: "access.log") == .numbered(12))
        #expect(RotatedLogs.rotationKind(of: "access.log-20261203", base: "access.log") == .dated("20261203"))
        #expect(RotatedLogs.rotationKind(of: "access.log-2026120308.gz", base: "access.log") == .dated("2026120308"))
    }

    @Test(arguments: ["access.log", "access.log.", "access.log.gz", "access.log.1.bz2", "access.log.x", "access.log-1203",
                      "access.logx1", "other_access.log.1", "access.log.1.gz.gz", "access.log-20261203.tmp"])
    func otherNamesRejected(_ name: String) {
        #expect(RotatedLogs.rotationKind(of: name, base: "access.log") == nil)
    }
}

@Suite struct RotatedLogsSeriesTests {
    @Test func numberedSeriesOldestFirst() throws {
        let folder = try TemporaryFolder()
        _ = try folder.write("access.log", lines([500]))
        _ = try folder.write("access.log.1", lines([400]))
        _ = try writeGzip(folder, "access.log.2", lines([300]))
        _ = try writeGzip(folder, "access.log.10", lines([100]))
        _ = try writeGzip(folder, "access.log.3", lines([200]))
        _ = try folder.write("error.log", "x\n")

        let series = try RotatedLogs.series(matching: folder.path + "/access.log")
        try #require(series.count == 1)
        #expect(series[0].path == folder.path + "/access.log")
        #expect(series[0].files.map { ($0.path as NSString).lastPathComponent } == [
            "access.log.10.gz", "access.log.3.gz", "access.log.2.gz", "access.log.1", "access.log",
        ])
        #expect(series[0].files.last?.kind == .current)
    }

    @Test func datedSeriesOldestFirst() throws {
        let folder = try TemporaryFolder()
        _ = try folder.write("access.log", lines([500]))
        _ = try folder.write("access.log-20261203", lines([400]))
        _ = try writeGzip(folder, "access.log-20261126", lines([300]))
        _ = try writeGzip(folder, "access.log-20261119", lines([200]))

        let series = try RotatedLogs.series(matching: folder.path + "/access.log")
        #expect(series.first?.files.map { ($0.path as NSString).lastPathComponent } == [
            "access.log-20261119.gz", "access.log-20261126.gz", "access.log-20261203", "access.log",
        ])
    }

    @Test func mixedSchemesOrderedByModification() throws {
        // The numbered files were left behind when dateext was switched on.
        let folder = try TemporaryFolder()
        _ = try folder.write("access.log", lines([500]))
        let dated = try folder.write("access.log-20261203", lines([400]))
        let numbered = try folder.write("access.log.1", lines([100]))
        try setModificationTime(numbered, 1_795_000_000)
        try setModificationTime(dated, 1_796_000_000)

        let series = try RotatedLogs.series(matching: folder.path + "/access.log")
        #expect(series.first?.files.map { ($0.path as NSString).lastPathComponent } == [
            "access.log.1", "access.log-20261203", "access.log",
        ])
    }

    @Test func globGivesOneSeriesPerLog() throws {
        let folder = try TemporaryFolder()
        _ = try folder.write("shop_access.log", lines([500]))
        _ = try folder.write("shop_access.log.1", lines([400]))
        _ = try folder.write("www_access.log", lines([500]))
        _ = try writeGzip(folder, "www_access.log.2", lines([300]))
        _ = try folder.write("error.log", "x\n")

        let series = try RotatedLogs.series(matching: folder.path + "/*access.log")
        #expect(series.map { ($0.path as NSString).lastPathComponent } == ["shop_access.log", "www_access.log"])
        #expect(series.map(\.files.count) == [2, 2])
    }

    @Test func globMatchingRotatedNamesJoinsSeries() throws {
        let folder = try TemporaryFolder()
        _ = try folder.write("access.log", lines([500]))
        _ = try folder.write("access.log.1", lines([400]))
        _ = try writeGzip(folder, "access.log.2", lines([300]))

        let series = try RotatedLogs.series(matching: folder.path + "/access.log*")
        try #require(series.count == 1)
        #expect(series[0].files.count == 3)
    }

    @Test func missingCurrentFileKeepsRotated() throws {
        let folder = try TemporaryFolder()
        _ = try folder.write("access.log.1", lines([400]))

        let series = try RotatedLogs.series(matching: folder.path + "/access.log")
        try #require(series.count == 1)
        #expect(series[0].files.map(\.kind) == [.numbered(1)])
    }

    @Test func missingDirectoryFails() throws {
        let folder = try TemporaryFolder()
        let error = #expect(throws: SystemError.self) {
            _ = try RotatedLogs.series(matching: folder.path + "/missing/access.log")
        }
        #expect(error?.errno == ENOENT)
    }

    @Test func globInDirectoryRejected() {
        let error = #expect(throws: SystemError.self) {
            _ = try RotatedLogs.series(matching: "/var/log/*/access.log")
        }
        #expect(error?.errno == EINVAL)
    }

    @Test func otherCompressionListed() throws {
        let folder = try TemporaryFolder()
        _ = try folder.write("access.log", lines([500]))
        _ = try folder.write("access.log.2.xz", "not read")
        _ = try folder.write("access.log-20261203.zst", "not read")
        _ = try folder.write("error.log.1.xz", "other log")

        let series = try RotatedLogs.series(matching: folder.path + "/access.log")
        try #require(series.count == 1)
        #expect(series[0].files.count == 1)
        #expect(series[0].unsupportedFiles == [
            folder.path + "/access.log-20261203.zst", folder.path + "/access.log.2.xz",
        ])
    }
}

@Suite struct RotatedLogsTimeRangeTests {
    @Test func plainFileFirstAndLast() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("access.log", lines([100, 150, 200]))
        let range = try RotatedLogs.timeRange(of: path, time: leadingNumber)
        #expect(range == LogTimeRange(first: 100, last: 200, isCompressed: false))
    }

    @Test func partialLastLineIgnored() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("access.log", lines([100, 200]) + "300 GET /partial")
        let range = try RotatedLogs.timeRange(of: path, time: leadingNumber)
        #expect(range.last == 200)
    }

    @Test func malformedEdgeLinesSkipped() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("access.log", "garbage\n\n" + lines([100, 200]) + "cut line\n")
        let range = try RotatedLogs.timeRange(of: path, time: leadingNumber)
        #expect(range.first == 100)
        #expect(range.last == 200)
    }

    @Test func lastLineFoundBeyondOneChunk() throws {
        // The tail read is one maximum line length, so the earlier lines are never read.
        let folder = try TemporaryFolder()
        let text = lines(Array(1...20_000)) + lines([99_999])
        let path = try folder.write("access.log", text)
        let range = try RotatedLogs.timeRange(of: path, maxLineLength: 1024, time: leadingNumber)
        #expect(range.first == 1)
        #expect(range.last == 99_999)
    }

    @Test func gzipFileFirstLineOnly() throws {
        let folder = try TemporaryFolder()
        let path = try writeGzip(folder, "access.log.2", lines([100, 200]))
        let range = try RotatedLogs.timeRange(of: path, time: leadingNumber)
        #expect(range == LogTimeRange(first: 100, last: nil, isCompressed: true))
    }

    @Test func truncatedGzipFails() throws {
        let folder = try TemporaryFolder()
        let path = try writeGzip(folder, "access.log.2", lines(Array(1...2000)))
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        try data.prefix(20).write(to: URL(fileURLWithPath: path))
        #expect(throws: SystemError.self) {
            _ = try RotatedLogs.timeRange(of: path, time: leadingNumber)
        }
    }

    @Test func emptyFileHasNoTimes() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("access.log", "")
        #expect(try RotatedLogs.timeRange(of: path, time: leadingNumber) == LogTimeRange(first: nil, last: nil, isCompressed: false))
    }
}

@Suite struct RotatedLogsSelectionTests {
    /// A week of rotated files: `.3.gz` 100–190, `.2.gz` 200–290, `.1` 300–390, current 400–490.
    private func week(_ folder: TemporaryFolder) throws -> RotatedLogSeries {
        _ = try writeGzip(folder, "access.log.3", lines([100, 150, 190]))
        _ = try writeGzip(folder, "access.log.2", lines([200, 250, 290]))
        _ = try folder.write("access.log.1", lines([300, 350, 390]))
        _ = try folder.write("access.log", lines([400, 450, 490]))
        return try #require(try RotatedLogs.series(matching: folder.path + "/access.log").first)
    }

    private func selected(_ selections: [LogFileSelection]) -> [String] {
        selections.filter(\.overlapsPeriod).map { ($0.file.path as NSString).lastPathComponent }
    }

    @Test func filesOutsidePeriodSkipped() throws {
        let folder = try TemporaryFolder()
        let selections = try RotatedLogs.select(try week(folder), since: 260, until: 360, tolerance: 0, time: leadingNumber)
        #expect(selected(selections) == ["access.log.2.gz", "access.log.1"])
    }

    @Test func gzipUpperBoundFromNewerFile() throws {
        let folder = try TemporaryFolder()
        let selections = try RotatedLogs.select(try week(folder), since: 295, until: 1000, tolerance: 0, time: leadingNumber)
        // `.2.gz` ends before 300, the first time of `.1`, but its last line (290) is not read.
        #expect(selections.map(\.upperBound) == [200, 300, 390, 490])
        #expect(selected(selections) == ["access.log.2.gz", "access.log.1", "access.log"])
    }

    @Test func toleranceKeepsNeighbours() throws {
        let folder = try TemporaryFolder()
        let selections = try RotatedLogs.select(try week(folder), since: 395, until: 398, tolerance: 10, time: leadingNumber)
        #expect(selected(selections) == ["access.log.1", "access.log"])
    }

    @Test func unknownTimesKeepFile() throws {
        let folder = try TemporaryFolder()
        _ = try folder.write("access.log.1", "no times here\n")
        _ = try folder.write("access.log", lines([400]))
        let series = try #require(try RotatedLogs.series(matching: folder.path + "/access.log").first)
        let selections = try RotatedLogs.select(series, since: 1000, until: 2000, tolerance: 0, time: leadingNumber)
        // `.1` has no time of its own and the newer file's 400 bounds it: it ends before the period.
        #expect(selected(selections) == [])
        let earlier = try RotatedLogs.select(series, since: 0, until: 300, tolerance: 0, time: leadingNumber)
        #expect(selected(earlier) == ["access.log.1"])
    }

    @Test func emptyFileSkipped() throws {
        let folder = try TemporaryFolder()
        _ = try folder.write("access.log", "")
        let series = try #require(try RotatedLogs.series(matching: folder.path + "/access.log").first)
        let selections = try RotatedLogs.select(series, since: 0, until: 1000, time: leadingNumber)
        #expect(selections.map(\.overlapsPeriod) == [false])
    }
}
