#if canImport(Glibc)
import Glibc
#endif

/// Resuming from checkpoints: finding rotated predecessors and truncated
/// files' copies among the rotated names, and where a file starts without a
/// checkpoint.
extension FileFollower {
    /// Suffixes of compressed rotated files, which are not read.
    static let compressedSuffixes = [".gz", ".bz2", ".xz", ".zst", ".lz4", ".lzma", ".Z", ".zip", ".br"]

    /// Applies the checkpoints of `entry`'s path now that the file at the path
    /// is open: reads the rotated predecessors to their end first, then returns
    /// where the open file starts, and the checkpoint offset when the file was
    /// truncated since.
    func applyCheckpoints(_ checkpoints: [FileCheckpoint], to entry: FollowedPath, descriptor: Int32,
                          identity: FileIdentity, size: Int64) -> (offset: Int64, truncatedFrom: Int64?) {
        let currentIndex = checkpoints.lastIndex { $0.identity == identity }
        for (index, checkpoint) in checkpoints.enumerated() where index != currentIndex {
            // The last checkpoint is of the file that was at the path at the stop.
            let wasCurrent = currentIndex == nil && index == checkpoints.count - 1
            resumePredecessor(checkpoint, of: entry, reportingLoss: wasCurrent)
        }
        guard let currentIndex else { return (0, nil) }

        let checkpoint = checkpoints[currentIndex]
        if size >= checkpoint.offset, let head = readHead(descriptor: descriptor),
           checkpoint.headFingerprint.matches(head: head) {
            return (checkpoint.offset, nil)
        }
        recoverFromRotatedCopy(path: entry.path, fingerprint: checkpoint.headFingerprint, offset: checkpoint.offset,
                               excluding: identity)
        return (0, checkpoint.offset)
    }

    /// Applies the checkpoints of the pattern's paths that do not exist now.
    func resolveCheckpointsOfMissingFiles(in index: Int) {
        let pattern = patterns[index]
        for path in pendingCheckpoints.keys.sorted()
        where parentDirectory(of: path) == pattern.directory && pattern.matches(name: lastComponent(of: path)) {
            reconcile(path: path)
        }
    }

    /// Applies the checkpoints of a path with no file: the files they name
    /// were rotated, and are read to their end when found. The checkpoints
    /// wait while the directory itself is missing.
    func resolveCheckpointsOfMissingFile(_ path: String) {
        guard let checkpoints = pendingCheckpoints[path], let entry = paths[path] else { return }
        var status = stat()
        guard stat(parentDirectory(of: path), &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR else { return }
        pendingCheckpoints[path] = nil
        for (index, checkpoint) in checkpoints.enumerated() {
            resumePredecessor(checkpoint, of: entry, reportingLoss: index == checkpoints.count - 1)
        }
    }

    /// Finds the file of `checkpoint` among the rotated names of the path, by
    /// device, inode and head, and reads it from the checkpoint to its end. It
    /// stays open as the path's predecessor.
    private func resumePredecessor(_ checkpoint: FileCheckpoint, of entry: FollowedPath, reportingLoss: Bool) {
        for candidate in rotatedPaths(of: entry.path) {
            var status = stat()
            guard stat(candidate, &status) == 0, FileIdentity(status) == checkpoint.identity else { continue }
            guard let (fd, size) = openMatching(candidate, fingerprint: checkpoint.headFingerprint,
                                                minimumSize: checkpoint.offset, identity: checkpoint.identity) else {
                continue
            }

            let file = FollowedFile(path: entry.path, identity: checkpoint.identity, descriptor: fd,
                                    offset: checkpoint.offset, fingerprint: checkpoint.headFingerprint)
            file.isPredecessor = true
            if entry.predecessor != nil {
                closePredecessor(of: entry)
            }
            entry.predecessor = file
            addWatch(file)
            readToEnd(file)
            if size > checkpoint.offset {
                report(.resumedPredecessor(path: entry.path, predecessor: candidate))
            }
            return
        }

        if reportingLoss {
            report(.failed(SystemError(
                "resume", path: entry.path, errno: ENOENT,
                detail: "the file followed before the stop (device \(checkpoint.device), inode \(checkpoint.inode)) "
                    + "is neither at this path nor among its uncompressed rotated names, "
                    + "so lines written to it after byte \(checkpoint.offset) are not read")))
        }
    }

    /// Reads the lines from `offset` to the end of a rotated copy of a
    /// truncated file, found by its head. logrotate's `copytruncate` leaves such
    /// a copy. The copy's partial last line is not delivered, because the
    /// truncation cut it.
    func recoverFromRotatedCopy(path: String, fingerprint: FileFingerprint, offset: Int64, excluding identity: FileIdentity) {
        // An empty head matches every file.
        guard fingerprint.length > 0 else { return }
        for candidate in rotatedPaths(of: path) {
            var status = stat()
            guard stat(candidate, &status) == 0 else { continue }
            let candidateIdentity = FileIdentity(status)
            guard candidateIdentity != identity, !isOpen(candidateIdentity) else { continue }
            guard let (fd, _) = openMatching(candidate, fingerprint: fingerprint, minimumSize: offset,
                                             identity: candidateIdentity) else {
                continue
            }
            let copy = FollowedFile(path: path, identity: candidateIdentity, descriptor: fd, offset: offset,
                                    fingerprint: fingerprint)
            readToEnd(copy)
            copy.close()
            return
        }
    }

    /// Opens `path` when it is still the file `identity`, at least
    /// `minimumSize` bytes long, and its head matches `fingerprint`.
    private func openMatching(_ path: String, fingerprint: FileFingerprint, minimumSize: Int64,
                              identity: FileIdentity) -> (descriptor: Int32, size: Int64)? {
        let fd = retryingOnInterrupt { Glibc.open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK) }
        guard fd >= 0 else { return nil }
        var status = stat()
        guard fstat(fd, &status) == 0, FileIdentity(status) == identity, Int64(status.st_size) >= minimumSize,
              let head = readHead(descriptor: fd), fingerprint.matches(head: head) else {
            close(fd)
            return nil
        }
        return (fd, Int64(status.st_size))
    }

    func isOpen(_ identity: FileIdentity) -> Bool {
        paths.values.contains { $0.current?.identity == identity || $0.predecessor?.identity == identity }
    }

    /// Returns the paths in the same directory whose names start with the
    /// file's name and are longer, compressed ones excluded, in byte order.
    func rotatedPaths(of path: String) -> [String] {
        let directory = parentDirectory(of: path)
        let base = lastComponent(of: path)
        guard let stream = opendir(directory) else { return [] }
        var result: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard name.utf8.count > base.utf8.count, name.hasPrefix(base),
                  !Self.compressedSuffixes.contains(where: { name.hasSuffix($0) }) else { continue }
            result.append(directory == "/" ? "/" + name : directory + "/" + name)
        }
        closedir(stream)
        return result.sorted()
    }

    /// Returns the start of the line that contains byte `end - 1`, for
    /// starting at the end of a file without cutting a partial last line. When
    /// that line is longer than `maxLineLength`, returns `end` and true, and the
    /// rest of the line is to be skipped.
    func startOfLastLine(descriptor: Int32, end: Int64) -> (offset: Int64, isInsideLongLine: Bool) {
        guard end > 0 else { return (0, false) }
        let window = Int(min(end, Int64(maxLineLength) + 1))
        let windowStart = end - Int64(window)
        let base = readBuffer.baseAddress!
        var total = 0
        while total < window {
            let count = retryingOnInterrupt { pread(descriptor, base + total, window - total, off_t(windowStart) + off_t(total)) }
            if count <= 0 { break }
            total += count
        }
        guard total == window else { return (end, false) }

        var index = window - 1
        while index >= 0 {
            if base[index] == 0x0A {
                return (windowStart + Int64(index) + 1, false)
            }
            index -= 1
        }
        return windowStart == 0 ? (0, false) : (end, true)
    }
}
