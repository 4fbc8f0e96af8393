/* fake_events.c — the fake fwpuclnt.dll's net events: FwpmNetEventSubscribe0..4 /
 * FwpmNetEventUnsubscribe0, and FwpmNetEventCreateEnumHandle0 / FwpmNetEventEnum0..5 /
 * FwpmNetEventDestroyEnumHandle0.
 *
 * The sim hands each event, as a wl_raw_event, to its delivery thread; there we build the
 * FWPM_NET_EVENTn of the version the subscriber asked for (Subscribe0 → FWPM_NET_EVENT1 ...
 * Subscribe4 → FWPM_NET_EVENT5), with every pointer into storage on that thread's stack, and
 * call the subscriber — on a thread of ours, as BFE calls on a worker thread of its own.
 * What a version cannot carry is not delivered to it: FWPM_NET_EVENT0/1 know only classify
 * drops (classify allow and capability events arrived with Windows 8's FWPM_NET_EVENT2), so
 * Subscribe0 and Enum0/1 skip the rest. Header flags are masked to the bits the header version
 * defines. This builder is written apart from the backend's win_evcopy.c on purpose.
 */
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "tests/fake_fwpuclnt/win_fakedll.h"

/* Header flag bits each header version defines (FWPM_NET_EVENT_FLAG_*). */
#define FLAGS_H0 0x000001FFu /* IP_PROTOCOL .. IP_VERSION */
#define FLAGS_H1 0x000003FFu /* + REAUTH_REASON (Windows 7) */
#define FLAGS_H2 0x000007FFu /* + PACKAGE_ID (Windows 8) */
#define FLAGS_H3 0x00003FFFu /* + ENTERPRISE_ID, POLICY_FLAGS, EFFECTIVE_NAME (Windows 10) */

#define FAKE_MAX_SUB_RECORDS 64 /* subscriptions of all engines at once */
#define FAKE_EV_STACK 2048      /* bytes an event's pointed-to data needs at most */

/* ---- where an event's pointed-to data goes: a stack buffer, or a root block ---- */

typedef struct ev_arena {
  void *root; /* enum: children of this root; NULL: buf */
  uint8_t *buf;
  size_t cap, used;
  int failed;
} ev_arena;

static void *ev_put(ev_arena *a, const void *p, size_t n) {
  void *out = NULL;
  if (a->root) {
    out = fake_child_dup(a->root, p, n);
  } else {
    size_t off = (a->used + 15u) & ~(size_t)15u;
    if (off + n <= a->cap) {
      out = a->buf + off;
      memcpy(out, p, n);
      a->used = off + n;
    }
  }
  if (!out)
    a->failed = 1;
  return out;
}

#define FILL_HEADER(h, r, a, mask)                                                       \
  do {                                                                                   \
    (h)->timeStamp.dwLowDateTime = (DWORD)(r)->timestamp;                                \
    (h)->timeStamp.dwHighDateTime = (DWORD)((r)->timestamp >> 32);                       \
    (h)->flags = (r)->flags & (mask);                                                    \
    (h)->ipVersion = (FWP_IP_VERSION)(r)->ip_version;                                    \
    (h)->ipProtocol = (r)->ip_protocol;                                                  \
    size_t alen_ = (r)->ip_version == WL_RAW_IP_V6 ? 16 : (r)->ip_version == WL_RAW_IP_V4 ? 4 : 0; \
    memcpy(&(h)->localAddrV6, (r)->local_addr, alen_);                                   \
    memcpy(&(h)->remoteAddrV6, (r)->remote_addr, alen_);                                 \
    (h)->localPort = (r)->local_port;                                                    \
    (h)->remotePort = (r)->remote_port;                                                  \
    (h)->scopeId = (r)->scope_id;                                                        \
    (h)->appId.size = (r)->app_id_copied;                                                \
    (h)->appId.data = (r)->app_id_copied ? ev_put((a), (r)->app_id, (r)->app_id_copied) : NULL; \
    (h)->userId = (r)->user_sid_len ? ev_put((a), (r)->user_sid, (r)->user_sid_len) : NULL; \
  } while (0)

#define FILL_HEADER_WIN8(h, r, a)                                                        \
  do {                                                                                   \
    (h)->addressFamily = (r)->ip_version == WL_RAW_IP_V6 ? FWP_AF_INET6 : FWP_AF_INET;   \
    (h)->packageSid = (r)->package_sid_len                                               \
                          ? ev_put((a), (r)->package_sid, (r)->package_sid_len) : NULL;  \
  } while (0)

/* CLASSIFY_DROP1/2 and CLASSIFY_ALLOW0 share these fields. */
#define FILL_CLASSIFY(p, r)                                                              \
  do {                                                                                   \
    (p)->filterId = (r)->filter_id;                                                      \
    (p)->layerId = (r)->layer_id;                                                        \
    (p)->reauthReason = (r)->reauth_reason;                                              \
    (p)->msFwpDirection = (r)->direction;                                                \
    (p)->isLoopback = (r)->is_loopback;                                                  \
  } while (0)

/* ---- FWPM_NET_EVENT0..5 from a raw event; -1: this version cannot carry it ---- */

static int build0(const wl_raw_event *r, FWPM_NET_EVENT0 *ev, ev_arena *a) {
  if (r->type != WL_RAW_TYPE_CLASSIFY_DROP)
    return -1;
  memset(ev, 0, sizeof *ev);
  FILL_HEADER(&ev->header, r, a, FLAGS_H0);
  ev->type = FWPM_NET_EVENT_TYPE_CLASSIFY_DROP;
  if (r->has_payload) {
    FWPM_NET_EVENT_CLASSIFY_DROP0 d = {r->filter_id, r->layer_id};
    ev->classifyDrop = ev_put(a, &d, sizeof d);
  }
  return a->failed ? -2 : 0;
}

static int build1(const wl_raw_event *r, FWPM_NET_EVENT1 *ev, ev_arena *a) {
  if (r->type != WL_RAW_TYPE_CLASSIFY_DROP)
    return -1;
  memset(ev, 0, sizeof *ev);
  FILL_HEADER(&ev->header, r, a, FLAGS_H1);
  ev->type = FWPM_NET_EVENT_TYPE_CLASSIFY_DROP;
  if (r->has_payload) {
    FWPM_NET_EVENT_CLASSIFY_DROP1 d;
    memset(&d, 0, sizeof d);
    FILL_CLASSIFY(&d, r);
    ev->classifyDrop = ev_put(a, &d, sizeof d);
  }
  return a->failed ? -2 : 0;
}

/* The Windows 8+ payload pointer for the raw event's type (NULL without a payload). */
static void *payload_win8(const wl_raw_event *r, ev_arena *a) {
  if (!r->has_payload)
    return NULL;
  if (r->type == WL_RAW_TYPE_CLASSIFY_DROP) {
    FWPM_NET_EVENT_CLASSIFY_DROP2 d;
    memset(&d, 0, sizeof d);
    FILL_CLASSIFY(&d, r);
    return ev_put(a, &d, sizeof d);
  }
  if (r->type == WL_RAW_TYPE_CLASSIFY_ALLOW) {
    FWPM_NET_EVENT_CLASSIFY_ALLOW0 d;
    memset(&d, 0, sizeof d);
    FILL_CLASSIFY(&d, r);
    return ev_put(a, &d, sizeof d);
  }
  if (r->type == WL_RAW_TYPE_CAPABILITY_DROP || r->type == WL_RAW_TYPE_CAPABILITY_ALLOW) {
    FWPM_NET_EVENT_CAPABILITY_DROP0 d; /* same layout as CAPABILITY_ALLOW0 */
    memset(&d, 0, sizeof d);
    d.filterId = r->filter_id;
    d.isLoopback = r->is_loopback;
    return ev_put(a, &d, sizeof d);
  }
  return NULL;
}

#define BUILD_WIN8(N, T, HMASK)                                                   \
  static int build##N(const wl_raw_event *r, T *ev, ev_arena *a) {                \
    memset(ev, 0, sizeof *ev);                                                    \
    FILL_HEADER(&ev->header, r, a, HMASK);                                        \
    FILL_HEADER_WIN8(&ev->header, r, a);                                          \
    ev->type = (FWPM_NET_EVENT_TYPE)r->type;                                      \
    ev->classifyDrop = payload_win8(r, a); /* one pointer slot for every member */ \
    return a->failed ? -2 : 0;                                                    \
  }
BUILD_WIN8(2, FWPM_NET_EVENT2, FLAGS_H2)
BUILD_WIN8(3, FWPM_NET_EVENT3, FLAGS_H3)
BUILD_WIN8(4, FWPM_NET_EVENT4, FLAGS_H3)
BUILD_WIN8(5, FWPM_NET_EVENT5, FLAGS_H3)

/* ---- subscriptions ---- */

typedef struct fake_sub {
  int kind; /* FAKE_SUBSCRIPTION */
  fake_engine *eng;
  int version; /* N of FwpmNetEventSubscribeN */
  union {
    FWPM_NET_EVENT_CALLBACK0 c0;
    FWPM_NET_EVENT_CALLBACK1 c1;
    FWPM_NET_EVENT_CALLBACK2 c2;
    FWPM_NET_EVENT_CALLBACK3 c3;
    FWPM_NET_EVENT_CALLBACK4 c4;
  } cb;
  void *ctx;
  void *simsub;
} fake_sub;

static wl_mutex g_sub_lock = WL_MUTEX_INIT;
static fake_sub *g_subs[FAKE_MAX_SUB_RECORDS];

/* On the sim's delivery thread. BFE ignores what happens in the callback: always WL_OK. */
static int on_sim_event(void *ctx, const wl_raw_event *r) {
  const fake_sub *s = ctx;
  uint8_t buf[FAKE_EV_STACK];
  ev_arena a = {NULL, buf, sizeof buf, 0, 0};
#define DELIVER(N, T, cbm)                   \
  {                                          \
    T ev;                                    \
    if (build##N(r, &ev, &a) == 0)           \
      s->cb.cbm(s->ctx, &ev);                \
  }                                          \
  break;
  switch (s->version) {
  case 0: DELIVER(1, FWPM_NET_EVENT1, c0)
  case 1: DELIVER(2, FWPM_NET_EVENT2, c1)
  case 2: DELIVER(3, FWPM_NET_EVENT3, c2)
  case 3: DELIVER(4, FWPM_NET_EVENT4, c3)
  default: DELIVER(5, FWPM_NET_EVENT5, c4)
  }
#undef DELIVER
  return WL_OK;
}

static int sub_track(fake_sub *s, int add) {
  int rc = add ? -1 : 0;
  wl_mutex_lock(&g_sub_lock);
  for (size_t i = 0; i < FAKE_MAX_SUB_RECORDS; i++) {
    if (add && !g_subs[i]) {
      g_subs[i] = s;
      rc = 0;
      break;
    }
    if (!add && g_subs[i] == s)
      g_subs[i] = NULL;
  }
  wl_mutex_unlock(&g_sub_lock);
  return rc;
}

/* wl_fake_refuse_newer: FwpmNetEventSubscribe1..4 exported but failing, as when the DLL is
 * newer than the engine it talks to. The code is an assumption (an RPC server without the
 * procedure answers RPC_S_PROCNUM_OUT_OF_RANGE); what matters is that a newer Subscribe can
 * fail while Subscribe0 works (issue 12, item 11). */
static atomic_int g_refuse_newer;

WL_FAKE_EXPORT int WL_FAKE_API wl_fake_refuse_newer(int refuse) {
  atomic_store(&g_refuse_newer, refuse != 0);
  return WL_OK;
}

static DWORD subscribe(HANDLE engineHandle, const FWPM_NET_EVENT_SUBSCRIPTION0 *sub, fake_sub *s,
                       HANDLE *eventsHandle) {
  fake_enter();
  fake_engine *e = fake_handle_get(engineHandle, FAKE_ENGINE);
  DWORD code = ERROR_SUCCESS;
  if (!e)
    code = ERROR_INVALID_HANDLE;
  else if (s->version > 0 && atomic_load(&g_refuse_newer))
    code = RPC_S_PROCNUM_OUT_OF_RANGE;
  else if (atomic_load(&e->in_txn)) /* "cannot be called from within a transaction" */
    code = (DWORD)FWP_E_TXN_IN_PROGRESS;
  else if (!sub || !eventsHandle || !s->cb.c0)
    code = (DWORD)FWP_E_NULL_POINTER;
  else if (sub->enumTemplate && sub->enumTemplate->numFilterConditions)
    code = ERROR_NOT_SUPPORTED; /* the fake delivers every event */
  s->kind = FAKE_SUBSCRIPTION;
  s->eng = e;
  if (code == ERROR_SUCCESS && sub_track(s, 1))
    code = ERROR_NOT_ENOUGH_QUOTA;
  else if (code == ERROR_SUCCESS) {
    code = fake_code(e->ops->subscribe(e->impl, on_sim_event, s, &s->simsub), FWP_E_NOT_FOUND);
    if (code == ERROR_SUCCESS && (code = fake_handle_add(s)) != ERROR_SUCCESS)
      e->ops->unsubscribe(e->impl, s->simsub);
    if (code != ERROR_SUCCESS)
      sub_track(s, 0);
  }
  if (code != ERROR_SUCCESS) {
    free(s);
    return code;
  }
  *eventsHandle = s;
  return ERROR_SUCCESS;
}

#define SUBSCRIBE_EXPORT(N, CB)                                                            \
  WL_FAKE_EXPORT DWORD WINAPI FwpmNetEventSubscribe##N(                                    \
      HANDLE engineHandle, const FWPM_NET_EVENT_SUBSCRIPTION0 *subscription, CB callback,  \
      void *context, HANDLE *eventsHandle) {                                               \
    fake_sub *s = calloc(1, sizeof *s);                                                    \
    if (!s)                                                                                \
      return ERROR_NOT_ENOUGH_MEMORY;                                                      \
    s->version = N;                                                                        \
    s->cb.c##N = callback;                                                                 \
    s->ctx = context;                                                                      \
    return subscribe(engineHandle, subscription, s, eventsHandle);                         \
  }
SUBSCRIBE_EXPORT(0, FWPM_NET_EVENT_CALLBACK0)
SUBSCRIBE_EXPORT(1, FWPM_NET_EVENT_CALLBACK1)
SUBSCRIBE_EXPORT(2, FWPM_NET_EVENT_CALLBACK2)
SUBSCRIBE_EXPORT(3, FWPM_NET_EVENT_CALLBACK3)
SUBSCRIBE_EXPORT(4, FWPM_NET_EVENT_CALLBACK4)

/* Ends the subscription; the sim waits for a callback in flight first. */
static void end_sub(fake_sub *s) {
  fake_handle_remove(s);
  sub_track(s, 0);
  s->eng->ops->unsubscribe(s->eng->impl, s->simsub);
  free(s);
}

WL_FAKE_EXPORT DWORD WINAPI FwpmNetEventUnsubscribe0(HANDLE engineHandle, HANDLE eventsHandle) {
  fake_enter();
  fake_sub *s = fake_handle_get(eventsHandle, FAKE_SUBSCRIPTION);
  if (!fake_handle_get(engineHandle, FAKE_ENGINE) || !s || s->eng != engineHandle)
    return ERROR_INVALID_HANDLE;
  /* FwpmNetEventUnsubscribe0 page: "cannot be called from within a transaction. It will fail
   * with FWP_E_TXN_IN_PROGRESS." The subscription stays. */
  if (atomic_load(&s->eng->in_txn))
    return (DWORD)FWP_E_TXN_IN_PROGRESS;
  end_sub(s);
  return ERROR_SUCCESS;
}

void fake_events_engine_closing(fake_engine *e) {
  for (size_t i = 0; i < FAKE_MAX_SUB_RECORDS; i++) {
    wl_mutex_lock(&g_sub_lock);
    fake_sub *s = g_subs[i] && g_subs[i]->eng == e ? g_subs[i] : NULL;
    wl_mutex_unlock(&g_sub_lock);
    if (s)
      end_sub(s);
  }
}

/* ---- enumeration of the sim's event buffer ---- */

typedef struct fake_eenum {
  int kind; /* FAKE_EVENT_ENUM */
  fake_engine *eng;
  uint64_t end;
  wl_raw_event *v;
  size_t n, cap, pos;
} fake_eenum;

static int collect(void *ctx, const wl_raw_event *r) {
  fake_eenum *h = ctx;
  if (r->timestamp > h->end)
    return WL_OK;
  if (h->n == h->cap) {
    size_t cap = h->cap ? h->cap * 2 : 64;
    wl_raw_event *v = cap <= WL_SIM_BUFFER_CAP ? realloc(h->v, cap * sizeof *v) : NULL;
    if (!v)
      return wl_err(WL_E_NOMEM, "fake fwpuclnt: event enum of more than %llu events",
                    (unsigned long long)h->n);
    h->v = v;
    h->cap = cap;
  }
  h->v[h->n++] = *r;
  return WL_OK;
}

static uint64_t ticks(FILETIME f) { return (uint64_t)f.dwHighDateTime << 32 | f.dwLowDateTime; }

WL_FAKE_EXPORT DWORD WINAPI FwpmNetEventCreateEnumHandle0(
    HANDLE engineHandle, const FWPM_NET_EVENT_ENUM_TEMPLATE0 *enumTemplate, HANDLE *enumHandle) {
  fake_enter();
  fake_engine *e = fake_handle_get(engineHandle, FAKE_ENGINE);
  if (!e)
    return ERROR_INVALID_HANDLE;
  if (!enumHandle)
    return (DWORD)FWP_E_NULL_POINTER;
  if (enumTemplate && enumTemplate->numFilterConditions)
    return ERROR_NOT_SUPPORTED;
  fake_eenum *h = calloc(1, sizeof *h);
  if (!h)
    return ERROR_NOT_ENOUGH_MEMORY;
  h->kind = FAKE_EVENT_ENUM;
  h->eng = e;
  uint64_t start = enumTemplate ? ticks(enumTemplate->startTime) : 0;
  h->end = enumTemplate ? ticks(enumTemplate->endTime) : UINT64_MAX;
  DWORD code = fake_code(e->ops->enum_events(e->impl, start ? start - 1 : 0, collect, h),
                         (DWORD)FWP_E_NOT_FOUND);
  if (code == ERROR_SUCCESS)
    code = fake_handle_add(h);
  if (code != ERROR_SUCCESS) {
    free(h->v);
    free(h);
    return code;
  }
  *enumHandle = h;
  return ERROR_SUCCESS;
}

/* Up to `want` events of version N into one root block, skipping what N cannot carry. */
#define ENUM_EXPORT(N, T)                                                                  \
  WL_FAKE_EXPORT DWORD WINAPI FwpmNetEventEnum##N(HANDLE engineHandle, HANDLE enumHandle,  \
                                                  UINT32 want, T ***entries, UINT32 *got) { \
    fake_enter();                                                                          \
    fake_eenum *h = fake_handle_get(enumHandle, FAKE_EVENT_ENUM);                          \
    if (!fake_handle_get(engineHandle, FAKE_ENGINE) || !h || h->eng != engineHandle)       \
      return ERROR_INVALID_HANDLE;                                                         \
    if (!entries || !got)                                                                  \
      return (DWORD)FWP_E_NULL_POINTER;                                                    \
    *entries = NULL;                                                                       \
    *got = 0;                                                                              \
    size_t left = h->n - h->pos, k = 0;                                                    \
    T **arr = left && want ? fake_root_alloc((left < want ? left : want) * sizeof *arr) : NULL; \
    ev_arena a = {arr, NULL, 0, 0, 0};                                                     \
    for (; arr && k < want && h->pos < h->n; h->pos++) {                                   \
      T ev;                                                                                \
      int rc = build##N(&h->v[h->pos], &ev, &a);                                           \
      if (rc == 0 && !(arr[k] = ev_put(&a, &ev, sizeof ev)))                               \
        rc = -2;                                                                           \
      if (rc == -2) {                                                                      \
        fake_root_free(arr);                                                               \
        return ERROR_NOT_ENOUGH_MEMORY;                                                    \
      }                                                                                    \
      k += rc == 0;                                                                        \
    }                                                                                      \
    if (arr && !k)                                                                         \
      fake_root_free(arr);                                                                 \
    else if (arr) {                                                                        \
      *entries = arr;                                                                      \
      *got = (UINT32)k;                                                                    \
    }                                                                                      \
    return ERROR_SUCCESS;                                                                  \
  }
ENUM_EXPORT(0, FWPM_NET_EVENT0)
ENUM_EXPORT(1, FWPM_NET_EVENT1)
ENUM_EXPORT(2, FWPM_NET_EVENT2)
ENUM_EXPORT(3, FWPM_NET_EVENT3)
ENUM_EXPORT(4, FWPM_NET_EVENT4)
ENUM_EXPORT(5, FWPM_NET_EVENT5)

WL_FAKE_EXPORT DWORD WINAPI FwpmNetEventDestroyEnumHandle0(HANDLE engineHandle,
                                                           HANDLE enumHandle) {
  fake_enter();
  fake_eenum *h = fake_handle_get(enumHandle, FAKE_EVENT_ENUM);
  if (!fake_handle_get(engineHandle, FAKE_ENGINE) || !h || h->eng != engineHandle)
    return ERROR_INVALID_HANDLE;
  fake_handle_remove(h);
  free(h->v);
  free(h);
  return ERROR_SUCCESS;
}

/* The exports mingw has no prototypes for must match the backend's pointer types. */
#if defined(__GNUC__)
#define SAME_AS_BACKEND(name)                                                               \
  _Static_assert(__builtin_types_compatible_p(__typeof__(&name), wl_##name##_fn),           \
                 #name " differs from wl_" #name "_fn")
SAME_AS_BACKEND(FwpmNetEventSubscribe1);
SAME_AS_BACKEND(FwpmNetEventSubscribe2);
SAME_AS_BACKEND(FwpmNetEventSubscribe3);
SAME_AS_BACKEND(FwpmNetEventSubscribe4);
SAME_AS_BACKEND(FwpmNetEventEnum2);
SAME_AS_BACKEND(FwpmNetEventEnum3);
SAME_AS_BACKEND(FwpmNetEventEnum4);
SAME_AS_BACKEND(FwpmNetEventEnum5);
#endif
