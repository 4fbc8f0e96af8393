/* test_store_gen.c — seeded event streams and the brute-force rollup model (see the header). */
#include "tests/support/test_store_gen.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t tsg_next(uint64_t *rng) {
  uint64_t z = (*rng += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static uint64_t mix(uint64_t x) {
  uint64_t r = x * 0x9e3779b97f4a7c15ull + 12345;
  return tsg_next(&r);
}

static const uint16_t out_ports[8] = {443, 80, 53, 123, 8080, 5228, 993, 22};
static const uint16_t in_ports[4] = {3389, 445, 5353, 137};

static void fill_addrs(uint32_t f, int v6, wl_event *ev) {
  if (v6) {
    static const uint8_t pre[4] = {0x20, 0x01, 0x0d, 0xb8};
    memcpy(ev->remote_addr, pre, 4);
    ev->remote_addr[12] = (uint8_t)(f >> 24);
    ev->remote_addr[13] = (uint8_t)(f >> 16);
    ev->remote_addr[14] = (uint8_t)(f >> 8);
    ev->remote_addr[15] = (uint8_t)f;
    ev->local_addr[0] = 0xfe;
    ev->local_addr[1] = 0x80;
    ev->local_addr[15] = 0x10;
  } else {
    ev->remote_addr[0] = 10;
    ev->remote_addr[1] = (uint8_t)(f >> 16);
    ev->remote_addr[2] = (uint8_t)(f >> 8);
    ev->remote_addr[3] = (uint8_t)f;
    static const uint8_t local[4] = {192, 168, 1, 10};
    memcpy(ev->local_addr, local, 4);
  }
}

void tsg_flow_event(uint32_t f, uint32_t napps, uint64_t ts, uint64_t *rng, wl_event *ev) {
  uint64_t h = mix(f), r = tsg_next(rng);
  uint32_t app = f % (napps ? napps : 1);
  memset(ev, 0, sizeof *ev);
  ev->ts = ts;
  snprintf(ev->app, sizeof ev->app, "\\device\\harddiskvolume3\\apps\\app%u\\bin%u.exe", app,
           app);
  if (app % 4)
    snprintf(ev->app_dos, sizeof ev->app_dos, "C:\\apps\\app%u\\bin%u.exe", app, app);
  snprintf(ev->user, sizeof ev->user, "S-1-5-21-1000-1000-1000-%u", 1001 + app % 3);
  ev->has = WL_HAS_PROTO | WL_HAS_LOCAL_ADDR | WL_HAS_REMOTE_ADDR | WL_HAS_LOCAL_PORT |
            WL_HAS_REMOTE_PORT | WL_HAS_APP | WL_HAS_USER | WL_HAS_IP_VERSION | WL_HAS_FILTER |
            WL_HAS_LAYER | WL_HAS_DIR | WL_HAS_LOOPBACK;
  if (app % 7 == 0) {
    snprintf(ev->package, sizeof ev->package, "S-1-15-2-%u-2-3", app);
    ev->has |= WL_HAS_PACKAGE;
  }
  int v6 = (h >> 5 & 7) == 0;
  ev->ip_version = v6 ? 6 : 4;
  fill_addrs(f, v6, ev);
  ev->dir = (h & 7) == 0 ? WL_DIR_IN : WL_DIR_OUT;
  ev->proto = (h >> 3 & 3) == 0 ? 17 : 6;
  uint16_t eph = (uint16_t)(49152 + r % 16384);
  ev->remote_port = ev->dir == WL_DIR_OUT ? out_ports[h >> 12 & 7] : eph;
  ev->local_port = ev->dir == WL_DIR_OUT ? eph : in_ports[h >> 14 & 3];
  int drop = ev->dir == WL_DIR_IN ? (h >> 20 & 1) == 0 : (h >> 20 & 7) == 0;
  ev->type = drop ? WL_EVT_DROP : WL_EVT_ALLOW;
  ev->filter_id = drop ? 70000 + (h >> 25 & 3) : 65000 + (h >> 22 & 7);
  ev->layer_id = (uint16_t)(ev->dir == WL_DIR_IN ? (v6 ? WL_LAYER_ALE_AUTH_RECV_ACCEPT_V6
                                                       : WL_LAYER_ALE_AUTH_RECV_ACCEPT_V4)
                                                 : (v6 ? WL_LAYER_ALE_AUTH_CONNECT_V6
                                                       : WL_LAYER_ALE_AUTH_CONNECT_V4));
  ev->origin = WL_ORIGIN_LIVE;
}

void tsg_random_event(uint32_t nflows, uint32_t napps, uint64_t ts, uint64_t *rng,
                      wl_event *ev) {
  tsg_flow_event((uint32_t)(tsg_next(rng) % nflows), napps, ts, rng, ev);
  uint64_t r = tsg_next(rng);
  if ((r & 15) == 0)
    ev->type = ev->type == WL_EVT_DROP ? WL_EVT_CAP_DROP : WL_EVT_CAP_ALLOW;
  if ((r >> 4 & 63) == 0)
    ev->type = WL_EVT_OTHER;
  if ((r >> 10 & 31) == 0) /* unset fields keep garbage values: the store must ignore them */
    ev->has &= ~WL_HAS_DIR;
  if ((r >> 15 & 31) == 0)
    ev->has &= ~WL_HAS_REMOTE_ADDR;
  if ((r >> 20 & 31) == 0) {
    ev->has &= ~WL_HAS_APP;
    ev->app[0] = ev->app_dos[0] = 0;
  }
  if ((r >> 25 & 31) == 0)
    ev->has &= ~(WL_HAS_FILTER | WL_HAS_LAYER);
  if ((r >> 30 & 15) == 0) {
    ev->has &= ~WL_HAS_USER;
    ev->user[0] = 0;
  }
  if ((r >> 34 & 31) == 0) {
    ev->has |= WL_HAS_REAUTH;
    ev->reauth = (uint32_t)(r >> 40 & 0xff) + 1;
  }
  if ((r >> 48 & 7) == 0)
    ev->filter_id += 100; /* same flow, another filter: last_filter_id must follow time */
  if ((r >> 51 & 31) == 0)
    ev->has &= ~(WL_HAS_LOCAL_PORT | WL_HAS_REMOTE_PORT | WL_HAS_LOCAL_ADDR);
  ev->is_loopback = (r >> 56 & 15) == 0;
  ev->origin = (uint8_t)(r >> 60) % 5;
}

int tsg_zipf_init(tsg_zipf *z, uint32_t n, double s) {
  z->n = n;
  z->cdf = malloc((size_t)n * sizeof *z->cdf);
  if (!z->cdf)
    return -1;
  double sum = 0;
  for (uint32_t i = 0; i < n; i++)
    z->cdf[i] = (sum += 1.0 / pow((double)(i + 1), s));
  for (uint32_t i = 0; i < n; i++)
    z->cdf[i] /= sum;
  return 0;
}

uint32_t tsg_zipf_draw(const tsg_zipf *z, uint64_t *rng) {
  double u = (double)(tsg_next(rng) >> 11) / 9007199254740992.0;
  uint32_t lo = 0, hi = z->n - 1;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (z->cdf[mid] < u)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

void tsg_zipf_free(tsg_zipf *z) {
  free(z->cdf);
  z->cdf = NULL;
}

/* ---------------------------------------------------------------- model */

void tsg_flow_of(const wl_event *ev, wl_flow *f) {
  memset(f, 0, sizeof *f);
  f->action = ev->type == WL_EVT_DROP || ev->type == WL_EVT_CAP_DROP ? WL_EVT_DROP
                                                                     : WL_EVT_ALLOW;
  f->dir = ev->has & WL_HAS_DIR ? ev->dir : WL_DIR_UNKNOWN;
  f->proto = ev->has & WL_HAS_PROTO ? ev->proto : 0;
  f->ip_version = ev->has & WL_HAS_IP_VERSION ? ev->ip_version : 0;
  if (ev->has & WL_HAS_REMOTE_ADDR)
    memcpy(f->remote_addr, ev->remote_addr, f->ip_version == 4 ? 4 : 16);
  if ((ev->has & WL_HAS_REMOTE_PORT) && f->dir != WL_DIR_IN)
    f->remote_port = ev->remote_port; /* inbound: the remote port is ephemeral */
  if ((ev->has & WL_HAS_LOCAL_PORT) && f->dir != WL_DIR_OUT)
    f->local_port = ev->local_port; /* outbound: the local port is ephemeral */
}

static int same_key(const wl_flow *a, const wl_flow *b) {
  return a->dir == b->dir && a->proto == b->proto && a->ip_version == b->ip_version &&
         a->action == b->action && a->remote_port == b->remote_port &&
         a->local_port == b->local_port && memcmp(a->remote_addr, b->remote_addr, 16) == 0;
}

int tsg_model_add(tsg_model *m, const wl_event *ev) {
  if (ev->type == WL_EVT_OTHER || ev->type > WL_EVT_CAP_ALLOW) {
    m->skipped++;
    return 0;
  }
  wl_flow k;
  tsg_flow_of(ev, &k);
  uint64_t filter = ev->has & WL_HAS_FILTER ? ev->filter_id : 0;
  m->stored++;
  for (size_t i = 0; i < m->n; i++) {
    wl_flow *f = &m->flows[i].f;
    if (strcmp(m->flows[i].app, ev->app) != 0 || !same_key(f, &k))
      continue;
    f->count++;
    if (ev->ts < f->first_seen)
      f->first_seen = ev->ts;
    if (ev->ts >= f->last_seen) {
      f->last_seen = ev->ts;
      f->last_filter_id = filter;
    }
    return 1;
  }
  if (m->n == m->cap) {
    size_t cap = m->cap ? m->cap * 2 : 256;
    tsg_model_flow *p = realloc(m->flows, cap * sizeof *p);
    if (!p)
      abort();
    m->flows = p;
    m->cap = cap;
  }
  tsg_model_flow *mf = &m->flows[m->n++];
  snprintf(mf->app, sizeof mf->app, "%s", ev->app);
  mf->f = k;
  mf->f.count = 1;
  mf->f.first_seen = mf->f.last_seen = ev->ts;
  mf->f.last_filter_id = filter;
  return 1;
}

void tsg_model_free(tsg_model *m) {
  free(m->flows);
  memset(m, 0, sizeof *m);
}
