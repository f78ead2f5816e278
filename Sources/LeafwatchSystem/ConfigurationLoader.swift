#if canImport(Glibc)
import Glibc
#endif
import LeafwatchCore

/// The configuration and the files it was read from.
public struct LoadedConfiguration: Sendable {
    public var configuration: Configuration
    /// The files read, in the order they apply.
    public var filesRead: [String]
    /// True when the default main file does not exist, so only the built-in
    /// defaults and any drop-ins apply.
    public var mainFileMissing: Bool
}

/// The text of a main configuration file and its drop-ins, as read from disk.
public struct ConfigurationSources: Sendable {
    /// Each readable file's path and text, in the order they apply.
    public var files: [(path: String, text: String)]
    public var mainFileMissing: Bool
    /// Files and folders that could not be read.
    public var errors: [ConfigurationError]
}

/// Reads a main configuration file and the `*.conf` drop-ins in the folder
/// of the same name plus `.d`, then parses them with `ConfigurationParser`.
public enum ConfigurationLoader {
    public static let defaultPath = "/etc/leafwatch/leafwatch.conf"
    /// Files larger than this are rejected, so that a path such as /dev/zero
    /// given by mistake does not fill memory. Real files are a few KiB.
    static let maxFileSize = 4 << 20

    /// Reads and parses the configuration, or throws every read and parse
    /// error found. `path` nil means `defaultPath`, which may be missing, but
    /// a `path` given explicitly must exist.
    public static func load(path: String? = nil) throws(ConfigurationErrors) -> LoadedConfiguration {
        let sources = readSources(path: path)
        var errors = sources.errors
        var configuration = Configuration.defaults
        do {
            configuration = try ConfigurationParser.parse(sources.files)
        } catch {
            errors += error.errors
        }
        guard errors.isEmpty else { throw ConfigurationErrors(errors) }
        return LoadedConfiguration(
            configuration: configuration, filesRead: sources.files.map(\.path), mainFileMissing: sources.mainFileMissing)
    }

    /// Reads the main file, then `PATH.d/*.conf` in lexical byte order.
    /// `path` nil means `defaultPath`, which may be missing.
    public static func readSources(path: String? = nil) -> ConfigurationSources {
        readSources(mainPath: path ?? defaultPath, mustExist: path != nil)
    }

    /// Reads `mainPath`, then `mainPath.d/*.conf` in lexical byte order.
    /// Names starting with a dot and names not ending in `.conf` are skipped,
    /// as the shell glob `*.conf` skips them. A missing `.d` folder is normal,
    /// and so is a missing main file unless `mustExist` is set.
    static func readSources(mainPath: String, mustExist: Bool) -> ConfigurationSources {
        var sources = ConfigurationSources(files: [], mainFileMissing: false, errors: [])

        switch readText(mainPath) {
        case .success(let text):
            sources.files.append((mainPath, text))
        case .failure(let error):
            if !mustExist, error.errno == ENOENT {
                sources.mainFileMissing = true
            } else if error.errno == ENOENT {
                sources.errors.append(ConfigurationError(path: mainPath, line: nil, message: "configuration file not found"))
            } else {
                sources.errors.append(error.configurationError)
            }
        }

        let folder = mainPath + ".d"
        switch listDropIns(folder) {
        case .success(let names):
            for name in names {
                let file = folder + "/" + name
                switch readText(file) {
                case .success(let text): sources.files.append((file, text))
                case .failure(let error): sources.errors.append(error.configurationError)
                }
            }
        case .failure(let error):
            if error.errno != ENOENT { sources.errors.append(error.configurationError) }
        }
        return sources
    }

    /// A failed read, kept with its errno so that callers can tell a missing file apart.
    struct ReadError: Error {
        var path: String
        var operation: String
        var errno: Int32
        var detail: String? = nil

        var configurationError: ConfigurationError {
            let reason = detail ?? String(cString: strerror(errno))
            return ConfigurationError(path: path, line: nil, message: "failed to \(operation): \(reason)")
        }
    }

    /// Reads a whole file as UTF-8 text.
    static func readText(_ path: String) -> Result<String, ReadError> {
        let descriptor = retryingOnInterrupt { open(path, O_RDONLY | O_CLOEXEC) }
        guard descriptor >= 0 else { return .failure(ReadError(path: path, operation: "open", errno: errno)) }
        defer { close(descriptor) }

        var status = stat()
        if fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR {
            return .failure(ReadError(path: path, operation: "read", errno: EISDIR))
        }

        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { raw in
                retryingOnInterrupt { read(descriptor, raw.baseAddress, raw.count) }
            }
            if count < 0 { return .failure(ReadError(path: path, operation: "read", errno: errno)) }
            if count == 0 { break }
            bytes += buffer[0..<count]
            if bytes.count > maxFileSize {
                return .failure(ReadError(path: path, operation: "read", errno: EFBIG, detail: "the file is larger than 4 MiB"))
            }
        }

        guard let text = String(validating: bytes, as: UTF8.self) else {
            let line = firstInvalidLine(bytes)
            return .failure(ReadError(
                path: path, operation: "read", errno: EILSEQ,
                detail: "line \(line) is not valid UTF-8; save the file as UTF-8"))
        }
        return .success(text)
    }

    /// Returns the 1-based number of the first line that is not valid UTF-8.
    static func firstInvalidLine(_ bytes: [UInt8]) -> Int {
        for (index, line) in bytes.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated()
        where String(validating: line, as: UTF8.self) == nil {
            return index + 1
        }
        return 1
    }

    /// Returns the names in `folder` that end in `.conf` and do not start with a dot, in byte order.
    static func listDropIns(_ folder: String) -> Result<[String], ReadError> {
        guard let directory = opendir(folder) else {
            return .failure(ReadError(path: folder, operation: "list the drop-in folder", errno: errno))
        }
        defer { closedir(directory) }

        var names: [String] = []
        while true {
            errno = 0
            guard let entry = readdir(directory) else {
                if errno != 0 { return .failure(ReadError(path: folder, operation: "list the drop-in folder", errno: errno)) }
                break
            }
            let name = withUnsafePointer(to: entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: entry.pointee.d_name)) {
                    String(cString: $0)
                }
            }
            if name.hasPrefix(".") || !name.hasSuffix(".conf") { continue }
            names.append(name)
        }
        return .success(names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
    }
}
