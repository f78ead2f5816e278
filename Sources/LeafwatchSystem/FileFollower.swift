#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import LeafwatchCore

/// A change in the state of a followed file, reported once per change.
public enum FollowerEvent: Sendable {
    /// The file at `path` was opened and is read from `offset`.
    case opened(path: String, offset: Int64)
    /// Nothing matches `pattern` yet, or its directory is missing; it is waited for.
    case missing(pattern: String)
    /// The file or directory cannot be opened; it is tried again when it or its directory changes.
    case unreadable(path: String, errno: Int32)
    /// The file was renamed away from `path` and was read to its current end.
    case rotated(path: String)
    /// The file became shorter than what was read, or its first bytes changed:
    /// it is read again from its start, and lines written just before the
    /// truncation may be missing.
    case truncated(path: String, previousOffset: Int64)
    /// The file was deleted while open and was read to its end.
    case deleted(path: String)
    /// At start, the file followed before the stop was found rotated to
    /// `predecessor` and was read from its checkpoint to its end first.
    case resumedPredecessor(path: String, predecessor: String)
    /// A line was longer than the maximum and only its start was delivered.
    /// `length` is the line's length when it was cut: the whole line's when its
    /// newline had been read, else the bytes read so far (more than the maximum).
    case lineCut(path: String, length: Int)
    /// Any other failure, with the path and errno.
    case failed(SystemError)
}

/// Follows the files matching a set of path patterns as they are written,
/// and delivers their complete lines in file order.
///
/// inotify watches each pattern's directory (for files that appear, are
/// renamed, deleted or change permissions) and each open file (for writes and
/// renames). A Dispatch read source on the inotify descriptor runs the
/// follower on `queue`; nothing polls. All state belongs to `queue`: create
/// the follower anywhere, then call every method on `queue`.
///
/// The cases handled, and the losses that remain possible:
/// - **Partial line**: bytes after the last newline wait in memory for the
///   rest of their line. A checkpoint never includes them, so a restart reads
///   the line again in full.
/// - **Long line**: a line longer than `maxLineLength` is delivered once, cut
///   to that length, with `isCut` set. The rest up to its newline is skipped.
///   NOTE: a restart while the rest is being skipped delivers the cut line again.
/// - **Rename rotation**: when the file at a path is renamed away, it is read
///   to its end before the new file at the path is opened, which is read from
///   its start. The old file stays open as the path's predecessor, and lines a
///   server writes to it before reopening its logs are still delivered, until
///   it is deleted or the path rotates again.
/// - **Truncation**: a file shorter than the offset read, or whose first bytes
///   (up to 1 KiB) no longer hash to the saved fingerprint, was truncated, even
///   when it has grown past the old offset since. It is read again from its
///   start. Lines not yet read are first looked for in a copy among the
///   rotated names, which logrotate's `copytruncate` leaves. Lines written
///   between the copy and the truncation are lost, so `.truncated` reports a
///   possible gap.
/// - **Deletion**: a file deleted while open is read to its end, its partial
///   last line included, and closed.
/// - **Missing or unreadable**: a missing file or directory is waited for
///   through a watch on its nearest existing ancestor. A file that cannot be
///   opened is reported once and tried again when its metadata changes.
/// - **Restart**: `checkpoints` returns one checkpoint per open file. Given
///   to a new follower, a checkpoint resumes its file at its offset when the
///   file is still at its path with the same head. A file no longer at its path
///   is looked for by device and inode among the rotated names in the same
///   directory: names that start with the file's name, such as `access.log.1`
///   or `access.log-20261203`, compressed ones excluded. When found, it is read
///   to its end first, and then the new file at the path from its start.
///   NOTE: when a path rotates twice while the follower is stopped, the file in
///   between is not read.
/// - **New files**: files that match a pattern when following starts begin at
///   `startAt`; files that appear later begin at their start.
///
/// NOTE: a glob that also matches rotated names (such as `access.log*`) can
/// follow a rotated file under its new name too, read again from its start,
/// once the follower has closed it as a predecessor.
public final class FileFollower {
    /// Bytes read from a file per read(2) call.
    static let chunkSize = 256 * 1024
    /// Bytes read from one file before other work on `queue` gets a turn.
    static let bytesPerTurn: Int64 = 2 * 1024 * 1024

    static let directoryEvents: Inotify.EventMask = [
        .create, .movedTo, .movedFrom, .delete, .attributes, .deleteSelf, .moveSelf, .onlyDirectory,
    ]
    static let fileEvents: Inotify.EventMask = [.modify, .attributes, .moveSelf, .deleteSelf]

    let startAt: Configuration.StartPosition
    let maxLineLength: Int
    let queue: DispatchQueue
    let deliverLine: (_ path: String, _ line: UnsafeBufferPointer<UInt8>, _ isCut: Bool) -> Void
    let report: (FollowerEvent) -> Void

    var patterns: [FollowedPattern] = []
    let invalidPatterns: [String]
    var inotify: Inotify?
    private var source: DispatchSourceRead?
    var isRunning = false

    /// Pattern indexes per directory watch; a pattern is listed under the watch
    /// on its directory or, while that is missing, on its nearest ancestor.
    var directoryWatches: [Int32: Set<Int>] = [:]
    var fileWatches: [Int32: FollowedFile] = [:]
    var paths: [String: FollowedPath] = [:]
    /// Checkpoints given at creation and not yet applied, by path; they are
    /// applied when the path's file is first opened or found missing.
    var pendingCheckpoints: [String: [FileCheckpoint]] = [:]
    var readQueue: [FollowedFile] = []
    var isContinuationScheduled = false
    /// Reading during `start()`: files found then begin at `startAt`.
    var isStarting = false
    var reportedInotifyError = false

    /// Holds `chunkSize` bytes after a partial line of up to `maxLineLength` bytes.
    let readBuffer: UnsafeMutableBufferPointer<UInt8>
    let headBuffer: UnsafeMutableRawBufferPointer

    /// Creates a follower; nothing happens before `start()`.
    /// - Parameters:
    ///   - patterns: absolute paths whose file name part may be a glob.
    ///   - lines: called on `queue` with each complete line of a file, without
    ///     its newline, and with the path the file was followed as. The bytes
    ///     are valid only during the call, which must not call the follower.
    ///   - events: called on `queue` for each change in a file's state.
    public init(patterns: [String], startAt: Configuration.StartPosition, maxLineLength: Int,
                checkpoints: [FileCheckpoint], queue: DispatchQueue,
                lines: @escaping (_ path: String, _ line: UnsafeBufferPointer<UInt8>, _ isCut: Bool) -> Void,
                events: @escaping (FollowerEvent) -> Void) {
        var valid: [FollowedPattern] = []
        var invalid: [String] = []
        for text in patterns {
            if let pattern = FollowedPattern(text) { valid.append(pattern) } else { invalid.append(text) }
        }
        self.patterns = valid
        self.invalidPatterns = invalid
        self.startAt = startAt
        self.maxLineLength = max(maxLineLength, 1)
        self.queue = queue
        self.deliverLine = lines
        self.report = events
        for checkpoint in checkpoints {
            pendingCheckpoints[checkpoint.path, default: []].append(checkpoint)
        }
        readBuffer = .allocate(capacity: Self.chunkSize + self.maxLineLength + 1)
        headBuffer = .allocate(byteCount: FileFingerprint.maxLength, alignment: 8)
    }

    deinit {
        source?.cancel()
        readBuffer.deallocate()
        headBuffer.deallocate()
    }

    /// Sets up inotify and the watches, opens the matching files and starts
    /// reading them. Throws when inotify cannot be set up; problems with single
    /// files and directories are reported as events instead.
    public func start() throws(SystemError) {
        dispatchPrecondition(condition: .onQueue(queue))
        guard !isRunning else { return }
        let inotify = try Inotify()
        self.inotify = inotify
        isRunning = true

        let source = DispatchSource.makeReadSource(fileDescriptor: inotify.descriptor, queue: queue)
        // The source references the follower weakly, so dropping the follower ends it.
        let reference = WeakFollower(self)
        source.setEventHandler { reference.follower?.handleInotifyEvents() }
        // The descriptor is closed only once the source no longer polls it.
        source.setCancelHandler { inotify.close() }
        self.source = source
        source.resume()

        for pattern in invalidPatterns {
            report(.failed(SystemError("follow", path: pattern, errno: EINVAL,
                                       detail: "invalid pattern: it must end in a file name, and only the file name may contain a glob")))
        }
        isStarting = true
        for index in patterns.indices {
            setUpPattern(index)
        }
        isStarting = false
        readQueuedFiles()
    }

    /// Stops following: cancels the inotify source and closes every file.
    /// Partial lines are not delivered; `checkpoints` taken before this call
    /// resume before them.
    public func stop() {
        dispatchPrecondition(condition: .onQueue(queue))
        guard isRunning else { return }
        isRunning = false
        source?.cancel()
        source = nil
        for entry in paths.values {
            entry.current?.close()
            entry.predecessor?.close()
        }
        fileWatches = [:]
        directoryWatches = [:]
        readQueue = []
    }

    /// Reads every open file to its current end now, for instance before a
    /// final checkpoint.
    public func readAvailable() {
        dispatchPrecondition(condition: .onQueue(queue))
        guard isRunning else { return }
        for entry in paths.values {
            if let predecessor = entry.predecessor { readToEnd(predecessor) }
            if let current = entry.current {
                checkForTruncation(current)
                readToEnd(current)
            }
        }
    }

    /// One checkpoint per open file, a predecessor before the file that
    /// replaced it at its path, followed by the given checkpoints of paths not
    /// opened yet.
    public var checkpoints: [FileCheckpoint] {
        var result: [FileCheckpoint] = []
        for path in paths.keys.sorted() {
            let entry = paths[path]!
            if let predecessor = entry.predecessor, predecessor.isOpen { result.append(predecessor.checkpoint) }
            if let current = entry.current, current.isOpen { result.append(current.checkpoint) }
        }
        for path in pendingCheckpoints.keys.sorted() {
            result.append(contentsOf: pendingCheckpoints[path]!)
        }
        return result
    }

    /// The number of paths whose file is open, rotated predecessors not counted.
    public var followedFileCount: Int {
        paths.values.reduce(0) { $0 + ($1.current?.isOpen == true ? 1 : 0) }
    }

    // MARK: - Events

    func handleInotifyEvents() {
        guard isRunning, let inotify else { return }
        do {
            try inotify.readEvents { event in handle(event) }
            reportedInotifyError = false
        } catch {
            if !reportedInotifyError {
                reportedInotifyError = true
                report(.failed(error))
            }
        }
        readQueuedFiles()
    }

    private func handle(_ event: Inotify.Event) {
        if event.mask.contains(.queueOverflow) {
            rescanEverything()
            return
        }
        if let file = fileWatches[event.watch] {
            handleFileEvent(event, file: file)
        }
        if let indexes = directoryWatches[event.watch] {
            for index in indexes.sorted() {
                handleDirectoryEvent(event, patternIndex: index)
            }
        }
    }

    private func handleFileEvent(_ event: Inotify.Event, file: FollowedFile) {
        if event.mask.contains(.ignored) {
            fileWatches[event.watch] = nil
            file.watch = nil
            return
        }
        if event.mask.contains(.modify) {
            file.mayBeTruncated = true
            queueRead(file)
        }
        guard !event.mask.isDisjoint(with: [.attributes, .moveSelf, .deleteSelf]), file.isOpen else { return }
        if file.isPredecessor {
            if linkCount(of: file) == 0, let entry = paths[file.path], entry.predecessor === file {
                closePredecessor(of: entry)
            }
        } else {
            reconcile(path: file.path)
        }
    }

    private func handleDirectoryEvent(_ event: Inotify.Event, patternIndex index: Int) {
        let pattern = patterns[index]
        if event.mask.contains(.ignored) {
            // The directory is gone; find it again from its ancestors.
            directoryWatches[event.watch] = nil
            if pattern.directoryWatch == event.watch { patterns[index].directoryWatch = nil }
            if pattern.ancestorWatch == event.watch { patterns[index].ancestorWatch = nil }
            setUpPattern(index)
            return
        }

        if pattern.directoryWatch == event.watch {
            if let name = event.name {
                if pattern.matches(name: name) {
                    reconcile(path: pattern.path(of: name))
                }
            } else {
                // The directory itself was moved, deleted or changed permissions.
                setUpPattern(index)
            }
        } else if pattern.ancestorWatch == event.watch {
            if event.name == nil || event.name == pattern.blockingEntry {
                setUpPattern(index)
            }
        }
    }

    /// Recovers from lost events by looking at every directory and file again.
    func rescanEverything() {
        for index in patterns.indices {
            setUpPattern(index)
        }
        for path in paths.keys.sorted() {
            reconcile(path: path)
        }
        for entry in paths.values {
            if let predecessor = entry.predecessor { queueRead(predecessor) }
            if let current = entry.current {
                current.mayBeTruncated = true
                queueRead(current)
            }
        }
    }
}

/// A weak reference to a follower for the closures run on its queue. The
/// follower is confined to that queue, which is what makes this safe to send.
struct WeakFollower: @unchecked Sendable {
    weak var follower: FileFollower?

    init(_ follower: FileFollower) {
        self.follower = follower
    }
}
