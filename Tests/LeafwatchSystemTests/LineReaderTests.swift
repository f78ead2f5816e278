import Foundation
import Testing
@testable import LeafwatchSystem

/// A temporary folder removed when the test ends.
final class TemporaryFolder {
    let path: String

    init() throws {
        let template = NSTemporaryDirectory() + "leafwatch-test-XXXXXX"
        var bytes = Array(template.utf8CString)
        guard mkdtemp(&bytes) != nil else { throw POSIXError(.EIO) }
        path = String(decoding: bytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let file = path + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        return file
    }

    func write(_ name: String, _ text: String) throws -> String {
        try write(name, Array(text.utf8))
    }
}

/// Runs a program and returns its exit status.
@discardableResult
func runProgram(_ path: String, _ arguments: [String]) throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    try process.run()
    process.waitUntilExit()
    return process.terminationStatus
}

/// Reads every line of a file as (text, isCut) pairs.
func readLines(_ path: String, maxLineLength: Int = 64 * 1024) throws -> [(String, Bool)] {
    var reader = try LineReader(path: path, maxLineLength: maxLineLength)
    var lines: [(String, Bool)] = []
    try reader.forEachLine { line in
        lines.append((String(decoding: line.bytes, as: UTF8.self), line.isCut))
    }
    return lines
}

@Suite struct LineReaderTests {
    @Test func plainFileLines() throws {
        let folder = try TemporaryFolder()
        let file = try folder.write("a.log", "one\ntwo\n\nfour\n")
        let lines = try readLines(file)
        #expect(lines.map(\.0) == ["one", "two", "", "four"])
        #expect(lines.allSatisfy { !$0.1 })
    }

    @Test func lastLineWithoutNewline() throws {
        let folder = try TemporaryFolder()
        let file = try folder.write("a.log", "one\ntwo")
        #expect(try readLines(file).map(\.0) == ["one", "two"])
    }

    @Test func crlfKeptForTheParser() throws {
        let folder = try TemporaryFolder()
        let file = try folder.write("a.log", "one\r\ntwo\r\n")
        #expect(try readLines(file).map(\.0) == ["one\r", "two\r"])
    }

    @Test func emptyFileHasNoLines() throws {
        let folder = try TemporaryFolder()
        let file = try folder.write("a.log", "")
        #expect(try readLines(file).isEmpty)
    }

    @Test func longLineIsCutOnce() throws {
        let folder = try TemporaryFolder()
        let long = String(repeating: "x", count: 5000)
        let file = try folder.write("a.log", "before\n\(long)\nafter\n")
        let lines = try readLines(file, maxLineLength: 1000)
        #expect(lines.count == 3)
        #expect(lines[1].0 == String(repeating: "x", count: 1000))
        #expect(lines[1].1)
        #expect(lines[2].0 == "after")
        #expect(!lines[2].1)
    }

    @Test func longLineAcrossBufferRefills() throws {
        // Longer than the reader's 1 MiB buffer, so the cut happens before the newline is seen.
        let folder = try TemporaryFolder()
        let long = String(repeating: "y", count: 3 << 20)
        let file = try folder.write("a.log", "before\n\(long)\nafter")
        let lines = try readLines(file, maxLineLength: 64 * 1024)
        #expect(lines.map(\.0.count) == [6, 64 * 1024, 5])
        #expect(lines.map(\.1) == [false, true, false])
    }

    @Test func lineNumbersCountCutLines() throws {
        let folder = try TemporaryFolder()
        let file = try folder.write("a.log", "a\n\(String(repeating: "z", count: 600))\nc\n")
        var reader = try LineReader(path: file, maxLineLength: 256)
        var numbers: [Int] = []
        try reader.forEachLine { numbers.append($0.number) }
        #expect(numbers == [1, 2, 3])
    }

    @Test func gzipFileIsInflated() throws {
        let folder = try TemporaryFolder()
        let text = (1...50_000).map { "line \($0)" }.joined(separator: "\n") + "\n"
        let file = try folder.write("access.log.2", text)
        try runProgram("/bin/gzip", ["-n", file])
        let lines = try readLines(file + ".gz")
        #expect(lines.count == 50_000)
        #expect(lines.first?.0 == "line 1")
        #expect(lines.last?.0 == "line 50000")
    }

    @Test func concatenatedGzipMembers() throws {
        let folder = try TemporaryFolder()
        let first = try folder.write("a", "one\ntwo\n")
        let second = try folder.write("b", "three\n")
        try runProgram("/bin/gzip", ["-n", first])
        try runProgram("/bin/gzip", ["-n", second])
        let joined = try Data(contentsOf: URL(fileURLWithPath: first + ".gz")) + Data(contentsOf: URL(fileURLWithPath: second + ".gz"))
        let file = try folder.write("joined.gz", [UInt8](joined))
        #expect(try readLines(file).map(\.0) == ["one", "two", "three"])
    }

    @Test func truncatedGzipThrows() throws {
        let folder = try TemporaryFolder()
        let text = (1...20_000).map { "line \($0) \($0 * 7919 % 10007)" }.joined(separator: "\n")
        let file = try folder.write("a", text)
        try runProgram("/bin/gzip", ["-n", file])
        let compressed = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file + ".gz")))
        let cut = try folder.write("cut.gz", Array(compressed.prefix(compressed.count / 2)))
        #expect(throws: SystemError.self) { try readLines(cut) }
    }

    @Test func missingFileNamesPath() throws {
        let folder = try TemporaryFolder()
        let path = folder.path + "/missing.log"
        do {
            _ = try readLines(path)
            Issue.record("reading a missing file did not throw")
        } catch let error as SystemError {
            #expect(error.isUnavailableInput)
            #expect(error.description.contains("'\(path)'"))
            #expect(error.description.contains("No such file"))
        }
    }

    @Test func directoryIsRejected() throws {
        let folder = try TemporaryFolder()
        #expect(throws: SystemError.self) { try readLines(folder.path) }
    }
}
