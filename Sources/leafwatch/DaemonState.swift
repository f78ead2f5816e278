import LeafwatchCore
import LeafwatchSystem

/// The checkpoint the daemon saves in its state directory: the position
/// where it stopped reading each file, and the detectors' windows, open
/// episodes and users' address history as of exactly those positions. Restoring both
/// together lets a restart go on as if the daemon had never stopped.
struct DaemonState: Codable {
    static let fileName = "daemon.json"
    /// Raised whenever the encoding changes incompatibly; an older or newer
    /// file is then set aside rather than misread.
    static let currentVersion = 1

    var version = DaemonState.currentVersion
    /// Wall-clock time of the save, Unix seconds.
    var savedAt: Int64
    var accessLogs: [FileCheckpoint]
    var errorLogs: [FileCheckpoint]
    var engine: DetectionEngine
    /// The host names that client addresses in `engine` refer to by index.
    var hostNames: HostNameTable
}
