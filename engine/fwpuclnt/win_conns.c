/* win_conns.c — the "wfp" backend's connection tables (wl_engine_connections, issue 19's
 * self-check): GetExtendedTcpTable with TCP_TABLE_OWNER_PID_ALL and GetExtendedUdpTable with
 * UDP_TABLE_OWNER_PID, for AF_INET and AF_INET6, through win_api.c's table (iphlpapi.dll is
 * resolved at run time from System32; a test's table answers from the fake's sim). Each owner
 * pid's image: OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION) + QueryFullProcessImageNameW
 * (flags 0: the Win32 path), remembered per pid for the call; "" when it cannot be read (System,
 * protected processes, one that just exited).
 *
 * What the documentation says and this relies on (learn.microsoft.com, "GetExtendedTcpTable
 * function (iphlpapi.h)", "MIB_TCPROW_OWNER_PID", "MIB_TCP6ROW_OWNER_PID",
 * "MIB_UDPROW_OWNER_PID", "MIB_UDP6ROW_OWNER_PID"): a too small buffer gives
 * ERROR_INSUFFICIENT_BUFFER and the size needed (the table can grow between the two calls: we
 * retry a few times with room to spare); ports are in network byte order in the low 16 bits of
 * the DWORD; the v4 addresses are DWORDs in network order; dwState MIB_TCP_STATE_LISTEN (2) and
 * MIB_TCP_STATE_ESTAB (5). Only LISTEN and ESTABLISHED rows are kept.
 */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <iphlpapi.h>

#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "engine/fwpuclnt/win_backend.h"

#define TABLE_TRIES 4
#define PID_CACHE 64u

typedef struct conn_read {
  wl_fwp *b;
  wl_conn *out;
  size_t cap, n, total;
  struct {
    DWORD pid;
    size_t at; /* index in out of an entry with this pid (its app is the image) */
  } pids[PID_CACHE];
} conn_read;

/* One table into a malloc'd buffer (*buf, free it). */
static int read_table(wl_fwp *b, int tcp, ULONG af, void **buf) {
  DWORD size = 0, e = 0;
  *buf = NULL;
  for (int i = 0; i < TABLE_TRIES; i++) {
    e = tcp ? b->api.GetExtendedTcpTable(*buf, &size, FALSE, af, TCP_TABLE_OWNER_PID_ALL, 0)
            : b->api.GetExtendedUdpTable(*buf, &size, FALSE, af, UDP_TABLE_OWNER_PID, 0);
    if (e == NO_ERROR && *buf)
      return WL_OK;
    if (e != ERROR_INSUFFICIENT_BUFFER && e != NO_ERROR)
      break;
    free(*buf);
    size += size / 4 + 256; /* the table may grow before the next call */
    if (!(*buf = malloc(size)))
      return wl_err(WL_E_NOMEM, "connection table: no memory for %lu bytes", (unsigned long)size);
  }
  free(*buf);
  *buf = NULL;
  return wl_fwp_err(&b->api, tcp ? "GetExtendedTcpTable" : "GetExtendedUdpTable", e);
}

static void image_of(conn_read *r, wl_conn *c) {
  size_t slot = c->pid % PID_CACHE;
  if (c->pid && r->pids[slot].pid == c->pid && r->pids[slot].at < r->n) {
    wl_strlcpy(c->app, r->out[r->pids[slot].at].app, sizeof c->app);
    return;
  }
  HANDLE h = c->pid ? r->b->api.OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, c->pid)
                    : NULL;
  if (h) {
    wchar_t name[WL_PATH_MAX / 2];
    DWORD len = WL_PATH_MAX / 2;
    if (r->b->api.QueryFullProcessImageNameW(h, 0, name, &len) && len < WL_PATH_MAX / 2) {
      name[len] = 0;
      wl_fwp_from_wide(name, c->app, sizeof c->app);
    }
    r->b->api.CloseHandle(h);
  }
  r->pids[slot].pid = c->pid;
  r->pids[slot].at = r->n;
}

static void add(conn_read *r, wl_conn *c) {
  r->total++;
  if (r->n >= r->cap)
    return;
  image_of(r, c);
  r->out[r->n++] = *c;
}

static uint16_t port_of(DWORD p) { return (uint16_t)(((p & 0xFFu) << 8) | ((p >> 8) & 0xFFu)); }

static int tcp_state(DWORD s) {
  return s == MIB_TCP_STATE_LISTEN ? WL_CONN_LISTEN
         : s == MIB_TCP_STATE_ESTAB ? WL_CONN_ESTABLISHED : 0;
}

static void take_tcp4(conn_read *r, const MIB_TCPTABLE_OWNER_PID *t) {
  for (DWORD i = 0; i < t->dwNumEntries; i++) {
    const MIB_TCPROW_OWNER_PID *x = &t->table[i];
    wl_conn c = {.proto = 6, .ip_version = 4, .pid = x->dwOwningPid};
    if (!(c.state = (uint8_t)tcp_state(x->dwState)))
      continue;
    memcpy(c.local_addr, &x->dwLocalAddr, 4);
    memcpy(c.remote_addr, &x->dwRemoteAddr, 4);
    c.local_port = port_of(x->dwLocalPort);
    c.remote_port = c.state == WL_CONN_LISTEN ? 0 : port_of(x->dwRemotePort);
    add(r, &c);
  }
}

static void take_tcp6(conn_read *r, const MIB_TCP6TABLE_OWNER_PID *t) {
  for (DWORD i = 0; i < t->dwNumEntries; i++) {
    const MIB_TCP6ROW_OWNER_PID *x = &t->table[i];
    wl_conn c = {.proto = 6, .ip_version = 6, .pid = x->dwOwningPid};
    if (!(c.state = (uint8_t)tcp_state(x->dwState)))
      continue;
    memcpy(c.local_addr, x->ucLocalAddr, 16);
    memcpy(c.remote_addr, x->ucRemoteAddr, 16);
    c.local_port = port_of(x->dwLocalPort);
    c.remote_port = c.state == WL_CONN_LISTEN ? 0 : port_of(x->dwRemotePort);
    add(r, &c);
  }
}

static void take_udp4(conn_read *r, const MIB_UDPTABLE_OWNER_PID *t) {
  for (DWORD i = 0; i < t->dwNumEntries; i++) {
    const MIB_UDPROW_OWNER_PID *x = &t->table[i];
    wl_conn c = {.state = WL_CONN_LISTEN, .proto = 17, .ip_version = 4, .pid = x->dwOwningPid};
    memcpy(c.local_addr, &x->dwLocalAddr, 4);
    c.local_port = port_of(x->dwLocalPort);
    add(r, &c);
  }
}

static void take_udp6(conn_read *r, const MIB_UDP6TABLE_OWNER_PID *t) {
  for (DWORD i = 0; i < t->dwNumEntries; i++) {
    const MIB_UDP6ROW_OWNER_PID *x = &t->table[i];
    wl_conn c = {.state = WL_CONN_LISTEN, .proto = 17, .ip_version = 6, .pid = x->dwOwningPid};
    memcpy(c.local_addr, x->ucLocalAddr, 16);
    c.local_port = port_of(x->dwLocalPort);
    add(r, &c);
  }
}

int wl_fwp_connections(void *impl, wl_conn *out, size_t cap, size_t *n, size_t *total) {
  wl_fwp *b = impl;
  if (!b->api.GetExtendedTcpTable || !b->api.GetExtendedUdpTable)
    return wl_err(WL_E_UNSUPPORTED, "connection tables: iphlpapi.dll has no "
                  "GetExtendedTcpTable/GetExtendedUdpTable here");
  conn_read r = {.b = b, .out = out, .cap = cap};
  static const ULONG afs[2] = {AF_INET, AF_INET6};
  int rc = WL_OK;
  for (int k = 0; k < 4 && rc == WL_OK; k++) {
    void *buf = NULL;
    int tcp = k < 2, v6 = k % 2;
    if ((rc = read_table(b, tcp, afs[v6], &buf)) != WL_OK)
      break;
    if (tcp)
      v6 ? take_tcp6(&r, buf) : take_tcp4(&r, buf);
    else
      v6 ? take_udp6(&r, buf) : take_udp4(&r, buf);
    free(buf);
  }
  *n = r.n;
  *total = r.total;
  return rc;
}
