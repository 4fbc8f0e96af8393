/* file_posix.c — files several processes share (the sim's state file first) on POSIX: an
 * flock()ed lock file (flock locks belong to the open file description, so two handles in one
 * process exclude each other as two processes do), whole-file reads, and write-to-temp +
 * rename() for atomic replacement.
 * No fsync: a sim state torn by a power cut is caught by the checksum, not prevented.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/file_int.h"
#include "common/wl_err.h"
#include "common/wl_os.h"
#include "common/wl_text.h"

struct wl_os_lock {
  int fd;
};

static int os_fail(const char *call, const char *path, int e) {
  int code = e == ENOENT ? WL_E_NOTFOUND : e == EACCES || e == EPERM ? WL_E_PERM
             : e == ENOSPC                 ? WL_E_NOSPACE
                                           : WL_E_IO;
  return wl_err(code, "%s(%s): %s (errno %d)", call, path, strerror(e), e);
}

int wl_os_lock_acquire(const char *path, unsigned timeout_ms, wl_os_lock **out) {
  int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return os_fail("open", path, errno);
  uint64_t deadline = wl_time_mono_ns() + (uint64_t)timeout_ms * 1000000u;
  while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) {
      int rc = os_fail("flock", path, errno);
      close(fd);
      return rc;
    }
    if (wl_time_mono_ns() >= deadline) {
      close(fd);
      return wl_err(WL_E_BUSY, "%s: locked by another process (or handle) for more than %u ms",
                    path, timeout_ms);
    }
    wl_sleep_ms(1);
  }
  wl_os_lock *l = malloc(sizeof *l);
  if (!l) {
    close(fd);
    return wl_err(WL_E_NOMEM, "%s: no memory for a lock", path);
  }
  l->fd = fd;
  *out = l;
  return WL_OK;
}

void wl_os_lock_release(wl_os_lock *l) {
  if (!l)
    return;
  close(l->fd); /* drops the flock */
  free(l);
}

/* wl_read_some_fn over a file descriptor (ctx points at it); EINTR is retried. */
static int read_some(void *ctx, uint8_t *p, size_t n, size_t *got, const char *path) {
  int fd = *(int *)ctx;
  for (;;) {
    ssize_t r = read(fd, p, n);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      return os_fail("read", path, errno);
    *got = (size_t)r;
    return WL_OK;
  }
}

/* Up to n bytes (fewer only at the end of the file). */
static int read_all(int fd, uint8_t *p, size_t n, size_t *got, const char *path) {
  size_t done = 0, r = 0;
  int rc = WL_OK;
  while (done < n && (rc = read_some(&fd, p + done, n - done, &r, path)) == WL_OK && r > 0)
    done += r;
  *got = done;
  return rc;
}

int wl_os_read_file(const char *path, size_t max, uint8_t **data, size_t *len) {
  struct stat st;
  int rc = WL_OK, fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return os_fail("open", path, errno);
  if (fstat(fd, &st) != 0)
    rc = os_fail("fstat", path, errno);
  else
    rc = wl_read_whole(read_some, &fd, path, S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0, max,
                       data, len);
  close(fd);
  return rc;
}

int wl_os_file_peek(const char *path, uint8_t *buf, size_t n, size_t *got) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return os_fail("open", path, errno);
  int rc = read_all(fd, buf, n, got, path);
  close(fd);
  return rc;
}

/* The temporary file has an unpredictable name and is created exclusively, owner-only
 * (mkstemp): a link planted under a guessable "path.tmp" redirected the write (issue 18). */
int wl_os_file_replace(const char *path, const uint8_t *data, size_t len) {
  char tmp[4096];
  if ((size_t)snprintf(tmp, sizeof tmp, "%s.XXXXXX", path) >= sizeof tmp)
    return wl_err(WL_E_TOOBIG, "%s: path too long", path);
  int fd = mkstemp(tmp);
  if (fd < 0)
    return os_fail("mkstemp", tmp, errno);
  size_t done = 0;
  while (done < len) {
    ssize_t w = write(fd, data + done, len - done);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0) {
      int rc = os_fail("write", tmp, errno);
      close(fd);
      unlink(tmp);
      return rc;
    }
    done += (size_t)w;
  }
  if (close(fd) != 0 || rename(tmp, path) != 0) {
    int rc = os_fail("rename", path, errno);
    unlink(tmp);
    return rc;
  }
  return WL_OK;
}

/* ---------------------------------------------------------------- watch */

struct wl_os_watch {
  int fd;
  struct stat st; /* at open */
};

void wl_os_watch_open(const char *path, wl_os_watch **out) {
  wl_os_watch *w = malloc(sizeof *w);
  *out = NULL;
  if (!w)
    return; /* no watch: the caller peeks every time */
  w->fd = open(path, O_RDONLY | O_CLOEXEC);
  if (w->fd < 0 || fstat(w->fd, &w->st) != 0) {
    wl_os_watch_close(w);
    return;
  }
  *out = w;
}

static int same_time(const struct timespec *a, const struct timespec *b) {
  return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

int wl_os_watch_changed(const wl_os_watch *w) {
  struct stat now;
  if (!w || fstat(w->fd, &now) != 0)
    return 1;
  return now.st_nlink == 0 || now.st_size != w->st.st_size ||
         !same_time(&now.st_mtim, &w->st.st_mtim) || !same_time(&now.st_ctim, &w->st.st_ctim);
}

void wl_os_watch_close(wl_os_watch *w) {
  if (!w)
    return;
  if (w->fd >= 0)
    close(w->fd);
  free(w);
}
