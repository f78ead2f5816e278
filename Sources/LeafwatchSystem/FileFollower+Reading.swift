#if canImport(Glibc)
import Glibc
#endif

/// Reading open files into lines, and the end of a file's life: rotation,
/// truncation and deletion.
extension FileFollower {
    func queueRead(_ file: FollowedFile) {
        guard file.isOpen, !file.isQueuedForRead else { return }
        file.isQueuedForRead = true
        readQueue.append(file)
    }

    /// Reads each queued file, up to `bytesPerTurn` bytes. Files with more to
    /// read are read further in a block queued on `queue`, so that a large
    /// backlog does not hold up the other work there.
    func readQueuedFiles() {
        guard isRunning else { return }
        let files = readQueue
        readQueue = []
        for file in files {
            file.isQueuedForRead = false
            guard file.isOpen else { continue }
            if file.mayBeTruncated && !file.isPredecessor {
                checkForTruncation(file)
            }
            if !readLines(of: file, byteLimit: Self.bytesPerTurn) {
                queueRead(file)
            }
        }

        guard !readQueue.isEmpty, !isContinuationScheduled else { return }
        isContinuationScheduled = true
        let reference = WeakFollower(self)
        queue.async {
            guard let follower = reference.follower else { return }
            follower.isContinuationScheduled = false
            follower.readQueuedFiles()
        }
    }

    func readToEnd(_ file: FollowedFile) {
        _ = readLines(of: file, byteLimit: .max)
    }

    /// Reads `file` from its read offset and delivers its complete lines.
    /// Returns true at the end of the file, false when `byteLimit` bytes were
    /// read first.
    func readLines(of file: FollowedFile, byteLimit: Int64) -> Bool {
        guard file.isOpen else { return true }
        let base = readBuffer.baseAddress!
        var end = file.pending.count
        if end > 0 {
            file.pending.withUnsafeBufferPointer { pending in
                base.update(from: pending.baseAddress!, count: end)
            }
            file.pending.removeAll(keepingCapacity: true)
        }

        var bytesRead: Int64 = 0
        var reachedEnd = false
        while bytesRead < byteLimit {
            let count = retryingOnInterrupt {
                pread(file.descriptor, base + end, readBuffer.count - end, off_t(file.readOffset))
            }
            if count < 0 {
                let code = errno
                if file.reportedReadError != code {
                    file.reportedReadError = code
                    report(.failed(SystemError("read", path: file.path, errno: code)))
                }
                reachedEnd = true
                break
            }
            file.reportedReadError = nil
            if count == 0 {
                reachedEnd = true
                break
            }
            file.readOffset += Int64(count)
            bytesRead += Int64(count)
            end += count

            let partialStart = file.splitLines(base, end: end, maxLineLength: maxLineLength) { line, fullLength in
                deliver(line, fullLength: fullLength, of: file)
            }
            if partialStart > 0 {
                if partialStart < end {
                    base.update(from: base + partialStart, count: end - partialStart)
                }
                end -= partialStart
            }
        }

        if end > 0 {
            file.pending.append(contentsOf: UnsafeBufferPointer(start: base, count: end))
        }
        return reachedEnd
    }

    private func deliver(_ line: UnsafeBufferPointer<UInt8>, fullLength: Int, of file: FollowedFile) {
        let isCut = fullLength > maxLineLength
        deliverLine(file.path, line, isCut)
        if isCut {
            report(.lineCut(path: file.path, length: fullLength))
        }
    }

    /// Delivers the partial last line of a file that will not grow any more.
    private func deliverPartialLine(_ file: FollowedFile) {
        if !file.pending.isEmpty && !file.isSkippingCutLine {
            file.pending.withUnsafeBufferPointer { line in
                deliver(line, fullLength: line.count, of: file)
            }
        }
        file.pending.removeAll()
        file.isSkippingCutLine = false
        file.lineOffset = file.readOffset
    }

    // MARK: - Truncation

    /// Checks whether the file became shorter than the offset read or its head
    /// changed. If so, reads the missed lines from a rotated copy when there is
    /// one, and starts reading the file again from its start.
    func checkForTruncation(_ file: FollowedFile) {
        file.mayBeTruncated = false
        guard file.isOpen else { return }
        var status = stat()
        guard fstat(file.descriptor, &status) == 0 else { return }
        let size = Int64(status.st_size)
        guard let head = readHead(descriptor: file.descriptor) else { return }

        if size >= file.readOffset && file.fingerprint.matches(head: head) {
            if head.count > file.fingerprint.length {
                file.fingerprint = FileFingerprint(head)
            }
            return
        }

        let previousOffset = file.lineOffset
        recoverFromRotatedCopy(path: file.path, fingerprint: file.fingerprint, offset: previousOffset,
                               excluding: file.identity)
        file.restart(at: 0, fingerprint: readFingerprint(descriptor: file.descriptor, path: file.path))
        report(.truncated(path: file.path, previousOffset: previousOffset))
    }

    /// Reads up to `FileFingerprint.maxLength` bytes from the start of the
    /// file into `headBuffer`. The bytes are valid until the next call.
    func readHead(descriptor: Int32) -> UnsafeRawBufferPointer? {
        var total = 0
        while total < headBuffer.count {
            let count = retryingOnInterrupt {
                pread(descriptor, headBuffer.baseAddress! + total, headBuffer.count - total, off_t(total))
            }
            if count < 0 { return nil }
            if count == 0 { break }
            total += count
        }
        return UnsafeRawBufferPointer(rebasing: headBuffer[0..<total])
    }

    func readFingerprint(descriptor: Int32, path: String) -> FileFingerprint {
        guard let head = readHead(descriptor: descriptor) else {
            report(.failed(SystemError("read", path: path, errno: errno)))
            return .empty
        }
        return FileFingerprint(head)
    }

    // MARK: - Rotation and deletion

    /// Reads the current file of `entry`, which is no longer at its path, to
    /// its end. A deleted file is then closed; a renamed one becomes the path's
    /// predecessor.
    func retire(_ file: FollowedFile, of entry: FollowedPath) {
        entry.current = nil
        readToEnd(file)
        if linkCount(of: file) == 0 {
            finish(file)
            report(.deleted(path: entry.path))
        } else {
            if entry.predecessor != nil {
                closePredecessor(of: entry)
            }
            file.isPredecessor = true
            entry.predecessor = file
            report(.rotated(path: entry.path))
        }
    }

    func closePredecessor(of entry: FollowedPath) {
        guard let file = entry.predecessor else { return }
        entry.predecessor = nil
        readToEnd(file)
        finish(file)
    }

    private func finish(_ file: FollowedFile) {
        deliverPartialLine(file)
        removeWatch(file)
        file.close()
    }

    func linkCount(of file: FollowedFile) -> Int {
        var status = stat()
        guard file.isOpen, fstat(file.descriptor, &status) == 0 else { return 1 }
        return Int(status.st_nlink)
    }
}
