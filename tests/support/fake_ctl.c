/* fake_ctl.c — see fake_ctl.h. Finds the fake's exports in the fwpuclnt.dll this process
 * loaded, and the fake's engine HANDLE inside a "wfp" wl_engine (engine/backend.h and
 * engine/fwpuclnt/win_backend.h: tests may look inside). */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <iphlpapi.h>

#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "common/wl_err.h"
#include "engine/backend.h"
#include "engine/fwpuclnt/win_backend.h"
#include "tests/fake_fwpuclnt/win_fake.h"
#include "tests/support/fake_ctl.h"

static void *fake_sym(const char *name) {
  HMODULE m = GetModuleHandleW(L"fwpuclnt.dll");
  if (!m)
    m = LoadLibraryW(L"fwpuclnt.dll");
  FARPROC p = m ? GetProcAddress(m, name) : NULL;
  void *v;
  memcpy(&v, &p, sizeof v);
  return v;
}

#define FAKE_FN(type, var, name)                                                       \
  type var;                                                                            \
  {                                                                                    \
    void *p_ = fake_sym(name);                                                         \
    if (!p_)                                                                           \
      return wl_err(WL_E_UNSUPPORTED, "%s: fwpuclnt.dll here is not our fake", name);  \
    memcpy(&var, &p_, sizeof var);                                                     \
  }

/* The fake's engine HANDLE behind a "wfp" engine, or NULL. */
static HANDLE handle_of(wl_engine *e) {
  if (!e || strcmp(e->ops->kind, "wfp"))
    return NULL;
  return ((wl_fwp *)e->impl)->engine;
}

static int fake_rc(const char *fn, int rc) {
  if (rc == WL_OK)
    return WL_OK;
  wl_fake_errmsg_fn msg;
  void *p = fake_sym("wl_fake_errmsg");
  memcpy(&msg, &p, sizeof msg);
  const char *m = msg ? msg() : NULL;
  return wl_err(rc, "%s: %s", fn, m && *m ? m : wl_strerror(rc));
}

#define NEED_HANDLE(h, e, fn)                                             \
  HANDLE h = handle_of(e);                                                \
  if (!h)                                                                 \
    return wl_err(WL_E_INVAL, "%s: not a \"wfp\" engine over the fake", fn);

int wl_fakectl_classify(wl_engine *e, const wl_attempt *a, wl_decision *out) {
  NEED_HANDLE(h, e, "wl_fake_classify");
  FAKE_FN(wl_fake_classify_fn, f, "wl_fake_classify");
  return fake_rc("wl_fake_classify", f(h, a, out));
}

int wl_fakectl_run_traffic(wl_engine *e, const char *path, double speed, wl_sim_stats *stats) {
  NEED_HANDLE(h, e, "wl_fake_run_traffic");
  FAKE_FN(wl_fake_run_traffic_fn, f, "wl_fake_run_traffic");
  return fake_rc("wl_fake_run_traffic", f(h, path, speed, stats));
}

int wl_fakectl_stop(wl_engine *e) {
  NEED_HANDLE(h, e, "wl_fake_stop");
  FAKE_FN(wl_fake_stop_fn, f, "wl_fake_stop");
  return fake_rc("wl_fake_stop", f(h));
}

int wl_fakectl_drain(wl_engine *e, unsigned timeout_ms) {
  NEED_HANDLE(h, e, "wl_fake_drain");
  FAKE_FN(wl_fake_drain_fn, f, "wl_fake_drain");
  return fake_rc("wl_fake_drain", f(h, timeout_ms));
}

int wl_fakectl_bfe(int running) {
  FAKE_FN(wl_fake_bfe_fn, f, "wl_fake_bfe");
  return fake_rc("wl_fake_bfe", f(running));
}

int wl_fakectl_set_drive(wl_engine *e, char letter, const char *device) {
  NEED_HANDLE(h, e, "wl_fake_set_drive");
  FAKE_FN(wl_fake_set_drive_fn, f, "wl_fake_set_drive");
  return fake_rc("wl_fake_set_drive", f(h, letter, device));
}

int wl_fakectl_set_file(wl_engine *e, const char *path, int exists) {
  NEED_HANDLE(h, e, "wl_fake_set_file");
  FAKE_FN(wl_fake_set_file_fn, f, "wl_fake_set_file");
  return fake_rc("wl_fake_set_file", f(h, path, exists));
}

int wl_fakectl_suppress_allow(wl_engine *e, int on) {
  NEED_HANDLE(h, e, "wl_fake_suppress_allow");
  FAKE_FN(wl_fake_suppress_allow_fn, f, "wl_fake_suppress_allow");
  return fake_rc("wl_fake_suppress_allow", f(h, on));
}

/* ---- the connection tables, answered from the fake's sim (issue 19) ----
 * The sim's connections name an app, not a process: each distinct app gets a made-up pid
 * (FAKE_PID0 + 4 * its index), which the fake OpenProcess turns into a pseudo handle and the
 * fake QueryFullProcessImageNameW into the app's path. Called from one thread at a time (the
 * capture's consumer, or the test). */
#define FAKE_PID0 0x40000u
#define FAKE_APPS 64u
#define FAKE_CONNS 256u
static char g_apps[FAKE_APPS][WL_PATH_MAX];
static unsigned g_napps;
static int g_real_tables; /* wl_fakectl_real_conn_tables */

void wl_fakectl_real_conn_tables(int real) { g_real_tables = real; }

static DWORD pid_of(const char *app) {
  unsigned i = 0;
  while (i < g_napps && strcmp(g_apps[i], app))
    i++;
  if (i == g_napps) {
    if (g_napps == FAKE_APPS)
      return 0;
    wl_strlcpy(g_apps[g_napps++], app, WL_PATH_MAX);
  }
  return FAKE_PID0 + 4 * i;
}

/* The sim's connections of this protocol and address family. */
static size_t sim_conns(wl_conn *c, int proto, ULONG af) {
  wl_fake_connections_fn f;
  void *p = fake_sym("wl_fake_connections");
  memcpy(&f, &p, sizeof f);
  size_t n = 0, total = 0, k = 0;
  if (!f || f(NULL, c, FAKE_CONNS, &n, &total) != WL_OK)
    return 0;
  for (size_t i = 0; i < n; i++)
    if (c[i].proto == proto && c[i].ip_version == (af == AF_INET6 ? 6 : 4))
      c[k++] = c[i];
  return k;
}

static DWORD net_port(uint16_t p) { return (DWORD)(((p & 0xFFu) << 8) | (p >> 8)); }

/* Size check as iphlpapi does it: too small (or no buffer) → the size needed. */
static int too_small(PVOID t, PDWORD size, DWORD need) {
  if (t && *size >= need)
    return 0;
  *size = need;
  return 1;
}

static void tcp_fill(PVOID t, const wl_conn *c, size_t n, ULONG af) {
  for (size_t i = 0; i < n; i++) {
    DWORD st = c[i].state == WL_CONN_LISTEN ? MIB_TCP_STATE_LISTEN : MIB_TCP_STATE_ESTAB;
    if (af == AF_INET) {
      MIB_TCPROW_OWNER_PID *x = &((MIB_TCPTABLE_OWNER_PID *)t)->table[i];
      x->dwState = st;
      memcpy(&x->dwLocalAddr, c[i].local_addr, 4);
      memcpy(&x->dwRemoteAddr, c[i].remote_addr, 4);
      x->dwLocalPort = net_port(c[i].local_port);
      x->dwRemotePort = net_port(c[i].remote_port);
      x->dwOwningPid = pid_of(c[i].app);
    } else {
      MIB_TCP6ROW_OWNER_PID *x = &((MIB_TCP6TABLE_OWNER_PID *)t)->table[i];
      memset(x, 0, sizeof *x);
      x->dwState = st;
      memcpy(x->ucLocalAddr, c[i].local_addr, 16);
      memcpy(x->ucRemoteAddr, c[i].remote_addr, 16);
      x->dwLocalPort = net_port(c[i].local_port);
      x->dwRemotePort = net_port(c[i].remote_port);
      x->dwOwningPid = pid_of(c[i].app);
    }
  }
}

static DWORD WINAPI fake_tcp_table(PVOID t, PDWORD size, BOOL order, ULONG af, ULONG cls,
                                   ULONG reserved) {
  (void)order, (void)reserved;
  if (cls != TCP_TABLE_OWNER_PID_ALL || (af != AF_INET && af != AF_INET6) || !size)
    return ERROR_INVALID_PARAMETER;
  wl_conn *c = malloc(FAKE_CONNS * sizeof *c);
  if (!c)
    return ERROR_NOT_ENOUGH_MEMORY;
  size_t n = sim_conns(c, 6, af);
  DWORD row = af == AF_INET ? sizeof(MIB_TCPROW_OWNER_PID) : sizeof(MIB_TCP6ROW_OWNER_PID);
  DWORD need = (DWORD)(offsetof(MIB_TCPTABLE_OWNER_PID, table) + (n ? n : 1) * row);
  DWORD rc = ERROR_INSUFFICIENT_BUFFER;
  if (!too_small(t, size, need)) {
    ((MIB_TCPTABLE_OWNER_PID *)t)->dwNumEntries = (DWORD)n; /* first member of both */
    tcp_fill(t, c, n, af);
    rc = NO_ERROR;
  }
  free(c);
  return rc;
}

static DWORD WINAPI fake_udp_table(PVOID t, PDWORD size, BOOL order, ULONG af, ULONG cls,
                                   ULONG reserved) {
  (void)order, (void)reserved;
  if (cls != UDP_TABLE_OWNER_PID || (af != AF_INET && af != AF_INET6) || !size)
    return ERROR_INVALID_PARAMETER;
  wl_conn *c = malloc(FAKE_CONNS * sizeof *c);
  if (!c)
    return ERROR_NOT_ENOUGH_MEMORY;
  size_t n = sim_conns(c, 17, af);
  DWORD row = af == AF_INET ? sizeof(MIB_UDPROW_OWNER_PID) : sizeof(MIB_UDP6ROW_OWNER_PID);
  DWORD need = (DWORD)(offsetof(MIB_UDPTABLE_OWNER_PID, table) + (n ? n : 1) * row);
  DWORD rc = ERROR_INSUFFICIENT_BUFFER;
  if (!too_small(t, size, need)) {
    ((MIB_UDPTABLE_OWNER_PID *)t)->dwNumEntries = (DWORD)n;
    for (size_t i = 0; i < n; i++) {
      if (af == AF_INET) {
        MIB_UDPROW_OWNER_PID *x = &((MIB_UDPTABLE_OWNER_PID *)t)->table[i];
        memcpy(&x->dwLocalAddr, c[i].local_addr, 4);
        x->dwLocalPort = net_port(c[i].local_port);
        x->dwOwningPid = pid_of(c[i].app);
      } else {
        MIB_UDP6ROW_OWNER_PID *x = &((MIB_UDP6TABLE_OWNER_PID *)t)->table[i];
        memset(x, 0, sizeof *x);
        memcpy(x->ucLocalAddr, c[i].local_addr, 16);
        x->dwLocalPort = net_port(c[i].local_port);
        x->dwOwningPid = pid_of(c[i].app);
      }
    }
    rc = NO_ERROR;
  }
  free(c);
  return rc;
}

static int fake_pid(DWORD pid) {
  return pid >= FAKE_PID0 && pid < FAKE_PID0 + 4 * g_napps && (pid - FAKE_PID0) % 4 == 0;
}

static HANDLE WINAPI fake_open_process(DWORD access, BOOL inherit, DWORD pid) {
  if (!fake_pid(pid))
    return OpenProcess(access, inherit, pid);
  return (HANDLE)(uintptr_t)pid; /* not a real handle value: only our functions see it */
}

static BOOL WINAPI fake_image_name(HANDLE h, DWORD flags, LPWSTR name, PDWORD size) {
  DWORD pid = (DWORD)(uintptr_t)h;
  if (!fake_pid(pid))
    return QueryFullProcessImageNameW(h, flags, name, size);
  const char *app = g_apps[(pid - FAKE_PID0) / 4];
  size_t len = strlen(app);
  if (len + 1 > *size) {
    SetLastError(ERROR_INSUFFICIENT_BUFFER);
    return FALSE;
  }
  for (size_t k = 0; k <= len; k++) /* the sim's paths are ASCII in the tests */
    name[k] = (wchar_t)(unsigned char)app[k];
  *size = (DWORD)len;
  return TRUE;
}

static BOOL WINAPI fake_close_handle(HANDLE h) {
  return fake_pid((DWORD)(uintptr_t)h) ? TRUE : CloseHandle(h);
}

/* ---- the session: GetSystemMetrics(SM_REMOTESESSION) and RDP-Tcp's PortNumber ---- */

static int g_remote;
static uint16_t g_remote_port;

void wl_fakectl_remote_session(int remote, uint16_t port) {
  g_remote = remote;
  g_remote_port = port;
}

static int WINAPI fake_get_system_metrics(int index) {
  return index == SM_REMOTESESSION ? g_remote : GetSystemMetrics(index);
}

static LSTATUS WINAPI fake_reg_get_value(HKEY key, LPCWSTR sub, LPCWSTR value, DWORD flags,
                                         LPDWORD type, PVOID data, LPDWORD size) {
  (void)key, (void)sub, (void)flags;
  if (!g_remote_port || !value || wcscmp(value, L"PortNumber") || !data || !size ||
      *size < sizeof(DWORD))
    return ERROR_FILE_NOT_FOUND;
  *(DWORD *)data = g_remote_port;
  *size = sizeof(DWORD);
  if (type)
    *type = REG_DWORD;
  return ERROR_SUCCESS;
}

/* ---- QueryDosDeviceW answered from the fake's drive map ---- */

static wl_fwp_api g_table; /* what wl_fwp_api_load copies while the override is on */

static DWORD WINAPI fake_query_dos_device(LPCWSTR device, LPWSTR target, DWORD cap) {
  wl_fake_drive_map_fn map;
  void *p = fake_sym("wl_fake_drive_map");
  memcpy(&map, &p, sizeof map);
  wl_drive d[26];
  size_t n = 0;
  if (!map || !device || !device[0] || device[1] != L':' || map(NULL, d, 26, &n)) {
    SetLastError(ERROR_FILE_NOT_FOUND);
    return 0;
  }
  for (size_t i = 0; i < n; i++) {
    if ((wchar_t)d[i].letter != (device[0] & ~0x20))
      continue;
    size_t len = strlen(d[i].device);
    if (len + 2 > cap) {
      SetLastError(ERROR_INSUFFICIENT_BUFFER);
      return 0;
    }
    for (size_t k = 0; k < len; k++)
      target[k] = (wchar_t)(unsigned char)d[i].device[k];
    target[len] = target[len + 1] = 0; /* a multi-string: double terminator */
    return (DWORD)(len + 2);
  }
  SetLastError(ERROR_FILE_NOT_FOUND);
  return 0;
}

/* The product loads fwpuclnt.dll from System32 only, so it never finds the fake beside this
 * test: the test loads the fake itself (its own folder comes first for a bare name, and
 * WINEDLLOVERRIDES=fwpuclnt=n,b prefers it to wine's builtin) and installs the fake's table. */
int wl_fakectl_drive_map_on(void) {
  wl_fakectl_drive_map_off();
  HMODULE m = LoadLibraryW(L"fwpuclnt.dll");
  if (!m || !GetProcAddress(m, "wl_fake_outstanding")) {
    if (m)
      FreeLibrary(m);
    return wl_err(WL_E_UNSUPPORTED, "fwpuclnt.dll beside the test is not our fake");
  }
  memset(&g_table, 0, sizeof g_table);
  wl_fwp_api_resolve(m, &g_table); /* the fake's exports as they are now */
  g_table.module = m;              /* our reference, released by drive_map_off */
  g_table.QueryDosDeviceW = fake_query_dos_device;
  g_table.GetSystemMetrics = fake_get_system_metrics;
  g_table.RegGetValueW = fake_reg_get_value;
  if (!g_real_tables) { /* else left NULL: wl_fwp_api_load takes System32's iphlpapi */
    g_table.GetExtendedTcpTable = fake_tcp_table;
    g_table.GetExtendedUdpTable = fake_udp_table;
    g_table.OpenProcess = fake_open_process;
    g_table.QueryFullProcessImageNameW = fake_image_name;
    g_table.CloseHandle = fake_close_handle;
  }
  wl_fwp_api_override(&g_table);
  return WL_OK;
}

struct wl_fwp_api *wl_fakectl_table(void) { return &g_table; }

void wl_fakectl_drive_map_off(void) {
  wl_fwp_api_override(NULL);
  wl_fwp_api_unload(&g_table);
}
