#if canImport(Glibc)
import Glibc
#endif

/// The position reached in one followed file, saved so that a restart
/// resumes there. `offset` never includes a partial last line, so a restart
/// reads such a line again in full.
public struct FileCheckpoint: Codable, Sendable, Equatable {
    /// The path the file had when it was followed; a rotated file keeps the
    /// path of the file it used to be.
    public var path: String
    public var device: UInt64
    public var inode: UInt64
    /// FNV-1a hash of the first `fingerprintLength` bytes of the file.
    public var fingerprint: UInt64
    /// Bytes hashed into `fingerprint`, at most `FileFingerprint.maxLength`.
    public var fingerprintLength: Int
    /// Byte offset just after the last complete line delivered.
    public var offset: Int64

    public init(path: String, device: UInt64, inode: UInt64, fingerprint: UInt64, fingerprintLength: Int, offset: Int64) {
        self.path = path
        self.device = device
        self.inode = inode
        self.fingerprint = fingerprint
        self.fingerprintLength = fingerprintLength
        self.offset = offset
    }

    var identity: FileIdentity {
        FileIdentity(device: device, inode: inode)
    }

    var headFingerprint: FileFingerprint {
        FileFingerprint(hash: fingerprint, length: fingerprintLength)
    }
}

/// The device and inode numbers that identify a file whatever its name.
struct FileIdentity: Hashable, Sendable {
    var device: UInt64
    var inode: UInt64

    init(device: UInt64, inode: UInt64) {
        self.device = device
        self.inode = inode
    }

    init(_ status: stat) {
        device = UInt64(status.st_dev)
        inode = UInt64(status.st_ino)
    }
}

/// A hash of a file's first bytes (up to `maxLength`). A file truncated and
/// written again has a different head, because log lines start with
/// different times and addresses, even when it has grown past the old offset.
///
/// NOTE: a file truncated and rewritten with the same first bytes keeps its
/// fingerprint, so that truncation goes unnoticed when the file also regrew
/// past the old offset.
struct FileFingerprint: Equatable, Sendable {
    static let maxLength = 1024
    /// The fingerprint of an empty file, which every head matches.
    static let empty = FileFingerprint(hash: 0xCBF2_9CE4_8422_2325, length: 0)

    var hash: UInt64
    var length: Int

    init(hash: UInt64, length: Int) {
        self.hash = hash
        self.length = length
    }

    /// Hashes all of `bytes` with 64-bit FNV-1a, which is stable across
    /// processes and versions (unlike Swift's `Hasher`).
    init(_ bytes: UnsafeRawBufferPointer) {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        self.hash = hash
        self.length = bytes.count
    }

    /// True when `head`, the first bytes of a file, starts with the bytes this
    /// fingerprint was made from.
    func matches(head: UnsafeRawBufferPointer) -> Bool {
        guard head.count >= length else { return false }
        return FileFingerprint(UnsafeRawBufferPointer(rebasing: head[0..<length])) == self
    }
}
