#if canImport(Glibc)
import Glibc
#endif
import CInotify

/// An inotify instance: a non-blocking, close-on-exec descriptor whose watches
/// report file system events. The owner polls the descriptor (with a Dispatch
/// read source) and calls `readEvents` when it is readable.
final class Inotify {
    /// The inotify event bits used here, with the C names in the comments.
    struct EventMask: OptionSet {
        let rawValue: UInt32

        /// `IN_MODIFY`: the file was written or truncated.
        static let modify = EventMask(rawValue: UInt32(IN_MODIFY))
        /// `IN_ATTRIB`: metadata changed: permissions, owner or link count.
        static let attributes = EventMask(rawValue: UInt32(IN_ATTRIB))
        /// `IN_MOVED_FROM`: an entry was renamed away from the watched directory.
        static let movedFrom = EventMask(rawValue: UInt32(IN_MOVED_FROM))
        /// `IN_MOVED_TO`: an entry was renamed into the watched directory.
        static let movedTo = EventMask(rawValue: UInt32(IN_MOVED_TO))
        /// `IN_CREATE`: an entry was created in the watched directory.
        static let create = EventMask(rawValue: UInt32(IN_CREATE))
        /// `IN_DELETE`: an entry was removed from the watched directory.
        static let delete = EventMask(rawValue: UInt32(IN_DELETE))
        /// `IN_DELETE_SELF`: the watched object was deleted and its last descriptor closed.
        static let deleteSelf = EventMask(rawValue: UInt32(IN_DELETE_SELF))
        /// `IN_MOVE_SELF`: the watched object was renamed.
        static let moveSelf = EventMask(rawValue: UInt32(IN_MOVE_SELF))
        /// `IN_ONLYDIR`: add the watch only when the path is a directory.
        static let onlyDirectory = EventMask(rawValue: UInt32(IN_ONLYDIR))
        /// `IN_ISDIR`: the entry named in the event is a directory.
        static let isDirectory = EventMask(rawValue: UInt32(IN_ISDIR))
        /// `IN_IGNORED`: the watch was removed, explicitly or because its object is gone.
        static let ignored = EventMask(rawValue: UInt32(IN_IGNORED))
        /// `IN_Q_OVERFLOW`: the kernel queue overflowed and events were lost.
        static let queueOverflow = EventMask(rawValue: UInt32(IN_Q_OVERFLOW))
    }

    /// One event. `name` is the entry's name for events on a watched
    /// directory's entries, nil for events on the watched object itself.
    struct Event {
        var watch: Int32
        var mask: EventMask
        var cookie: UInt32
        var name: String?
    }

    let descriptor: Int32
    private var isClosed = false
    private let buffer: UnsafeMutableRawBufferPointer

    init() throws(SystemError) {
        let fd = lw_inotify_init()
        guard fd >= 0 else { throw SystemError("initialize inotify", path: "", errno: errno) }
        descriptor = fd
        // Room for at least 200 events with names of NAME_MAX bytes.
        buffer = .allocate(byteCount: 64 * 1024, alignment: 8)
    }

    deinit {
        buffer.deallocate()
    }

    /// Adds a watch on `path`, or updates the mask of the existing watch on the
    /// same inode, and returns the watch descriptor.
    func addWatch(path: String, mask: EventMask) throws(SystemError) -> Int32 {
        let watch = lw_inotify_add_watch(descriptor, path, mask.rawValue)
        guard watch >= 0 else {
            let code = errno
            // ENOSPC from inotify_add_watch(2) means the per-user watch limit, not a full disk.
            let detail = code == ENOSPC
                ? "the inotify watch limit is reached; raise the sysctl fs.inotify.max_user_watches" : nil
            throw SystemError("watch", path: path, errno: code, detail: detail)
        }
        return watch
    }

    /// Removes a watch. The kernel queues an `IN_IGNORED` event for it.
    func removeWatch(_ watch: Int32) {
        _ = lw_inotify_rm_watch(descriptor, watch)
    }

    /// Calls `body` for every queued event until the queue is empty.
    func readEvents(_ body: (Event) -> Void) throws(SystemError) {
        let base = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
        while true {
            let count = retryingOnInterrupt { read(descriptor, base, buffer.count) }
            if count < 0 {
                if errno == EAGAIN || errno == EWOULDBLOCK { return }
                throw SystemError("read events from", path: "inotify", errno: errno)
            }
            if count == 0 { return }

            var offset = 0
            var event = lw_inotify_event()
            while true {
                let next = lw_inotify_next_event(base, count, offset, &event)
                if next == 0 { break }
                offset = next
                body(Event(watch: event.wd, mask: EventMask(rawValue: event.mask), cookie: event.cookie,
                           name: event.name.map { String(cString: $0) }))
            }
        }
    }

    /// Closes the descriptor; a second call does nothing.
    func close() {
        guard !isClosed else { return }
        isClosed = true
        _ = Glibc.close(descriptor)
    }
}
