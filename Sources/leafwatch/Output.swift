#if canImport(Glibc)
import Glibc
#endif
import LeafwatchSystem

/// Writes text to standard output.
func printOut(_ text: String) {
    writeAll(STDOUT_FILENO, text)
}

/// Writes bytes to standard output.
func printOut(_ bytes: [UInt8]) {
    bytes.withUnsafeBufferPointer { writeAll(STDOUT_FILENO, $0) }
}

/// Writes one diagnostic line to standard error, prefixed with the program name.
func printError(_ message: String) {
    writeAll(STDERR_FILENO, "leafwatch: \(message)\n")
}

/// Writes every byte of `text`, retrying short writes and EINTR. A failed
/// write (a closed pipe) is dropped: there is nowhere left to report it.
private func writeAll(_ descriptor: Int32, _ text: String) {
    var copy = text
    copy.withUTF8 { writeAll(descriptor, $0) }
}

private func writeAll(_ descriptor: Int32, _ bytes: UnsafeBufferPointer<UInt8>) {
    var offset = 0
    while offset < bytes.count {
        let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
        if written < 0 {
            if errno == EINTR { continue }
            return
        }
        offset += written
    }
}

/// Writes a command's output to a file named on the command line.
enum OutputFile {
    /// Creates or truncates `path` (mode 0644 before the umask) and writes `bytes` to it.
    static func write(_ bytes: [UInt8], to path: String) throws(SystemError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw SystemError("create", path: path, errno: errno) }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { raw in
                Glibc.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                let code = errno
                close(descriptor)
                throw SystemError("write", path: path, errno: code)
            }
            offset += written
        }
        guard close(descriptor) == 0 else { throw SystemError("write", path: path, errno: errno) }
    }
}
