#if canImport(Glibc)
import Glibc
#endif

/// Finding the files that match the patterns: directory watches, missing
/// directories, and opening the file at a path.
extension FileFollower {
    /// Watches the pattern's directory and looks at the files in it that
    /// match. When the directory is missing or cannot be watched, watches its
    /// nearest watchable ancestor instead, until the entry in the way appears or
    /// changes permissions.
    func setUpPattern(_ index: Int) {
        guard let inotify else { return }
        let directory = patterns[index].directory

        do throws(SystemError) {
            let watch = try inotify.addWatch(path: directory, mask: Self.directoryEvents)
            attach(index, to: watch, asAncestor: false)
        } catch where error.errno == ENOENT || error.errno == ENOTDIR || error.errno == EACCES {
            waitForAncestor(index, missing: error)
            return
        } catch {
            reportUnavailable(index, .failed(error))
            return
        }

        let found = scanDirectory(index)
        if found == 0 {
            reportUnavailable(index, .missing(pattern: patterns[index].pattern))
        }
        resolveCheckpointsOfMissingFiles(in: index)
    }

    private func waitForAncestor(_ index: Int, missing: SystemError) {
        guard let inotify else { return }
        var blocked = patterns[index].directory
        while true {
            let parent = parentDirectory(of: blocked)
            if parent == blocked { break }
            do throws(SystemError) {
                let watch = try inotify.addWatch(path: parent, mask: Self.directoryEvents)
                attach(index, to: watch, asAncestor: true)
                patterns[index].blockingEntry = lastComponent(of: blocked)
                break
            } catch where error.errno == ENOENT || error.errno == ENOTDIR || error.errno == EACCES {
                blocked = parent
            } catch {
                reportUnavailable(index, .failed(error))
                return
            }
        }
        // Files open in a directory that went away are now rotated or deleted.
        for path in paths.keys.sorted() where paths[path]!.patternIndex == index {
            reconcile(path: path)
        }
        if missing.errno == EACCES {
            reportUnavailable(index, .unreadable(path: missing.path, errno: EACCES))
        } else {
            reportUnavailable(index, .missing(pattern: patterns[index].pattern))
        }
    }

    /// Records that `watch` serves the pattern, as the watch on its directory
    /// or on an ancestor, and drops the watch it replaces.
    private func attach(_ index: Int, to watch: Int32, asAncestor: Bool) {
        let previous = asAncestor ? patterns[index].ancestorWatch : patterns[index].directoryWatch
        let other = asAncestor ? patterns[index].directoryWatch : patterns[index].ancestorWatch
        if asAncestor {
            patterns[index].ancestorWatch = watch
            patterns[index].directoryWatch = nil
        } else {
            patterns[index].directoryWatch = watch
            patterns[index].ancestorWatch = nil
            patterns[index].blockingEntry = nil
        }
        directoryWatches[watch, default: []].insert(index)
        for old in [previous, other] {
            if let old, old != watch { detach(index, from: old) }
        }
    }

    private func detach(_ index: Int, from watch: Int32) {
        guard var indexes = directoryWatches[watch] else { return }
        indexes.remove(index)
        if indexes.isEmpty {
            directoryWatches[watch] = nil
            inotify?.removeWatch(watch)
        } else {
            directoryWatches[watch] = indexes
        }
    }

    /// Looks at every file in the pattern's directory that matches, and
    /// returns how many exist.
    private func scanDirectory(_ index: Int) -> Int {
        let pattern = patterns[index]
        var names: [String] = []
        if pattern.isGlob {
            guard let stream = opendir(pattern.directory) else {
                reportUnavailable(index, .unreadable(path: pattern.directory, errno: errno))
                return 0
            }
            while let entry = readdir(stream) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                    String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
                }
                if name != "." && name != ".." && pattern.matches(name: name) {
                    names.append(name)
                }
            }
            closedir(stream)
            names.sort()
        } else {
            names = [pattern.name]
        }

        var found = 0
        for name in names {
            let path = pattern.path(of: name)
            reconcile(path: path)
            if let entry = paths[path], entry.current != nil || entry.reportedOpenError != nil {
                found += 1
            }
        }
        return found
    }

    /// Reports `.missing` or `.unreadable` for a pattern once, until a file of
    /// the pattern is opened.
    private func reportUnavailable(_ index: Int, _ event: FollowerEvent) {
        guard !patterns[index].reportedUnavailable else { return }
        patterns[index].reportedUnavailable = true
        report(event)
    }

    /// Brings the state of `path` in line with the file now at it: reads the
    /// same file, retires a file that was rotated or deleted, opens a new one.
    func reconcile(path: String) {
        guard isRunning else { return }
        guard let entry = entry(for: path) else { return }

        var status = stat()
        guard stat(path, &status) == 0 else {
            let code = errno
            if let current = entry.current { retire(current, of: entry) }
            if code == ENOENT || code == ENOTDIR {
                entry.reportedOpenError = nil
                resolveCheckpointsOfMissingFile(path)
            } else {
                reportOpenError(SystemError("stat", path: path, errno: code), entry: entry)
            }
            return
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else { return }
        let identity = FileIdentity(status)

        if let current = entry.current {
            if current.identity == identity {
                queueRead(current)
                return
            }
            retire(current, of: entry)
        }
        if isOpen(identity) {
            // Already followed under another path: a predecessor renamed back,
            // or a rotated name that also matches a glob.
            return
        }
        if isStarting && entry.initialEnd == nil {
            entry.initialEnd = (identity, Int64(status.st_size))
        }
        open(entry)
    }

    /// Returns the state of `path`, creating it when the path matches a pattern.
    private func entry(for path: String) -> FollowedPath? {
        if let entry = paths[path] { return entry }
        let directory = parentDirectory(of: path)
        let name = lastComponent(of: path)
        guard let index = patterns.firstIndex(where: { $0.directory == directory && $0.matches(name: name) }) else {
            return nil
        }
        let entry = FollowedPath(path: path, patternIndex: index)
        paths[path] = entry
        return entry
    }

    /// Opens the file at the path and decides where reading starts: at the
    /// path's checkpoint, at `startAt` for a file found at start, or at the
    /// beginning for a file that appeared later.
    private func open(_ entry: FollowedPath) {
        let path = entry.path
        let fd = retryingOnInterrupt { Glibc.open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK) }
        guard fd >= 0 else {
            let code = errno
            if code != ENOENT { reportOpenError(SystemError("open", path: path, errno: code), entry: entry) }
            return
        }
        var status = stat()
        guard fstat(fd, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            return
        }
        let identity = FileIdentity(status)
        let size = Int64(status.st_size)
        entry.reportedOpenError = nil
        patterns[entry.patternIndex].reportedUnavailable = false

        // Where to start.
        var offset: Int64 = 0
        var truncatedFrom: Int64? = nil
        var startsInsideLongLine = false
        if let checkpoints = pendingCheckpoints.removeValue(forKey: path) {
            (offset, truncatedFrom) = applyCheckpoints(checkpoints, to: entry, descriptor: fd, identity: identity, size: size)
        } else if let initialEnd = entry.initialEnd, initialEnd.identity == identity, startAt == .end {
            (offset, startsInsideLongLine) = startOfLastLine(descriptor: fd, end: min(initialEnd.size, size))
        }
        entry.initialEnd = nil

        let file = FollowedFile(path: path, identity: identity, descriptor: fd, offset: offset,
                                fingerprint: readFingerprint(descriptor: fd, path: path))
        file.isSkippingCutLine = startsInsideLongLine
        entry.current = file
        addWatch(file)
        if let truncatedFrom {
            report(.truncated(path: path, previousOffset: truncatedFrom))
        }
        report(.opened(path: path, offset: offset))
        queueRead(file)
    }

    /// Watches the open file itself, through its descriptor so that the watch
    /// is on the inode that was opened even when the path changed meanwhile.
    func addWatch(_ file: FollowedFile) {
        guard let inotify else { return }
        do throws(SystemError) {
            let watch = try inotify.addWatch(path: "/proc/self/fd/\(file.descriptor)", mask: Self.fileEvents)
            file.watch = watch
            fileWatches[watch] = file
        } catch {
            report(.failed(SystemError("watch", path: file.path, errno: error.errno)))
        }
    }

    func removeWatch(_ file: FollowedFile) {
        guard let watch = file.watch else { return }
        file.watch = nil
        if fileWatches[watch] === file {
            fileWatches[watch] = nil
            inotify?.removeWatch(watch)
        }
    }

    private func reportOpenError(_ error: SystemError, entry: FollowedPath) {
        guard entry.reportedOpenError != error.errno else { return }
        entry.reportedOpenError = error.errno
        if error.errno == EACCES || error.errno == EPERM {
            report(.unreadable(path: entry.path, errno: error.errno))
        } else {
            report(.failed(error))
        }
    }
}

func parentDirectory(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    if slash == path.startIndex { return "/" }
    return String(path[..<slash])
}

func lastComponent(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return path }
    return String(path[path.index(after: slash)...])
}
