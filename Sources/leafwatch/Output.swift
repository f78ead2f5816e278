#if canImport(Glibc)
import Glibc
#endif

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
