#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// JSON state files in the state directory, written atomically. The data
/// goes to a temporary file in the same directory, is flushed to disk with
/// fsync, and is renamed over the old file. A crash therefore leaves either
/// the old or the new file, never a partial one.
public enum StateFile {
    /// The users' address history.
    public static let userHistory = "users.json"

    /// Reads `directory/name`; nil when the file does not exist.
    public static func read<Value: Decodable>(_ type: Value.Type, directory: String, name: String) throws(SystemError) -> Value? {
        let path = directory + "/" + name
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch let error as CocoaError where error.code == .fileReadNoSuchFile {
            return nil
        } catch {
            throw SystemError("read", path: path, errno: Glibc.errno == 0 ? EIO : Glibc.errno, detail: "\(error.localizedDescription)")
        }
        do {
            return try JSONDecoder().decode(Value.self, from: data)
        } catch {
            throw SystemError("read", path: path, errno: 0, detail: "invalid state file: \(error); move it away to start afresh")
        }
    }

    /// Writes `value` to `directory/name` atomically, creating the directory when missing.
    public static func write<Value: Encodable>(_ value: Value, directory: String, name: String) throws(SystemError) {
        try write(data: encode(value, path: directory + "/" + name), directory: directory, name: name)
    }

    /// Returns `value` as the JSON that `write` stores; `path` names the file in errors.
    public static func encode<Value: Encodable>(_ value: Value, path: String) throws(SystemError) -> Data {
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return try encoder.encode(value)
        } catch {
            throw SystemError("encode", path: path, errno: 0, detail: "\(error)")
        }
    }

    /// Writes encoded state to `directory/name` atomically, creating the directory when missing.
    public static func write(data: Data, directory: String, name: String) throws(SystemError) {
        if mkdir(directory, 0o750) != 0 && errno != EEXIST {
            throw SystemError("create directory", path: directory, errno: errno)
        }
        let path = directory + "/" + name

        let temporary = path + ".tmp"
        let fd = retryingOnInterrupt { open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640) }
        guard fd >= 0 else { throw SystemError("create", path: temporary, errno: errno) }
        var failure: SystemError? = nil
        data.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = retryingOnInterrupt { Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset) }
                if written < 0 {
                    failure = SystemError("write", path: temporary, errno: errno)
                    return
                }
                offset += written
            }
        }
        if failure == nil, fsync(fd) != 0 { failure = SystemError("fsync", path: temporary, errno: errno) }
        close(fd)
        if let failure {
            unlink(temporary)
            throw failure
        }
        guard rename(temporary, path) == 0 else {
            let error = SystemError("rename", path: temporary, errno: errno)
            unlink(temporary)
            throw error
        }
        // The rename itself is durable once the directory is flushed.
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 {
            fsync(directoryFD)
            close(directoryFD)
        }
    }
}
