/* newfile_win.c — a file written whole or not at all (wl_os.h wl_os_newfile_*) and the
 * machine's name, on Windows.
 *
 * As newfile_posix.c: the content goes to a new temporary file beside the target, created with
 * CREATE_NEW (never an existing file or link) under a name with random bits
 * (BCryptGenRandom), restricted like the store (wl_os_restrict_file: Administrators and SYSTEM),
 * and only a complete, flushed file is moved over the target (MoveFileExW REPLACE_EXISTING |
 * WRITE_THROUGH). Every error names the target.
 */
#include <windows.h>
#include <bcrypt.h>
#include <fcntl.h>
#include <io.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_os.h"
#include "common/wl_text.h"

#define NF_WPATH_MAX 4096

struct wl_os_newfile {
  FILE *f;
  char path[4096];
  char tmp[4096 + 32];
  wchar_t wpath[NF_WPATH_MAX], wtmp[NF_WPATH_MAX];
};

static int nf_fail(const char *what, const char *path, DWORD e) {
  int code = e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND ? WL_E_NOTFOUND
             : e == ERROR_ACCESS_DENIED                             ? WL_E_PERM
             : e == ERROR_DISK_FULL || e == ERROR_HANDLE_DISK_FULL  ? WL_E_NOSPACE
                                                                    : WL_E_IO;
  return wl_err(code, "%s: %s (Win32 error %lu)", path, what, (unsigned long)e);
}

static int nf_wide(const char *s, wchar_t *w) {
  if (MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, w, NF_WPATH_MAX) <= 0)
    return wl_err(WL_E_INVAL, "%s: not a valid UTF-8 path (or too long)", s);
  return WL_OK;
}

/* The temporary file, created exclusively; a handle as a FILE*. */
static int nf_create(wl_os_newfile *nf) {
  for (int attempt = 0; attempt < 16; attempt++) {
    uint32_t r = 0;
    if (BCryptGenRandom(NULL, (PUCHAR)&r, sizeof r, BCRYPT_USE_SYSTEM_PREFERRED_RNG) != 0)
      r = (uint32_t)GetTickCount() ^ (uint32_t)GetCurrentProcessId() ^ (uint32_t)attempt;
    snprintf(nf->tmp, sizeof nf->tmp, "%s.%08lx.tmp", nf->path, (unsigned long)r);
    int rc = nf_wide(nf->tmp, nf->wtmp);
    if (rc)
      return rc;
    HANDLE h = CreateFileW(nf->wtmp, GENERIC_WRITE, 0, NULL, CREATE_NEW,
                           FILE_ATTRIBUTE_NORMAL, NULL);
    if (h == INVALID_HANDLE_VALUE) {
      DWORD e = GetLastError();
      if (e == ERROR_FILE_EXISTS)
        continue;
      return nf_fail("cannot create a temporary file beside it", nf->path, e);
    }
    int fd = _open_osfhandle((intptr_t)h, _O_WRONLY | _O_BINARY);
    if (fd < 0 || !(nf->f = _fdopen(fd, "wb"))) {
      if (fd < 0)
        CloseHandle(h);
      else
        _close(fd);
      DeleteFileW(nf->wtmp);
      return wl_err(WL_E_IO, "%s: cannot open the temporary file", nf->path);
    }
    rc = wl_os_restrict_file(nf->tmp);
    if (rc) {
      fclose(nf->f);
      DeleteFileW(nf->wtmp);
      return wl_err_prefix(rc, "%s", nf->path);
    }
    return WL_OK;
  }
  return wl_err(WL_E_IO, "%s: cannot find a free temporary name beside it", nf->path);
}

int wl_os_newfile_open(const char *path, wl_os_newfile **out, FILE **f) {
  *out = NULL;
  *f = NULL;
  wl_os_newfile *nf = calloc(1, sizeof *nf);
  if (!nf)
    return wl_err(WL_E_NOMEM, "%s: out of memory", path);
  int rc = wl_strlcpy(nf->path, path, sizeof nf->path) >= sizeof nf->path
               ? wl_err(WL_E_TOOBIG, "%s: path too long", path)
               : nf_wide(path, nf->wpath);
  if (!rc) {
    DWORD attr = GetFileAttributesW(nf->wpath);
    if (attr != INVALID_FILE_ATTRIBUTES && (attr & FILE_ATTRIBUTE_DIRECTORY))
      rc = wl_err(WL_E_INVAL, "%s: is a directory", path);
  }
  if (!rc)
    rc = nf_create(nf);
  if (rc) {
    free(nf);
    return rc;
  }
  *out = nf;
  *f = nf->f;
  return WL_OK;
}

int wl_os_newfile_commit(wl_os_newfile *nf) {
  int rc = WL_OK;
  if (fflush(nf->f) != 0 || ferror(nf->f))
    rc = wl_err(WL_E_IO, "%s: write failed (nothing was replaced)", nf->path);
  if (fclose(nf->f) != 0 && !rc)
    rc = wl_err(WL_E_IO, "%s: write failed (nothing was replaced)", nf->path);
  if (!rc && !MoveFileExW(nf->wtmp, nf->wpath,
                          MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH))
    rc = nf_fail("rename failed (nothing was replaced)", nf->path, GetLastError());
  if (rc)
    DeleteFileW(nf->wtmp);
  free(nf);
  return rc;
}

void wl_os_newfile_abort(wl_os_newfile *nf) {
  if (!nf)
    return;
  fclose(nf->f);
  DeleteFileW(nf->wtmp);
  free(nf);
}
