/* http_client_posix.c — tests/ui/http_client.h on BSD sockets. */
#include "tests/ui/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int tc_http_raw(uint16_t port, const char *req, size_t len, char **out, size_t *n) {
  struct sockaddr_in a;
  int s = socket(AF_INET, SOCK_STREAM, 0);
  size_t cap = 65536, got = 0;
  char *buf = malloc(cap);
  if (s < 0 || !buf)
    return -1;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(s, (struct sockaddr *)&a, sizeof a)) {
    close(s), free(buf);
    return -1;
  }
  for (size_t off = 0; off < len;) {
    ssize_t k = send(s, req + off, len - off, MSG_NOSIGNAL);
    if (k <= 0)
      break; /* the server may answer and close before reading everything */
    off += (size_t)k;
  }
  for (;;) {
    if (cap - got < 4096 && !(buf = realloc(buf, cap *= 2)))
      return -1;
    ssize_t k = recv(s, buf + got, cap - got - 1, 0);
    if (k <= 0)
      break;
    got += (size_t)k;
  }
  close(s);
  buf[got] = 0;
  *out = buf, *n = got;
  return got ? 0 : -1;
}
