/* newfile_posix.c — a file written whole or not at all (wl_os.h wl_os_newfile_*) and the
 * machine's name, on POSIX.
 *
 * `export -o` used to write its file in place: a full disk left a truncated policy, and a path
 * that named the store destroyed it (issue 18 item 7). Here the content goes to a new temporary
 * file beside the target, made by mkstemp (unpredictable name, O_EXCL so no link is followed,
 * mode 0600 whatever the umask), and only a complete, flushed and synced file is renamed over
 * the target. Every error names the target, the file the user asked for.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/wl_err.h"
#include "common/wl_os.h"
#include "common/wl_text.h"

struct wl_os_newfile {
  FILE *f;
  char path[4096];
  char tmp[4096 + 16];
};

static int nf_fail(const char *what, const char *path, int e) {
  int code = e == ENOENT ? WL_E_NOTFOUND : e == EACCES || e == EPERM ? WL_E_PERM
             : e == ENOSPC                 ? WL_E_NOSPACE
             : e == EISDIR                 ? WL_E_INVAL
                                           : WL_E_IO;
  return wl_err(code, "%s: %s: %s", path, what, strerror(e));
}

int wl_os_newfile_open(const char *path, wl_os_newfile **out, FILE **f) {
  *out = NULL;
  *f = NULL;
  struct stat st;
  if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
    return wl_err(WL_E_INVAL, "%s: is a directory", path);
  wl_os_newfile *nf = calloc(1, sizeof *nf);
  if (!nf)
    return wl_err(WL_E_NOMEM, "%s: out of memory", path);
  if (wl_strlcpy(nf->path, path, sizeof nf->path) >= sizeof nf->path) {
    free(nf);
    return wl_err(WL_E_TOOBIG, "%s: path too long", path);
  }
  snprintf(nf->tmp, sizeof nf->tmp, "%s.XXXXXX", path);
  int fd = mkstemp(nf->tmp); /* 0600, O_EXCL */
  if (fd < 0) {
    int rc = nf_fail("cannot create a temporary file beside it", path, errno);
    free(nf);
    return rc;
  }
  nf->f = fdopen(fd, "wb");
  if (!nf->f) {
    int rc = nf_fail("fdopen", path, errno);
    close(fd);
    unlink(nf->tmp);
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
    rc = nf_fail("write failed (nothing was replaced)", nf->path, errno ? errno : EIO);
  else if (fsync(fileno(nf->f)) != 0)
    rc = nf_fail("sync failed (nothing was replaced)", nf->path, errno);
  if (fclose(nf->f) != 0 && !rc)
    rc = nf_fail("write failed (nothing was replaced)", nf->path, errno);
  if (!rc && rename(nf->tmp, nf->path) != 0)
    rc = nf_fail("rename failed (nothing was replaced)", nf->path, errno);
  if (rc)
    unlink(nf->tmp);
  free(nf);
  return rc;
}

void wl_os_newfile_abort(wl_os_newfile *nf) {
  if (!nf)
    return;
  fclose(nf->f);
  unlink(nf->tmp);
  free(nf);
}
