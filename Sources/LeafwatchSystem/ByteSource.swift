#if canImport(Glibc)
import Glibc
#endif
import CZlib

/// The bytes of a file, decompressed when the file starts with the gzip
/// magic number, whatever its name. `-` is standard input.
struct ByteSource: ~Copyable {
    let path: String
    private let descriptor: Int32
    private let ownsDescriptor: Bool
    private var checkedForGzip = false
    private var gzip: GzipStream?

    init(path: String) throws(SystemError) {
        self.path = path
        if path == "-" {
            descriptor = STDIN_FILENO
            ownsDescriptor = false
            return
        }
        let fd = retryingOnInterrupt { open(path, O_RDONLY | O_CLOEXEC) }
        guard fd >= 0 else { throw SystemError("open", path: path, errno: errno) }
        var status = stat()
        if fstat(fd, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw SystemError("read", path: path, errno: EISDIR)
        }
        descriptor = fd
        ownsDescriptor = true
    }

    deinit {
        if ownsDescriptor { close(descriptor) }
    }

    /// Reads up to `target.count` bytes; returns 0 at the end of the data.
    mutating func read(into target: UnsafeMutableBufferPointer<UInt8>) throws(SystemError) -> Int {
        if let gzip {
            return try gzip.inflate(into: target, descriptor: descriptor)
        }
        let count = try readRaw(into: target)
        if !checkedForGzip {
            checkedForGzip = true
            if count >= 2, target[0] == 0x1F, target[1] == 0x8B {
                let stream = try GzipStream(path: path, initialInput: UnsafeBufferPointer(rebasing: target[0..<count]))
                gzip = stream
                return try stream.inflate(into: target, descriptor: descriptor)
            }
        }
        return count
    }

    private func readRaw(into target: UnsafeMutableBufferPointer<UInt8>) throws(SystemError) -> Int {
        let count = retryingOnInterrupt { Glibc.read(descriptor, target.baseAddress, target.count) }
        guard count >= 0 else { throw SystemError("read", path: path, errno: errno) }
        return count
    }
}

/// zlib inflation of gzip data, including files of several gzip members
/// one after another (as `cat a.gz b.gz` makes).
final class GzipStream {
    private let path: String
    private var stream = z_stream()
    private let input: UnsafeMutableBufferPointer<UInt8>
    private var inputExhausted = false
    private var finished = false

    init(path: String, initialInput: UnsafeBufferPointer<UInt8>) throws(SystemError) {
        self.path = path
        input = .allocate(capacity: max(64 * 1024, initialInput.count))
        _ = input.initialize(fromContentsOf: initialInput)
        // 15 + 32: maximum window, and detect the gzip or zlib header.
        let result = inflateInit2_(&stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard result == Z_OK else {
            input.deallocate()
            throw SystemError("decompress", path: path, errno: 0, detail: "zlib initialization failed (\(result))")
        }
        stream.next_in = input.baseAddress
        stream.avail_in = UInt32(initialInput.count)
    }

    deinit {
        inflateEnd(&stream)
        input.deallocate()
    }

    /// Inflates into `target`, reading more compressed bytes from `descriptor`
    /// as needed. Returns 0 at the end of the data.
    func inflate(into target: UnsafeMutableBufferPointer<UInt8>, descriptor: Int32) throws(SystemError) -> Int {
        guard !finished else { return 0 }
        stream.next_out = target.baseAddress
        stream.avail_out = UInt32(target.count)

        while stream.avail_out > 0 {
            if stream.avail_in == 0 && !inputExhausted {
                try refill(descriptor: descriptor)
            }

            let result = CZlib.inflate(&stream, Z_NO_FLUSH)
            let produced = target.count - Int(stream.avail_out)
            switch result {
            case Z_OK:
                if produced > 0 && stream.avail_in == 0 && inputExhausted { return produced }
            case Z_STREAM_END:
                // Another member may follow.
                if stream.avail_in == 0 && !inputExhausted {
                    try refill(descriptor: descriptor)
                }
                if stream.avail_in == 0 {
                    finished = true
                    return produced
                }
                inflateReset(&stream)
            case Z_BUF_ERROR:
                if stream.avail_in == 0 && inputExhausted {
                    if produced > 0 { return produced }
                    throw SystemError("decompress", path: path, errno: 0, detail: "gzip data ends before its end marker")
                }
            default:
                let message = stream.msg.map { String(cString: $0) } ?? "error \(result)"
                throw SystemError("decompress", path: path, errno: 0, detail: "invalid gzip data: \(message)")
            }
        }
        return target.count
    }

    private func refill(descriptor: Int32) throws(SystemError) {
        let count = retryingOnInterrupt { Glibc.read(descriptor, input.baseAddress, input.count) }
        guard count >= 0 else { throw SystemError("read", path: path, errno: errno) }
        if count == 0 {
            inputExhausted = true
        } else {
            stream.next_in = input.baseAddress
            stream.avail_in = UInt32(count)
        }
    }
}
