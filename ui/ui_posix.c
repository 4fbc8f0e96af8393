/* ui_posix.c — ui/ui_os.h on POSIX: /dev/urandom, sockaddr_in, tmpfile, xdg-open. */
#include "ui/ui_os.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/wl_err.h"
#include "common/wl_os.h"

int wl_ui_random(uint8_t *out, size_t n) {
  FILE *f = NULL;
  int rc = wl_os_fopen("/dev/urandom", "rb", &f);
  if (rc)
    return rc;
  size_t got = fread(out, 1, n, f);
  fclose(f);
  return got == n ? WL_OK : wl_err(WL_E_IO, "/dev/urandom: short read");
}

int wl_ui_loopback_addr(uint16_t port, void *buf, size_t cap, size_t *len) {
  struct sockaddr_in a;
  if (cap < sizeof a)
    return wl_err(WL_E_INVAL, "wl_ui_loopback_addr: buffer too small");
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  memcpy(buf, &a, sizeof a);
  *len = sizeof a;
  return WL_OK;
}

int wl_ui_memfile(FILE **out) {
  *out = tmpfile(); /* unnamed: removed when closed */
  return *out ? WL_OK : wl_err(WL_E_IO, "tmpfile: cannot create a temporary file");
}

int wl_ui_open_browser(const char *url) {
  static const char *const tools[] = {"/usr/bin/xdg-open", "/usr/local/bin/xdg-open"};
  for (size_t i = 0; i < sizeof tools / sizeof tools[0]; i++) {
    if (access(tools[i], X_OK) != 0)
      continue;
    char *argv[] = {(char *)tools[i], (char *)url, NULL};
    uint32_t pid = 0;
    return wl_os_spawn(argv, NULL, &pid);
  }
  return wl_err(WL_E_UNSUPPORTED, "no xdg-open to start a browser");
}
