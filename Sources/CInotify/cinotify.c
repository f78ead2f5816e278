#include "cinotify.h"

#include <string.h>

int lw_inotify_init(void) {
    return inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
}

int lw_inotify_add_watch(int fd, const char *path, uint32_t mask) {
    return inotify_add_watch(fd, path, mask);
}

int lw_inotify_rm_watch(int fd, int32_t wd) {
    return inotify_rm_watch(fd, wd);
}

size_t lw_inotify_next_event(const uint8_t *buffer, size_t length, size_t offset,
                             lw_inotify_event *event) {
    if (offset + sizeof(struct inotify_event) > length) {
        return 0;
    }
    struct inotify_event header;
    memcpy(&header, buffer + offset, sizeof header);
    size_t end = offset + sizeof header + header.len;
    if (end > length) {
        return 0;
    }
    event->wd = header.wd;
    event->mask = header.mask;
    event->cookie = header.cookie;
    event->name = header.len > 0 ? (const char *)(buffer + offset + sizeof header) : NULL;
    return end;
}
