#ifndef CINOTIFY_H
#define CINOTIFY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/inotify.h>

#pragma clang assume_nonnull begin

/// One decoded inotify event. `name` points into the caller's buffer and is
/// NULL when the event concerns the watched object itself.
typedef struct {
    int32_t wd;
    uint32_t mask;
    uint32_t cookie;
    const char *_Nullable name;
} lw_inotify_event;

/// Creates a non-blocking, close-on-exec inotify descriptor; -1 and errno on failure.
int lw_inotify_init(void);

/// Adds or updates a watch; returns the watch descriptor, or -1 and errno.
int lw_inotify_add_watch(int fd, const char *path, uint32_t mask);

/// Removes a watch; returns 0, or -1 and errno.
int lw_inotify_rm_watch(int fd, int32_t wd);

/// Decodes the event at `offset` in a buffer filled by read(2). Returns the
/// offset of the next event, or 0 when no complete event starts at `offset`.
size_t lw_inotify_next_event(const uint8_t *buffer, size_t length, size_t offset,
                             lw_inotify_event *event);

#pragma clang assume_nonnull end

#endif
