#if canImport(Glibc)
import Glibc
#endif

/// A configured path to follow: a fixed directory and a file name that may be
/// a glob (`*`, `?`, `[...]`, matched with fnmatch(3)).
struct FollowedPattern {
    let pattern: String
    let directory: String
    let name: String
    let isGlob: Bool

    /// The watch on `directory` once it exists and can be watched.
    var directoryWatch: Int32?
    /// While `directory` is missing or cannot be watched: the watch on its
    /// nearest watchable ancestor, and the entry of that ancestor that blocks
    /// the way (missing, or without permission).
    var ancestorWatch: Int32?
    var blockingEntry: String?
    /// `.missing` or `.unreadable` was reported and nothing was opened since.
    var reportedUnavailable = false

    /// Splits `pattern` at its last `/`. Returns nil when the directory part
    /// contains glob characters, which are not supported.
    init?(_ pattern: String) {
        self.pattern = pattern
        if let slash = pattern.lastIndex(of: "/") {
            let directoryPart = String(pattern[..<slash])
            directory = directoryPart.isEmpty ? "/" : directoryPart
            name = String(pattern[pattern.index(after: slash)...])
        } else {
            directory = "."
            name = pattern
        }
        let globCharacters: Set<Character> = ["*", "?", "["]
        isGlob = name.contains { globCharacters.contains($0) }
        if directory.contains(where: { globCharacters.contains($0) }) || name.isEmpty {
            return nil
        }
    }

    func matches(name candidate: String) -> Bool {
        if isGlob {
            return fnmatch(name, candidate, FNM_PERIOD) == 0
        }
        return candidate == name
    }

    func path(of entry: String) -> String {
        directory == "/" ? "/" + entry : directory + "/" + entry
    }
}

/// The state a `FileFollower` keeps for one path that matches a pattern.
final class FollowedPath {
    let path: String
    let patternIndex: Int
    /// The file now at the path, once opened.
    var current: FollowedFile?
    /// The file that was at the path before the last rotation, kept open for
    /// lines written to it late, until it is deleted or the path rotates again.
    var predecessor: FollowedFile?
    /// The errno of the open failure last reported, so it is reported once.
    var reportedOpenError: Int32?
    /// The file at the path when following started, and its size then. With
    /// `StartPosition.end` the file is read from there when it is opened, even
    /// when that happens later because it was unreadable at first.
    var initialEnd: (identity: FileIdentity, size: Int64)?

    init(path: String, patternIndex: Int) {
        self.path = path
        self.patternIndex = patternIndex
    }
}
