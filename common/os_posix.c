/* os_posix.c — the wl_os.h contract (and the two clocks of wl_text.h) on Linux/POSIX.
 *
 * This is the build the tests and the sim engine run on, so it mirrors what os_win.c does:
 * spawn detaches the child into its own session (double fork, so no zombie is left behind
 * and wl_os_pid_alive tells the truth), kill is SIGKILL, restrict is mode 0600, and file
 * identity is st_dev/st_ino. Errors become WL_E_* here, with the call and errno in the message.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* CMake sets it; this keeps a bare compile working */
#endif
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/wl_err.h"
#include "common/wl_os.h"
#include "common/wl_text.h"

static int errno_code(int e) {
  switch (e) {
  case ENOENT:
  case ENOTDIR:
  case ESRCH: return WL_E_NOTFOUND;
  case EACCES:
  case EPERM: return WL_E_PERM;
  case ENOMEM: return WL_E_NOMEM;
  case ENOSPC: return WL_E_NOSPACE;
  case EROFS: return WL_E_READONLY;
  case EEXIST: return WL_E_EXISTS;
  case EINVAL: return WL_E_INVAL;
  default: return WL_E_IO;
  }
}

static int os_err(const char *call, const char *what, int e) {
  return wl_err(errno_code(e), "%s(%s): %s (errno %d)", call, what ? what : "", strerror(e), e);
}

/* ---------------------------------------------------------------- clocks, sleep, pids */

uint64_t wl_time_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return WL_UNIX_EPOCH_TICKS + (uint64_t)ts.tv_sec * WL_TICKS_PER_SEC +
         (uint64_t)ts.tv_nsec / 100;
}

uint64_t wl_time_mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void wl_sleep_ms(unsigned ms) {
  struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
  }
}

uint32_t wl_os_pid(void) { return (uint32_t)getpid(); }

int wl_os_hostname(char *out, size_t cap) {
  assert(cap > 1);
  if (gethostname(out, cap) != 0) {
    int err = errno;
    wl_strlcpy(out, "?", cap);
    return wl_err(WL_E_IO, "gethostname: %s", strerror(err));
  }
  out[cap - 1] = '\0';
  return WL_OK;
}

/* A zombie (exited, not yet reaped: containers whose init never reaps) counts as gone. The
 * state is the field after the ')' closing the command name in /proc/PID/stat (Linux); without
 * /proc, kill(pid, 0) alone decides. */
static int is_zombie(uint32_t pid) {
  char path[40], buf[512];
  snprintf(path, sizeof path, "/proc/%u/stat", (unsigned)pid);
  int fd = open(path, O_RDONLY);
  if (fd < 0)
    return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0)
    return 0;
  buf[n] = 0;
  char *rp = strrchr(buf, ')');
  return rp && rp[1] == ' ' && (rp[2] == 'Z' || rp[2] == 'X');
}

int wl_os_pid_start(uint32_t pid, uint64_t *start) {
  char path[40], buf[1024];
  *start = 0;
  if (pid == 0 || pid > (uint32_t)INT32_MAX)
    return wl_err(WL_E_NOTFOUND, "process %u: no such process", (unsigned)pid);
  snprintf(path, sizeof path, "/proc/%u/stat", (unsigned)pid);
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    struct stat st;
    if (stat("/proc/self/stat", &st) != 0)
      return wl_err(WL_E_UNSUPPORTED, "process start times: no /proc on this system");
    return wl_err(WL_E_NOTFOUND, "process %u: no such process", (unsigned)pid);
  }
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0)
    return wl_err(WL_E_NOTFOUND, "process %u: no such process", (unsigned)pid);
  buf[n] = 0;
  /* Fields after the ')' that closes the command name: 3 state, 4 ppid, ... 22 starttime. */
  char *p = strrchr(buf, ')');
  for (int field = 2; p && field < 22; field++)
    p = strchr(p + 1, ' ');
  if (!p)
    return wl_err(WL_E_PARSE, "%s: no start time field", path);
  *start = strtoull(p + 1, NULL, 10);
  return WL_OK;
}

int wl_os_pid_alive(uint32_t pid) {
  if (pid == 0 || pid > (uint32_t)INT32_MAX)
    return 0;
  if (kill((pid_t)pid, 0) != 0 && errno != EPERM)
    return 0;
  return !is_zombie(pid);
}

int wl_os_kill(uint32_t pid) {
  if (pid == 0 || pid > (uint32_t)INT32_MAX)
    return wl_err(WL_E_INVAL, "wl_os_kill: bad pid %u", (unsigned)pid);
  if (kill((pid_t)pid, SIGKILL))
    return os_err("kill", "SIGKILL", errno);
  return WL_OK;
}

/* ---------------------------------------------------------------- spawn */

/* In the grandchild: stdin from /dev/null, stdout+stderr to the log, exec. Only
 * async-signal-safe calls: we may have been forked from a threaded process. On failure it
 * reports {stage, errno} (stage 1: the log or /dev/null, 2: exec) through the pipe. */
static void child_exec(char *const argv[], const char *log_path, int report) {
  int msg[2] = {1, 0};
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL); /* the caller's thread may block some */
  int in = open("/dev/null", O_RDONLY);
  int out = log_path ? open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW, 0600)
                     : open("/dev/null", O_WRONLY);
  if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
    goto fail;
  if (in > 2)
    close(in);
  if (out > 2)
    close(out);
  execv(argv[0], argv);
  msg[0] = 2;
fail:
  msg[1] = errno;
  if (write(report, msg, sizeof msg) < 0) {
  }
  _exit(127);
}

/* Reads the spawn report (see below) and fills *pid on success. */
static int read_report(int fd, const char *exe, const char *log_path, uint32_t *pid) {
  int32_t g = -1;
  int msg[2];
  ssize_t n;
  while ((n = read(fd, &g, sizeof g)) < 0 && errno == EINTR) {
  }
  if (n != (ssize_t)sizeof g || g <= 0)
    return wl_err(WL_E_IO, "spawn(%s): fork of the detached child failed", exe);
  while ((n = read(fd, msg, sizeof msg)) < 0 && errno == EINTR) {
  }
  if (n == (ssize_t)sizeof msg)
    return msg[0] == 2 ? os_err("exec", exe, msg[1])
                       : os_err("open", log_path ? log_path : "/dev/null", msg[1]);
  *pid = (uint32_t)g;
  return WL_OK;
}

/* Report pipe protocol: the middle child writes the grandchild's pid; the grandchild writes
 * {stage, errno} only if it fails; EOF (close-on-exec) means exec succeeded. */
int wl_os_spawn(char *const argv[], const char *log_path, uint32_t *pid) {
  int fds[2], rc = WL_OK, st;
  if (!argv || !argv[0] || !pid)
    return wl_err(WL_E_INVAL, "wl_os_spawn: NULL argument");
  if (pipe(fds))
    return os_err("pipe", argv[0], errno);
  fcntl(fds[0], F_SETFD, FD_CLOEXEC);
  fcntl(fds[1], F_SETFD, FD_CLOEXEC);
  pid_t mid = fork();
  if (mid < 0) {
    rc = os_err("fork", argv[0], errno);
    goto out;
  }
  if (mid == 0) {
    close(fds[0]);
    setsid();
    pid_t g = fork();
    if (g == 0)
      child_exec(argv, log_path, fds[1]);
    int32_t v = g > 0 ? (int32_t)g : -1;
    _exit(write(fds[1], &v, sizeof v) == (ssize_t)sizeof v ? 0 : 1);
  }
  close(fds[1]);
  fds[1] = -1;
  while (waitpid(mid, &st, 0) < 0 && errno == EINTR) {
  }
  rc = read_report(fds[0], argv[0], log_path, pid);
out:
  close(fds[0]);
  if (fds[1] >= 0)
    close(fds[1]);
  return rc;
}

int wl_os_default_db_path(char *out, size_t cap, int create) {
  (void)create; /* the current directory: nothing to make */
  if (!out || cap < sizeof "wfplearn.db")
    return wl_err(WL_E_INVAL, "wl_os_default_db_path: no buffer");
  memcpy(out, "wfplearn.db", sizeof "wfplearn.db");
  return WL_OK;
}

int wl_os_exe_path(char *out, size_t cap) {
  if (!out || !cap)
    return wl_err(WL_E_INVAL, "wl_os_exe_path: no buffer");
  ssize_t n = readlink("/proc/self/exe", out, cap);
  if (n < 0)
    return os_err("readlink", "/proc/self/exe", errno);
  if ((size_t)n >= cap) {
    out[cap - 1] = 0;
    return wl_err(WL_E_FULL, "wl_os_exe_path: path longer than %u bytes", (unsigned)cap);
  }
  out[n] = 0;
  return WL_OK;
}

/* ---------------------------------------------------------------- interrupt */

static void (*_Atomic intr_fn)(void *);
static void *_Atomic intr_ctx;

static void on_signal(int sig) {
  (void)sig;
  int e = errno;
  void (*fn)(void *) = atomic_load(&intr_fn);
  if (fn)
    fn(atomic_load(&intr_ctx));
  errno = e;
}

int wl_os_on_interrupt(void (*fn)(void *ctx), void *ctx) {
  static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sigemptyset(&sa.sa_mask);
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
    sigaddset(&sa.sa_mask, sigs[i]); /* the handler is never re-entered */
  sa.sa_handler = fn ? on_signal : SIG_DFL;
  sa.sa_flags = SA_RESTART;
  /* fn is cleared first, so a signal during the update never pairs the old fn with the new
   * ctx; it is merely missed. */
  atomic_store(&intr_fn, NULL);
  atomic_store(&intr_ctx, ctx);
  atomic_store(&intr_fn, fn);
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
    if (sigaction(sigs[i], &sa, NULL))
      return os_err("sigaction", "interrupt", errno);
  return WL_OK;
}

/* ---------------------------------------------------------------- files */

int wl_os_restrict_file(const char *path) {
  if (!path)
    return wl_err(WL_E_INVAL, "wl_os_restrict_file: NULL path");
  if (chmod(path, S_IRUSR | S_IWUSR))
    return os_err("chmod", path, errno);
  return WL_OK;
}

int wl_os_file_id(const char *path, wl_file_id *out) {
  struct stat st;
  if (!path || !out)
    return wl_err(WL_E_INVAL, "wl_os_file_id: NULL argument");
  if (stat(path, &st))
    return os_err("stat", path, errno);
  out->dev = (uint64_t)st.st_dev;
  out->ino = (uint64_t)st.st_ino;
  out->size = (uint64_t)st.st_size;
  /* ticks, like the Windows side's ftLastWriteTime */
  out->mtime = WL_UNIX_EPOCH_TICKS + (uint64_t)st.st_mtim.tv_sec * WL_TICKS_PER_SEC +
               (uint64_t)st.st_mtim.tv_nsec / 100;
  return WL_OK;
}

int wl_os_writable(const char *path) {
  if (access(path, W_OK) == 0)
    return WL_OK;
  return errno == ENOENT || errno == ENOTDIR ? WL_E_NOTFOUND : WL_E_READONLY;
}

int wl_os_is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int wl_os_free_bytes(const char *path, uint64_t *out) {
  struct statvfs sv;
  if (!path || !out)
    return wl_err(WL_E_INVAL, "wl_os_free_bytes: NULL argument");
  if (statvfs(path, &sv))
    return os_err("statvfs", path, errno);
  *out = (uint64_t)sv.f_bavail * (uint64_t)sv.f_frsize;
  return WL_OK;
}

int wl_os_utf8_args(int *argc, char ***argv) {
  (void)argc;
  (void)argv; /* POSIX arguments are bytes; UTF-8 in practice */
  return WL_OK;
}

/* open(2) flags for an fopen mode that writes: never through a symbolic link (a file next to
 * the store in a directory another user can write must not redirect root's write, issue 18),
 * created owner-only; "x" is O_EXCL. 0 for a read-only mode. */
static int write_flags(const char *mode) {
  int plus = strchr(mode, '+') != NULL, fl = O_NOFOLLOW | O_CLOEXEC;
  fl |= plus ? O_RDWR : O_WRONLY;
  if (mode[0] == 'w')
    fl |= O_CREAT | O_TRUNC;
  else if (mode[0] == 'a')
    fl |= O_CREAT | O_APPEND;
  else if (!plus)
    return 0;
  return strchr(mode, 'x') ? fl | O_EXCL : fl;
}

int wl_os_fopen(const char *path, const char *mode, FILE **out) {
  if (!out)
    return wl_err(WL_E_INVAL, "wl_os_fopen: NULL argument");
  *out = NULL;
  if (!path || !mode)
    return wl_err(WL_E_INVAL, "wl_os_fopen: NULL argument");
  int fl = write_flags(mode), fd = -1;
  if (!fl)
    *out = fopen(path, mode);
  else if ((fd = open(path, fl, 0600)) >= 0 && !(*out = fdopen(fd, mode)))
    close(fd);
  if (!*out) {
    int e = errno;
    int rc = e == ELOOP ? wl_err(WL_E_PERM, "%s: a symbolic link; wfplearn does not write "
                                 "through links (ELOOP)", path)
                        : os_err("fopen", path, e);
    errno = e; /* callers may look closer (EROFS) */
    return rc;
  }
  return WL_OK;
}
