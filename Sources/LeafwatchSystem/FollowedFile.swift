#if canImport(Glibc)
import Glibc
#endif

/// One open file that a `FileFollower` reads: the file now at a followed
/// path, or its rotated predecessor.
///
/// Bytes between `lineOffset` and `readOffset` are a partial last line kept in
/// `pending`, or, while `isSkippingCutLine` is set, the discarded rest of a
/// line that was too long.
final class FollowedFile {
    /// The path the file was followed as; a rotated predecessor keeps it.
    let path: String
    let identity: FileIdentity
    private(set) var descriptor: Int32
    var watch: Int32?
    /// The offset of the next byte to read.
    var readOffset: Int64
    /// The offset just after the last complete line; the checkpoint offset.
    var lineOffset: Int64
    var fingerprint: FileFingerprint
    var pending: [UInt8] = []
    var isSkippingCutLine = false
    /// The file was rotated away from `path` and is read only for late writes.
    var isPredecessor = false
    /// An event arrived after which the file may have been truncated.
    var mayBeTruncated = false
    var isQueuedForRead = false
    /// The errno of the last read failure reported, so it is reported once.
    var reportedReadError: Int32?

    init(path: String, identity: FileIdentity, descriptor: Int32, offset: Int64, fingerprint: FileFingerprint) {
        self.path = path
        self.identity = identity
        self.descriptor = descriptor
        self.readOffset = offset
        self.lineOffset = offset
        self.fingerprint = fingerprint
    }

    deinit {
        if descriptor >= 0 { Glibc.close(descriptor) }
    }

    var isOpen: Bool { descriptor >= 0 }

    var checkpoint: FileCheckpoint {
        FileCheckpoint(path: path, device: identity.device, inode: identity.inode,
                       fingerprint: fingerprint.hash, fingerprintLength: fingerprint.length, offset: lineOffset)
    }

    func close() {
        guard descriptor >= 0 else { return }
        Glibc.close(descriptor)
        descriptor = -1
    }

    /// Forgets everything read, so that reading starts again at `offset`.
    func restart(at offset: Int64, fingerprint: FileFingerprint) {
        readOffset = offset
        lineOffset = offset
        self.fingerprint = fingerprint
        pending.removeAll()
        isSkippingCutLine = false
    }

    /// Splits `buffer[0..<end]`, whose last byte is at `readOffset - 1`, into
    /// lines and hands each complete one to `deliver`. A line longer than
    /// `maxLineLength` is handed out cut to that length; the rest of it up to its
    /// newline is skipped. Returns the start of the partial last line, which the
    /// caller keeps.
    func splitLines(_ buffer: UnsafeMutablePointer<UInt8>, end: Int, maxLineLength: Int,
                    deliver: (_ line: UnsafeBufferPointer<UInt8>, _ fullLength: Int) -> Void) -> Int {
        var start = 0
        while start < end, let found = memchr(buffer + start, 0x0A, end - start) {
            let newline = buffer.distance(to: found.assumingMemoryBound(to: UInt8.self))
            if isSkippingCutLine {
                isSkippingCutLine = false
            } else {
                let length = newline - start
                deliver(UnsafeBufferPointer(start: buffer + start, count: min(length, maxLineLength)), length)
            }
            start = newline + 1
        }
        if start > 0 {
            lineOffset = readOffset - Int64(end - start)
        }

        if isSkippingCutLine {
            return end
        }
        if end - start > maxLineLength {
            deliver(UnsafeBufferPointer(start: buffer + start, count: maxLineLength), end - start)
            isSkippingCutLine = true
            return end
        }
        return start
    }
}
