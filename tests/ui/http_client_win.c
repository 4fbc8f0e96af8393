/* http_client_win.c — tests/ui/http_client.h on Winsock (the Windows flavour, under wine). */
#include "tests/ui/http_client.h"

#include <stdlib.h>
#include <string.h>
#include <winsock2.h>

int tc_http_raw(uint16_t port, const char *req, size_t len, char **out, size_t *n) {
  static int started;
  WSADATA wsa;
  struct sockaddr_in a;
  size_t cap = 65536, got = 0;
  if (!started && WSAStartup(MAKEWORD(2, 2), &wsa) == 0)
    started = 1;
  SOCKET s = socket(AF_INET, SOCK_STREAM, 0);
  char *buf = malloc(cap);
  if (s == INVALID_SOCKET || !buf)
    return -1;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(s, (struct sockaddr *)&a, sizeof a)) {
    closesocket(s), free(buf);
    return -1;
  }
  for (size_t off = 0; off < len;) {
    int k = send(s, req + off, (int)(len - off), 0);
    if (k <= 0)
      break;
    off += (size_t)k;
  }
  for (;;) {
    if (cap - got < 4096 && !(buf = realloc(buf, cap *= 2)))
      return -1;
    int k = recv(s, buf + got, (int)(cap - got - 1), 0);
    if (k <= 0)
      break;
    got += (size_t)k;
  }
  closesocket(s);
  buf[got] = 0;
  *out = buf, *n = got;
  return got ? 0 : -1;
}
