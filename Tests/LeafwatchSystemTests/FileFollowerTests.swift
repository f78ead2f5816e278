import Dispatch
import Foundation
import Synchronization
import LeafwatchCore
import Testing
@testable import LeafwatchSystem

// MARK: - Helpers

/// A delivered line.
struct RecordedLine: Equatable, Sendable {
    var path: String
    var text: String
    var isCut: Bool
}

/// Collects a follower's lines and events. The follower appends on its queue
/// while the test waits on its own thread; `condition` protects both arrays.
final class FollowerRecorder: @unchecked Sendable {
    private let condition = NSCondition()
    private var lines: [RecordedLine] = []
    private var events: [String] = []

    func append(_ line: RecordedLine) {
        condition.lock()
        lines.append(line)
        condition.broadcast()
        condition.unlock()
    }

    func append(_ event: FollowerEvent) {
        condition.lock()
        events.append(describe(event))
        condition.broadcast()
        condition.unlock()
    }

    var snapshot: (lines: [RecordedLine], events: [String]) {
        condition.lock()
        defer { condition.unlock() }
        return (lines, events)
    }

    /// Waits until `predicate` is true or `timeout` seconds pass, and returns its last value.
    @discardableResult
    func wait(timeout: TimeInterval = 10, until predicate: ([RecordedLine], [String]) -> Bool) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while !predicate(lines, events) {
            if !condition.wait(until: deadline) { return predicate(lines, events) }
        }
        return true
    }
}

/// Returns a stable text for an event, with file names instead of full paths.
func describe(_ event: FollowerEvent) -> String {
    func name(_ path: String) -> String { (path as NSString).lastPathComponent }
    switch event {
    case .opened(let path, let offset): return "opened \(name(path)) at \(offset)"
    case .missing(let pattern): return "missing \(name(pattern))"
    case .unreadable(let path, let code): return "unreadable \(name(path)) errno \(code)"
    case .rotated(let path): return "rotated \(name(path))"
    case .truncated(let path, let offset): return "truncated \(name(path)) from \(offset)"
    case .deleted(let path): return "deleted \(name(path))"
    case .resumedPredecessor(let path, let predecessor): return "resumed \(name(path)) from \(name(predecessor))"
    case .lineCut(let path, let length): return "cut \(name(path)) length \(length)"
    case .failed(let error): return "failed \(error)"
    }
}

/// A follower running on its own queue, with its output recorded.
final class FollowerHarness {
    let queue = DispatchQueue(label: "leafwatch.test.follower")
    let recorder = FollowerRecorder()
    let follower: FileFollower

    init(_ patterns: [String], startAt: Configuration.StartPosition = .beginning, maxLineLength: Int = 64 * 1024,
         checkpoints: [FileCheckpoint] = []) {
        let recorder = self.recorder
        follower = FileFollower(
            patterns: patterns, startAt: startAt, maxLineLength: maxLineLength, checkpoints: checkpoints, queue: queue,
            lines: { path, line, isCut in
                recorder.append(RecordedLine(path: path, text: String(decoding: line, as: UTF8.self), isCut: isCut))
            },
            events: { recorder.append($0) })
    }

    deinit {
        queue.sync { follower.stop() }
    }

    func start() throws {
        try queue.sync { try follower.start() }
    }

    /// Reads what is available, returns the checkpoints and stops.
    func stop() -> [FileCheckpoint] {
        queue.sync {
            follower.readAvailable()
            let checkpoints = follower.checkpoints
            follower.stop()
            return checkpoints
        }
    }

    var checkpoints: [FileCheckpoint] {
        queue.sync { follower.checkpoints }
    }

    /// Waits until `count` lines arrived, recording an issue when they do not
    /// within the timeout. Then lets the follower read whatever is left, so
    /// that extra lines show, and returns the texts of all lines.
    func waitForLines(_ count: Int, sourceLocation: SourceLocation = #_sourceLocation) -> [String] {
        if !recorder.wait(until: { lines, _ in lines.count >= count }) {
            Issue.record("timed out waiting for \(count) lines; \(recorder.snapshot.lines.count) arrived",
                         sourceLocation: sourceLocation)
        }
        queue.sync { follower.readAvailable() }
        return recorder.snapshot.lines.map(\.text)
    }

    /// Waits until an event with this text arrived; returns whether it did.
    @discardableResult
    func waitForEvent(_ text: String) -> Bool {
        recorder.wait { _, events in events.contains(text) }
    }

    var events: [String] { recorder.snapshot.events }
}

/// A writer that keeps its file open in append mode, as a web server does.
final class LogWriter {
    let path: String
    private var descriptor: Int32

    init(_ path: String) throws {
        self.path = path
        descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }

    deinit {
        close(descriptor)
    }

    func write(_ text: String) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress! + offset, bytes.count - offset) }
            precondition(count > 0, "write to \(path) failed: errno \(errno)")
            offset += count
        }
    }

    func writeLines(_ lines: [String]) {
        write(lines.map { $0 + "\n" }.joined())
    }

    /// Closes the file and opens (creating if needed) whatever is at the path now.
    func reopen() throws {
        close(descriptor)
        descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }
}

func numberedLines(_ prefix: String, _ range: ClosedRange<Int>) -> [String] {
    range.map { "\(prefix) \($0) GET /index.html HTTP/1.1 200" }
}

func makeDirectory(_ path: String, mode: mode_t = 0o755) throws {
    guard mkdir(path, mode) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
}

/// The environment variable that makes `unreadableScenarioAsUser` run; it
/// names the folder to run in.
let unreadableScenarioFolder = "LEAFWATCH_TEST_UNREADABLE_FOLDER"

/// Follows a file that is unreadable at first, then made readable, and
/// writes what happened to `folder/result`: one `event ...` or `line ...` per
/// line. Must run as a user that file permissions apply to, not root.
func runUnreadableScenario(folder: String) throws {
    let path = folder + "/access.log"
    let writer = try LogWriter(path)
    writer.writeLines(["before 1", "before 2"])
    guard chmod(path, 0) == 0 else { throw POSIXError(.EPERM) }

    let harness = FollowerHarness([path])
    try harness.start()
    harness.waitForEvent("unreadable access.log errno \(EACCES)")

    // A change that leaves the file unreadable is tried again, not reported again.
    _ = chmod(path, 0o000)
    harness.queue.sync { harness.follower.readAvailable() }
    writer.writeLines(["while unreadable"])

    _ = chmod(path, 0o644)
    _ = harness.waitForLines(3)
    writer.writeLines(["after"])
    _ = harness.waitForLines(4)

    let (lines, events) = harness.recorder.snapshot
    let result = events.map { "event " + $0 } + lines.map { "line " + $0.text }
    try (result.joined(separator: "\n") + "\n").write(toFile: folder + "/result", atomically: true, encoding: .utf8)
}

let logrotatePath = "/usr/sbin/logrotate"

/// Runs logrotate once, forced, on `path` with `mode` (`create` or
/// `copytruncate`), keeping its state file in `folder`.
func runLogrotate(folder: String, path: String, mode: String) throws {
    let configuration = folder + "/logrotate.conf"
    try "\"\(path)\" {\n    rotate 3\n    \(mode)\n    compress\n    delaycompress\n}\n"
        .write(toFile: configuration, atomically: true, encoding: .utf8)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: logrotatePath)
    process.arguments = ["--force", "--state", folder + "/logrotate.state", configuration]
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    try process.run()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "logrotate: \(text)")
}

/// Appends numbered lines to a file from a thread of its own, pausing 1 ms
/// every 100 lines, so that a rotation happens while it writes.
final class BackgroundWriter: Sendable {
    let written = Atomic<Int>(0)
    /// Set once the file was rotated; a writer that reopens then opens the path again.
    let rotated = Atomic<Bool>(false)
    let finished = DispatchSemaphore(value: 0)

    static func line(_ number: Int) -> String {
        "line \(number) GET /portal/login HTTP/1.1 401"
    }

    init(path: String, total: Int, reopensAfterRotation: Bool) {
        Thread.detachNewThread { [self] in
            defer { finished.signal() }
            guard let writer = try? LogWriter(path) else { return }
            var reopened = false
            for number in 1...total {
                if reopensAfterRotation && !reopened && rotated.load(ordering: .acquiring) {
                    try? writer.reopen()
                    reopened = true
                }
                writer.write(Self.line(number) + "\n")
                written.store(number, ordering: .releasing)
                if number % 100 == 0 { usleep(1_000) }
            }
        }
    }

    func waitUntilWritten(_ count: Int) {
        while written.load(ordering: .acquiring) < count {
            usleep(1_000)
        }
    }
}

// MARK: - Tests

@Suite struct FileFollowerTests {
    @Test func appendAndPartialLine() throws {
        let folder = try TemporaryFolder()
        let writer = try LogWriter(folder.path + "/access.log")
        let harness = FollowerHarness([writer.path])
        try harness.start()

        writer.write("one\ntw")
        #expect(harness.waitForLines(1) == ["one"])
        // The partial line is not part of the checkpoint.
        #expect(harness.checkpoints.map(\.offset) == [4])

        writer.write("o\nthree\n")
        #expect(harness.waitForLines(3) == ["one", "two", "three"])
        #expect(harness.checkpoints.map(\.offset) == [14])
        #expect(harness.recorder.snapshot.lines.allSatisfy { $0.path == writer.path })
        #expect(harness.recorder.snapshot.lines.allSatisfy { !$0.isCut })
    }

    @Test func startAtEndSkipsExistingLines() throws {
        let folder = try TemporaryFolder()
        let writer = try LogWriter(folder.path + "/access.log")
        writer.write("old 1\nold 2\npart")
        let harness = FollowerHarness([writer.path], startAt: .end)
        try harness.start()
        #expect(harness.events == ["opened access.log at 12"])

        writer.write("ial\nnew\n")
        #expect(harness.waitForLines(2) == ["partial", "new"])
    }

    @Test func renameRotationWhileWriting() throws {
        let folder = try TemporaryFolder()
        let path = folder.path + "/access.log"
        let writer = try LogWriter(path)
        let harness = FollowerHarness([path])
        try harness.start()

        // The follower reads while the lines are written in small batches.
        let old = numberedLines("old", 1...3000)
        let new = numberedLines("new", 1...3000)
        for batch in stride(from: 0, to: old.count, by: 50) {
            writer.writeLines(Array(old[batch..<batch + 50]))
        }
        guard rename(path, path + ".1") == 0 else { throw POSIXError(.EIO) }
        try writer.reopen()
        for batch in stride(from: 0, to: new.count, by: 50) {
            writer.writeLines(Array(new[batch..<batch + 50]))
        }

        let lines = harness.waitForLines(6000)
        #expect(lines.count == 6000)
        #expect(lines == old + new)
        #expect(harness.events.contains("rotated access.log"))
        #expect(harness.events.last == "opened access.log at 0")
    }

    @Test func renameRotationBeforeFollowerLooks() throws {
        let folder = try TemporaryFolder()
        let path = folder.path + "/access.log"
        let writer = try LogWriter(path)
        let harness = FollowerHarness([path])
        try harness.start()
        let first = numberedLines("old", 1...10)
        writer.writeLines(first)
        #expect(harness.waitForLines(10) == first)

        // The old file's unread tail, the rotation and the new file's lines all
        // wait in the inotify queue together.
        harness.queue.sync {}
        harness.queue.suspend()
        let tail = numberedLines("old", 11...20)
        writer.writeLines(tail)
        _ = rename(path, path + ".1")
        try writer.reopen()
        let new = numberedLines("new", 1...10)
        writer.writeLines(new)
        harness.queue.resume()

        #expect(harness.waitForLines(30) == first + tail + new)
        #expect(harness.events == ["opened access.log at 0", "rotated access.log", "opened access.log at 0"])
    }

    @Test func rotatedFileLateWritesDelivered() throws {
        let folder = try TemporaryFolder()
        let path = folder.path + "/access.log"
        let lateWriter = try LogWriter(path)
        let harness = FollowerHarness([path])
        try harness.start()

        lateWriter.writeLines(["first"])
        #expect(harness.waitForLines(1) == ["first"])
        // logrotate's `create`: rename, create the new file; the server writes
        // to the old file until it reopens its logs.
        guard rename(path, path + ".1") == 0 else { throw POSIXError(.EIO) }
        let newWriter = try LogWriter(path)
        #expect(harness.waitForEvent("opened access.log at 0"))
        lateWriter.writeLines(["late"])
        #expect(harness.waitForLines(2) == ["first", "late"])
        newWriter.writeLines(["new"])
        #expect(harness.waitForLines(3) == ["first", "late", "new"])
        #expect(harness.checkpoints.count == 2)
    }

    @Test func copytruncate() throws {
        let folder = try TemporaryFolder()
        let path = folder.path + "/access.log"
        let writer = try LogWriter(path)
        let harness = FollowerHarness([path])
        try harness.start()

        let before = numberedLines("before", 1...100)
        writer.writeLines(before)
        #expect(harness.waitForLines(100) == before)
        let readOffset = harness.checkpoints.first?.offset ?? -1

        // logrotate `copytruncate`: copy, then truncate in place; the server
        // keeps writing through its O_APPEND descriptor.
        try FileManager.default.copyItem(atPath: path, toPath: path + ".1")
        guard truncate(path, 0) == 0 else { throw POSIXError(.EIO) }
        #expect(harness.waitForEvent("truncated access.log from \(readOffset)"))
        let after = numberedLines("after", 1...20)
        writer.writeLines(after)
        #expect(harness.waitForLines(120) == before + after)
    }

    @Test func copytruncateRecoversUnreadLines() throws {
        let folder = try TemporaryFolder()
        let path = folder.path + "/access.log"
        let writer = try LogWriter(path)
        let harness = FollowerHarness([path])
        try harness.start()

        let first = numberedLines("first", 1...10)
        writer.writeLines(first)
        #expect(harness.waitForLines(10) == first)
        let readOffset = harness.checkpoints.first?.offset ?? -1

        // Lines written just before the copy are unread when the truncation
        // is seen; the follower finds them in the copy.
        harness.queue.suspend()
        let unread = numberedLines("unread", 1...10)
        writer.writeLines(unread)
        try FileManager.default.copyItem(atPath: path, toPath: path + ".1")
        _ = truncate(path, 0)
        let after = numberedLines("after", 1...5)
        writer.writeLines(after)
        harness.queue.resume()

        #expect(harness.waitForLines(25) == first + unread + after)
        #expect(harness.events.contains("truncated access.log from \(readOffset)"))
    }

    @Test func truncateAndRegrowWhileStopped() throws {
        let folder = try TemporaryFolder()
        let path = folder.path + "/access.log"
        var checkpoints: [FileCheckpoint] = []
        do {
            let writer = try LogWriter(path)
            let harness = FollowerHarness([path])
            try harness.start()
            writer.writeLines(numberedLines("a", 1...10))
            #expect(harness.waitForLines(10).count == 10)
            checkpoints = harness.stop()
        }
        #expect(checkpoints.count == 1)

        // Truncated, then written past the old offset while nothing followed it.
        let regrown = numberedLines("b", 1...30)
        try (regrown.map { $0 + "\n" }.joined()).write(toFile: path, atomically: false, encoding: .utf8)

        let harness = FollowerHarness([path], startAt: .end, checkpoints: checkpoints)
        try harness.start()
        #expect(harness.waitForLines(30) == regrown)
        #expect(harness.events.contains("truncated access.log from \(checkpoints[0].offset)"))
    }

    @Test func truncateAndRegrowWhileSuspended() throws {
        let folder = try TemporaryFolder()
        let path = folder.path + "/access.log"
        let writer = try LogWriter(path)
        let harness = FollowerHarness([path])
        try harness.start()
        let first = numberedLines("a", 1...10)
        writer.writeLines(first)
        #expect(harness.waitForLines(10) == first)
        let readOffset = harness.checkpoints.first?.offset ?? -1

        // The follower cannot look between the truncation and the new writes.
        harness.queue.sync {}
        harness.queue.suspend()
        _ = ftruncate(open(path, O_WRONLY | O_CLOEXEC), 0)
        let regrown = numberedLines("b", 1...30)
        writer.writeLines(regrown)
        harness.queue.resume()

        #expect(harness.waitForLines(40) == first + regrown)
        #expect(harness.events.contains("truncated access.log from \(readOffset)"))
    }

    @Test func overLongLineCut() throws {
        let folder = try TemporaryFolder()
        let writer = try LogWriter(folder.path + "/access.log")
        let harness = FollowerHarness([writer.path], maxLineLength: 100)
        try harness.start()

        // A long line complete in one read, and one that arrives in two parts.
        writer.write("short\n" + String(repeating: "x", count: 250) + "\nafter\n")
        #expect(harness.waitForLines(3).count == 3)
        writer.write(String(repeating: "y", count: 60))
        harness.queue.sync { harness.follower.readAvailable() }
        writer.write(String(repeating: "y", count: 150))
        harness.queue.sync { harness.follower.readAvailable() }
        writer.write(String(repeating: "y", count: 20) + "\nlast\n")

        _ = harness.waitForLines(5)
        let lines = harness.recorder.snapshot.lines
        #expect(lines.map(\.text) == ["short", String(repeating: "x", count: 100), "after",
                                      String(repeating: "y", count: 100), "last"])
        #expect(lines.map(\.isCut) == [false, true, false, true, false])
        #expect(harness.events.filter { $0.hasPrefix("cut") } == ["cut access.log length 250", "cut access.log length 210"])
        // The checkpoint is after the newline that ends the cut line.
        #expect(harness.checkpoints.map(\.offset) == [Int64(6 + 251 + 6 + 231 + 5)])
    }

    @Test func missingFileThenCreated() throws {
        let folder = try TemporaryFolder()
        let path = folder.path + "/access.log"
        let harness = FollowerHarness([path], startAt: .end)
        try harness.start()
        #expect(harness.events == ["missing access.log"])

        // Created after the start, so read from its beginning despite `.end`.
        let writer = try LogWriter(path)
        writer.writeLines(["one", "two"])
        #expect(harness.waitForLines(2) == ["one", "two"])
        #expect(harness.events == ["missing access.log", "opened access.log at 0"])
    }

    @Test func missingDirectoryThenCreated() throws {
        let folder = try TemporaryFolder()
        let path = folder.path + "/a/b/access.log"
        let harness = FollowerHarness([path])
        try harness.start()
        #expect(harness.events == ["missing access.log"])

        try makeDirectory(folder.path + "/a")
        harness.queue.sync {}
        try makeDirectory(folder.path + "/a/b")
        let writer = try LogWriter(path)
        writer.writeLines(["one"])
        #expect(harness.waitForLines(1) == ["one"])
        #expect(harness.events == ["missing access.log", "opened access.log at 0"])
        #expect(harness.follower.followedFileCount == 1)
    }

    @Test func permissionDeniedThenFixed() throws {
        let folder = try TemporaryFolder()
        if getuid() == 0 {
            // Root reads every file whatever its mode, so the scenario runs in
            // this test binary started again with uid and gid 65534.
            let nobody: uid_t = 65534
            guard chown(folder.path, nobody, gid_t(nobody)) == 0 else { throw POSIXError(.EPERM) }
            let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments = ["--reuid=\(nobody)", "--regid=\(nobody)", "--clear-groups", executable,
                                 "--testing-library", "swift-testing", "--filter", "FileFollowerTests/unreadableScenarioAsUser"]
            var environment = ProcessInfo.processInfo.environment
            environment[unreadableScenarioFolder] = folder.path
            process.environment = environment
            let output = Pipe()
            process.standardOutput = output
            process.standardError = output
            try process.run()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "\(text)")
        } else {
            try runUnreadableScenario(folder: folder.path)
        }

        let result = (try? String(contentsOfFile: folder.path + "/result", encoding: .utf8)) ?? ""
        let entries = result.split(separator: "\n").map(String.init)
        #expect(entries.filter { $0.hasPrefix("event unreadable") } == ["event unreadable access.log errno \(EACCES)"])
        #expect(entries.filter { $0.hasPrefix("line") } == ["line before 1", "line before 2", "line while unreadable", "line after"])
        #expect(entries.contains("event opened access.log at 0"))
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment[unreadableScenarioFolder] != nil))
    func unreadableScenarioAsUser() throws {
        try runUnreadableScenario(folder: ProcessInfo.processInfo.environment[unreadableScenarioFolder]!)
    }

    @Test func deletedWhileOpen() throws {
        let folder = try TemporaryFolder()
        let path = folder.path + "/access.log"
        let writer = try LogWriter(path)
        let harness = FollowerHarness([path])
        try harness.start()
        writer.writeLines(["one", "two"])
        #expect(harness.waitForLines(2) == ["one", "two"])

        // Written and deleted before the follower looks: still read, with the
        // partial last line, since nothing can complete it.
        harness.queue.sync {}
        harness.queue.suspend()
        writer.write("three\nfour\nfi")
        unlink(path)
        harness.queue.resume()

        #expect(harness.waitForEvent("deleted access.log"))
        #expect(harness.waitForLines(5) == ["one", "two", "three", "four", "fi"])
        #expect(harness.follower.followedFileCount == 0)
        #expect(harness.checkpoints.isEmpty)
    }

    @Test func newFileUnderGlob() throws {
        let folder = try TemporaryFolder()
        let existing = try LogWriter(folder.path + "/a-access.log")
        existing.writeLines(["old"])
        let harness = FollowerHarness([folder.path + "/*access.log"], startAt: .end)
        try harness.start()
        #expect(harness.events == ["opened a-access.log at 4"])

        let other = try LogWriter(folder.path + "/b-error.log")
        other.writeLines(["not followed"])
        let created = try LogWriter(folder.path + "/b-access.log")
        created.writeLines(["b one", "b two"])
        #expect(harness.waitForLines(2) == ["b one", "b two"])
        existing.writeLines(["a new"])
        #expect(harness.waitForLines(3) == ["b one", "b two", "a new"])
        #expect(harness.recorder.snapshot.lines.map { ($0.path as NSString).lastPathComponent }
                == ["b-access.log", "b-access.log", "a-access.log"])
        #expect(harness.follower.followedFileCount == 2)
    }

    @Test func restartResumesAtCheckpoint() throws {
        let folder = try TemporaryFolder()
        let path = folder.path + "/access.log"
        let writer = try LogWriter(path)
        var checkpoints: [FileCheckpoint] = []
        do {
            let harness = FollowerHarness([path])
            try harness.start()
            writer.write("one\ntwo\nthr")
            #expect(harness.waitForLines(2) == ["one", "two"])
            checkpoints = harness.stop()
        }
        writer.write("ee\nfour\n")

        let harness = FollowerHarness([path], startAt: .end, checkpoints: checkpoints)
        try harness.start()
        #expect(harness.waitForLines(2) == ["three", "four"])
        #expect(harness.events == ["opened access.log at 8"])
    }

    @Test func restartAfterRotationWhileStopped() throws {
        let folder = try TemporaryFolder()
        let path = folder.path + "/access.log"
        let writer = try LogWriter(path)
        var checkpoints: [FileCheckpoint] = []
        let first = numberedLines("first", 1...10)
        do {
            let harness = FollowerHarness([path])
            try harness.start()
            writer.writeLines(first)
            #expect(harness.waitForLines(10) == first)
            checkpoints = harness.stop()
        }

        // While stopped: more lines, a dateext rotation, a new file, and a
        // line the server still writes to the old file.
        let whileStopped = numberedLines("stopped", 1...5)
        writer.writeLines(whileStopped)
        guard rename(path, path + "-20261203") == 0 else { throw POSIXError(.EIO) }
        let newWriter = try LogWriter(path)
        let newLines = numberedLines("new", 1...5)
        newWriter.writeLines(newLines)
        writer.writeLines(["late"])

        let harness = FollowerHarness([path], startAt: .end, checkpoints: checkpoints)
        try harness.start()
        #expect(harness.waitForLines(11) == whileStopped + ["late"] + newLines)
        #expect(harness.events == ["resumed access.log from access.log-20261203", "opened access.log at 0"])
        // The predecessor keeps its checkpoint, before the new file's.
        let resumed = harness.checkpoints
        #expect(resumed.count == 2)
        #expect(resumed.first?.path == path)
    }

    @Test func directoryRemovedThenRecreated() throws {
        let folder = try TemporaryFolder()
        let directory = folder.path + "/logs"
        let path = directory + "/access.log"
        try makeDirectory(directory)
        let harness = FollowerHarness([path])
        do {
            let writer = try LogWriter(path)
            writer.writeLines(["one"])
            try harness.start()
            #expect(harness.waitForLines(1) == ["one"])
        }

        try FileManager.default.removeItem(atPath: directory)
        #expect(harness.waitForEvent("missing access.log"))
        try makeDirectory(directory)
        let writer = try LogWriter(path)
        writer.writeLines(["two"])
        #expect(harness.waitForLines(2) == ["one", "two"])
        #expect(harness.events == ["opened access.log at 0", "deleted access.log", "missing access.log",
                                   "opened access.log at 0"])
    }

    @Test func eventQueueOverflowRescans() throws {
        let folder = try TemporaryFolder()
        let path = folder.path + "/access.log"
        let writer = try LogWriter(path)
        let harness = FollowerHarness([path])
        try harness.start()
        let first = numberedLines("old", 1...5)
        writer.writeLines(first)
        #expect(harness.waitForLines(5) == first)

        // More events than the kernel queues (16384 by default), then a
        // rotation whose events are lost.
        harness.queue.sync {}
        harness.queue.suspend()
        for number in 0..<10_000 {
            let noise = folder.path + "/noise-\(number)"
            close(open(noise, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644))
            unlink(noise)
        }
        let tail = numberedLines("old", 6...10)
        writer.writeLines(tail)
        _ = rename(path, path + ".1")
        try writer.reopen()
        let new = numberedLines("new", 1...5)
        writer.writeLines(new)
        harness.queue.resume()

        #expect(harness.waitForLines(15) == first + tail + new)
        #expect(harness.events == ["opened access.log at 0", "rotated access.log", "opened access.log at 0"])
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: logrotatePath)))
    func logrotateCreateDuringWrites() throws {
        let folder = try TemporaryFolder()
        let path = folder.path + "/access.log"
        let total = 20_000
        _ = try LogWriter(path)
        let harness = FollowerHarness([path])
        try harness.start()

        // The writer reopens the path once logrotate has run, as a web server
        // does when reloaded; until then it writes to the rotated file.
        let writer = BackgroundWriter(path: path, total: total, reopensAfterRotation: true)
        writer.waitUntilWritten(total / 4)
        try runLogrotate(folder: folder.path, path: path, mode: "create")
        writer.rotated.store(true, ordering: .releasing)
        writer.finished.wait()

        let lines = harness.waitForLines(total)
        #expect(lines == (1...total).map(BackgroundWriter.line))
        #expect(harness.events.contains("rotated access.log"))
        // The rotation happened while the writer wrote: both files have lines.
        let rotatedLines = try String(contentsOfFile: path + ".1", encoding: .utf8).split(separator: "\n")
        let currentLines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(rotatedLines.count >= total / 4)
        #expect(!currentLines.isEmpty)
        #expect(rotatedLines.count + currentLines.count == total)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: logrotatePath)))
    func logrotateCopytruncateDuringWrites() throws {
        let folder = try TemporaryFolder()
        let path = folder.path + "/access.log"
        let total = 20_000
        _ = try LogWriter(path)
        let harness = FollowerHarness([path])
        try harness.start()

        let writer = BackgroundWriter(path: path, total: total, reopensAfterRotation: false)
        writer.waitUntilWritten(total / 4)
        try runLogrotate(folder: folder.path, path: path, mode: "copytruncate")
        writer.finished.wait()

        // Lines written between logrotate's copy and its truncation are lost,
        // as logrotate(8) of logrotate 3.21.0 warns, so only order, uniqueness
        // and the end are certain.
        #expect(harness.recorder.wait { lines, _ in lines.last?.text == BackgroundWriter.line(total) })
        harness.queue.sync { harness.follower.readAvailable() }
        let numbers = harness.recorder.snapshot.lines.map { Int($0.text.split(separator: " ")[1])! }
        #expect(numbers == numbers.sorted())
        #expect(Set(numbers).count == numbers.count)
        #expect(harness.events.contains { $0.hasPrefix("truncated access.log") })
        let copiedLines = try String(contentsOfFile: path + ".1", encoding: .utf8).split(separator: "\n")
        #expect(copiedLines.count >= total / 4)
        #expect(copiedLines.count < total)
    }

    @Test func fingerprintMatchesOnlyItsHead() {
        let text = Array("192.0.2.1 - - [03/Dec/2026:08:15:02 +0000]".utf8)
        let fingerprint = text.withUnsafeBytes { FileFingerprint(UnsafeRawBufferPointer(rebasing: $0[0..<20])) }
        #expect(text.withUnsafeBytes { fingerprint.matches(head: $0) })
        var changed = text
        changed[5] = UInt8(ascii: "9")
        #expect(!changed.withUnsafeBytes { fingerprint.matches(head: $0) })
        #expect(!text.withUnsafeBytes { fingerprint.matches(head: UnsafeRawBufferPointer(rebasing: $0[0..<10])) })
    }
}

// MARK: - Benchmarks

/// Throughput figures, run only when LEAFWATCH_FOLLOWER_BENCHMARK is set
/// (build in release for meaningful numbers). They print their figures and
/// check only that every line arrived.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["LEAFWATCH_FOLLOWER_BENCHMARK"] != nil))
struct FileFollowerBenchmarks {
    /// Counts delivered lines; written on the follower's queue, read anywhere.
    /// `done` is signalled when `target` lines arrived.
    final class LineCounter: Sendable {
        let target: Int
        let lines = Atomic<Int>(0)
        let done = DispatchSemaphore(value: 0)
        /// Uptime in nanoseconds when the last line arrived.
        let finishedAt = Atomic<UInt64>(0)

        init(target: Int) {
            self.target = target
        }
    }

    static func accessLine(_ number: Int) -> String {
        "192.0.2.\(number % 250) - alice [03/Dec/2026:08:15:02 +0000] \"GET /portal/account/\(number) HTTP/1.1\" 200 5123 "
            + "\"https://portal.example.org/login\" \"Mozilla/5.0 (X11; Linux x86_64)\""
    }

    static func makeFollower(_ path: String, queue: DispatchQueue, counter: LineCounter) -> FileFollower {
        FileFollower(patterns: [path], startAt: .beginning, maxLineLength: 64 * 1024, checkpoints: [], queue: queue,
                     lines: { _, _, _ in
                         if counter.lines.add(1, ordering: .relaxed).newValue == counter.target {
                             counter.finishedAt.store(DispatchTime.now().uptimeNanoseconds, ordering: .relaxed)
                             counter.done.signal()
                         }
                     },
                     events: { _ in })
    }

    @Test func preWrittenFile() throws {
        let folder = try TemporaryFolder()
        let path = folder.path + "/access.log"
        let total = 1_000_000
        let writer = try LogWriter(path)
        for batch in stride(from: 0, to: total, by: 10_000) {
            writer.writeLines((batch..<batch + 10_000).map(Self.accessLine))
        }
        let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0

        let queue = DispatchQueue(label: "leafwatch.benchmark.follower")
        let counter = LineCounter(target: total)
        let follower = Self.makeFollower(path, queue: queue, counter: counter)
        let started = DispatchTime.now()
        try queue.sync { try follower.start() }
        _ = counter.done.wait(timeout: .now() + 60)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        queue.sync { follower.stop() }

        #expect(counter.lines.load(ordering: .relaxed) == total)
        print(String(format: "pre-written file: %d lines, %d bytes in %.3f s: %.0f lines/s, %.0f MB/s",
                     total, size, seconds, Double(total) / seconds, Double(size) / seconds / 1e6))
    }

    @Test func growingFile() throws {
        let folder = try TemporaryFolder()
        let path = folder.path + "/access.log"
        let writer = try LogWriter(path)
        let queue = DispatchQueue(label: "leafwatch.benchmark.follower")
        let ticks = 500
        let total = ticks * 2_000
        let counter = LineCounter(target: total)
        let follower = Self.makeFollower(path, queue: queue, counter: counter)
        try queue.sync { try follower.start() }

        // 2,000 lines every 10 ms is 200,000 lines per second, for 5 seconds.
        let batch = (0..<2_000).map(Self.accessLine).map { $0 + "\n" }.joined()
        var maxBacklog = 0
        let started = DispatchTime.now().uptimeNanoseconds
        var lastWrite: UInt64 = 0
        for tick in 0..<ticks {
            lastWrite = DispatchTime.now().uptimeNanoseconds
            writer.write(batch)
            let written = (tick + 1) * 2_000
            maxBacklog = max(maxBacklog, written - counter.lines.load(ordering: .relaxed))
            let next = started + UInt64(tick + 1) * 10_000_000
            let now = DispatchTime.now().uptimeNanoseconds
            if next > now { usleep(UInt32((next - now) / 1_000)) }
        }
        _ = counter.done.wait(timeout: .now() + 30)
        let finishedAt = counter.finishedAt.load(ordering: .relaxed)
        queue.sync { follower.stop() }

        #expect(counter.lines.load(ordering: .relaxed) == total)
        let writingSeconds = Double(lastWrite - started) / 1e9
        print(String(format: "growing file: %d lines written in %.2f s (%.0f lines/s); largest backlog seen by the writer %d lines; "
                     + "last line delivered %.2f ms after the last write(2) began",
                     total, writingSeconds, Double(total) / writingSeconds, maxBacklog,
                     Double(Int64(finishedAt) - Int64(lastWrite)) / 1e6))
    }
}
