/* file_win.c — files several processes share (the sim's state file first) on Windows (and
 * under wine, inside the fake fwpuclnt.dll): a lock file held with LockFileEx (per handle, so
 * two handles of one process exclude each other), whole-file reads opened with FILE_SHARE_DELETE so that a writer's
 * MoveFileExW(REPLACE_EXISTING) is not refused while we read, and write-to-temp + replace.
 * Paths are UTF-8 and converted to UTF-16 for the *W calls.
 */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/file_int.h"
#include "common/wl_err.h"
#include "common/wl_os.h"
#include "common/wl_text.h"

struct wl_os_lock {
  HANDLE h;
};

static int win_fail(const char *call, const char *path, DWORD e) {
  int code = e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND ? WL_E_NOTFOUND
             : e == ERROR_ACCESS_DENIED                             ? WL_E_PERM
             : e == ERROR_DISK_FULL                                 ? WL_E_NOSPACE
                                                                    : WL_E_IO;
  return wl_err(code, "%s(%s): Win32 error %lu", call, path, (unsigned long)e);
}

static int wpath(const char *path, wchar_t *out, int cap) {
  if (MultiByteToWideChar(CP_UTF8, 0, path, -1, out, cap) <= 0)
    return wl_err(WL_E_INVAL, "%s: not a valid UTF-8 path (or longer than %d)", path, cap);
  return WL_OK;
}

static HANDLE open_w(const char *path, DWORD access, DWORD disp, int *rc) {
  wchar_t w[MAX_PATH * 4];
  *rc = wpath(path, w, (int)(sizeof w / sizeof w[0]));
  if (*rc != WL_OK)
    return INVALID_HANDLE_VALUE;
  HANDLE h = CreateFileW(w, access, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                         NULL, disp, FILE_ATTRIBUTE_NORMAL, NULL);
  if (h == INVALID_HANDLE_VALUE)
    *rc = win_fail("CreateFileW", path, GetLastError());
  return h;
}

int wl_os_lock_acquire(const char *path, unsigned timeout_ms, wl_os_lock **out) {
  int rc;
  HANDLE h = open_w(path, GENERIC_READ | GENERIC_WRITE, OPEN_ALWAYS, &rc);
  if (h == INVALID_HANDLE_VALUE)
    return rc;
  uint64_t deadline = wl_time_mono_ns() + (uint64_t)timeout_ms * 1000000u;
  for (;;) {
    OVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    if (LockFileEx(h, LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &ov))
      break;
    DWORD e = GetLastError();
    if (e != ERROR_LOCK_VIOLATION && e != ERROR_IO_PENDING) {
      CloseHandle(h);
      return win_fail("LockFileEx", path, e);
    }
    if (wl_time_mono_ns() >= deadline) {
      CloseHandle(h);
      return wl_err(WL_E_BUSY, "%s: locked by another process (or handle) for more than %u ms",
                    path, timeout_ms);
    }
    wl_sleep_ms(1);
  }
  wl_os_lock *l = malloc(sizeof *l);
  if (!l) {
    CloseHandle(h);
    return wl_err(WL_E_NOMEM, "%s: no memory for a lock", path);
  }
  l->h = h;
  *out = l;
  return WL_OK;
}

void wl_os_lock_release(wl_os_lock *l) {
  if (!l)
    return;
  CloseHandle(l->h); /* releases the lock */
  free(l);
}

/* wl_read_some_fn over a HANDLE (ctx points at it). */
static int read_some(void *ctx, uint8_t *p, size_t n, size_t *got, const char *path) {
  DWORD chunk = n > (1u << 30) ? (1u << 30) : (DWORD)n, r = 0;
  if (!ReadFile(*(HANDLE *)ctx, p, chunk, &r, NULL)) {
    DWORD e = GetLastError();
    if (e != ERROR_BROKEN_PIPE) /* a pipe's writer closed: the end of the data */
      return win_fail("ReadFile", path, e);
  }
  *got = r;
  return WL_OK;
}

/* Up to n bytes (fewer only at the end of the file). */
static int read_all(HANDLE h, uint8_t *p, size_t n, size_t *got, const char *path) {
  size_t done = 0, r = 0;
  int rc = WL_OK;
  while (done < n && (rc = read_some(&h, p + done, n - done, &r, path)) == WL_OK && r > 0)
    done += r;
  *got = done;
  return rc;
}

int wl_os_read_file(const char *path, size_t max, uint8_t **data, size_t *len) {
  int rc;
  LARGE_INTEGER size = {0};
  HANDLE h = open_w(path, GENERIC_READ, OPEN_EXISTING, &rc);
  if (h == INVALID_HANDLE_VALUE)
    return rc;
  if (GetFileType(h) == FILE_TYPE_DISK && !GetFileSizeEx(h, &size))
    rc = win_fail("GetFileSizeEx", path, GetLastError());
  else
    rc = wl_read_whole(read_some, &h, path, (uint64_t)size.QuadPart, max, data, len);
  CloseHandle(h);
  return rc;
}

int wl_os_file_peek(const char *path, uint8_t *buf, size_t n, size_t *got) {
  int rc;
  HANDLE h = open_w(path, GENERIC_READ, OPEN_EXISTING, &rc);
  if (h == INVALID_HANDLE_VALUE)
    return rc;
  rc = read_all(h, buf, n, got, path);
  CloseHandle(h);
  return rc;
}

/* A fresh temporary name beside path, created exclusively (CREATE_NEW: a link or file planted
 * under the name makes it fail instead of redirecting the write; issue 18). The name mixes the
 * performance counter, the pid and a counter, so it is not guessable in advance; a taken name
 * is retried with the next one. */
static HANDLE create_tmp(const char *path, char *tmp, size_t cap, int *rc) {
  static LONG seq;
  HANDLE h = INVALID_HANDLE_VALUE;
  for (int i = 0; i < 16 && h == INVALID_HANDLE_VALUE; i++) {
    LARGE_INTEGER t;
    QueryPerformanceCounter(&t);
    uint64_t x = (uint64_t)t.QuadPart ^ ((uint64_t)GetCurrentProcessId() << 32) ^
                 ((uint64_t)InterlockedIncrement(&seq) * 0x9E3779B97F4A7C15ull);
    x = (x ^ (x >> 31)) * 0xBF58476D1CE4E5B9ull;
    if ((size_t)snprintf(tmp, cap, "%s.%016llx.tmp", path, (unsigned long long)x) >= cap) {
      *rc = wl_err(WL_E_TOOBIG, "%s: path too long", path);
      return INVALID_HANDLE_VALUE;
    }
    h = open_w(tmp, GENERIC_WRITE, CREATE_NEW, rc);
  }
  return h;
}

static int write_tmp(const char *path, char *tmp, size_t cap, const uint8_t *data, size_t len) {
  int rc;
  HANDLE h = create_tmp(path, tmp, cap, &rc);
  if (h == INVALID_HANDLE_VALUE)
    return rc;
  size_t done = 0;
  while (done < len && rc == WL_OK) {
    DWORD chunk = len - done > (1u << 30) ? (1u << 30) : (DWORD)(len - done), w = 0;
    if (!WriteFile(h, data + done, chunk, &w, NULL))
      rc = win_fail("WriteFile", tmp, GetLastError());
    done += w;
  }
  CloseHandle(h);
  return rc;
}

int wl_os_file_replace(const char *path, const uint8_t *data, size_t len) {
  char tmp[MAX_PATH * 4];
  wchar_t wt[MAX_PATH * 4], wp[MAX_PATH * 4];
  wt[0] = 0;
  int rc = write_tmp(path, tmp, sizeof tmp, data, len);
  if (rc == WL_OK)
    rc = wpath(tmp, wt, (int)(sizeof wt / sizeof wt[0]));
  if (rc == WL_OK)
    rc = wpath(path, wp, (int)(sizeof wp / sizeof wp[0]));
  /* A reader that opened without FILE_SHARE_DELETE (antivirus, an editor) makes the replace
   * fail for a moment: retry for up to a second. */
  for (int i = 0; rc == WL_OK; i++) {
    if (MoveFileExW(wt, wp, MOVEFILE_REPLACE_EXISTING))
      break;
    DWORD e = GetLastError();
    if ((e != ERROR_ACCESS_DENIED && e != ERROR_SHARING_VIOLATION) || i >= 1000)
      rc = win_fail("MoveFileExW", path, e);
    else
      wl_sleep_ms(1);
  }
  if (rc != WL_OK && wt[0])
    DeleteFileW(wt);
  return rc;
}

/* ---------------------------------------------------------------- watch */

/* No cheap check here (see sim_internal.h): a handle kept open on the state file would make
 * the writer's MoveFileExW(REPLACE_EXISTING) over it fail, so every refresh peeks at the
 * header. */
struct wl_os_watch {
  int unused;
};

void wl_os_watch_open(const char *path, wl_os_watch **out) {
  (void)path;
  *out = NULL;
}

int wl_os_watch_changed(const wl_os_watch *w) {
  (void)w;
  return 1;
}

void wl_os_watch_close(wl_os_watch *w) { (void)w; }
