#if canImport(Glibc)
import Glibc
#endif

/// A failed system call or library call on a file, with the path and errno.
public struct SystemError: Error, Sendable, CustomStringConvertible {
    public var operation: String
    public var path: String
    public var errno: Int32
    /// Text for failures that errno does not describe, such as corrupt gzip data.
    public var detail: String?

    public init(_ operation: String, path: String, errno: Int32, detail: String? = nil) {
        self.operation = operation
        self.path = path
        self.errno = errno
        self.detail = detail
    }

    /// True when the file is missing or cannot be read for lack of permission.
    public var isUnavailableInput: Bool {
        errno == ENOENT || errno == EACCES || errno == ENOTDIR || errno == EISDIR || errno == EPERM
    }

    public var description: String {
        let reason = detail ?? String(cString: strerror(errno))
        return "failed to \(operation) '\(path)': \(reason)"
    }
}

/// Runs a system call again while it fails with EINTR.
@inline(__always)
func retryingOnInterrupt<T: BinaryInteger>(_ call: () -> T) -> T {
    while true {
        let result = call()
        if result == -1 && errno == EINTR { continue }
        return result
    }
}
