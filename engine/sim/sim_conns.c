/* sim_conns.c — the sim's connection table (issue 19): what GetExtendedTcpTable /
 * GetExtendedUdpTable would show on the simulated machine, so the capture's self-check can
 * compare what is open with the allow events it recorded, and a test can see it notice when
 * allow events do not come.
 *
 * Every attempt the sim classifies as allowed opens a connection that stays in the table for
 * WL_SIM_CONN_HOLD_MS after its (last) classify: TCP as ESTABLISHED (in both directions: an
 * accepted inbound connection is established too), UDP as a bound endpoint (a listener: UDP
 * tables have no remote end). Same 5-tuple again: the entry is refreshed, not duplicated. The
 * table is the bus's (one per state file per process, like the events), bounded at
 * WL_SIM_CONN_CAP entries (open addressing by the 5-tuple's hash; when every slot of a probe is
 * open, its oldest is overwritten). Read in slot order, not opening order. The owner pid is 0 (an attempt names no
 * process), the image is the attempt's app as a DOS path when the drive map has its volume.
 *
 * Also here: the "suppress allow events" switch (wl_sim_suppress_allow), the sim's model of the
 * Windows 11 build on which a subscription with the CLASSIFY_ALLOW keyword got only drops.
 */
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_text.h"
#include "engine/sim/sim_internal.h"

void wl_sim_conns_init(wl_sim_conns *t) {
  memset(t, 0, sizeof *t);
  wl_mutex_init(&t->mu);
}

void wl_sim_conns_destroy(wl_sim_conns *t) { wl_mutex_destroy(&t->mu); }

static int same_flow(const wl_conn *a, const wl_conn *b) {
  return a->proto == b->proto && a->ip_version == b->ip_version &&
         a->local_port == b->local_port && a->remote_port == b->remote_port &&
         memcmp(a->local_addr, b->local_addr, 16) == 0 &&
         memcmp(a->remote_addr, b->remote_addr, 16) == 0;
}

/* FNV-1a of the 5-tuple: the slot the probe starts at. */
static size_t slot_of(const wl_conn *c) {
  uint64_t h = 1469598103934665603ULL;
  const uint8_t *parts[2] = {c->local_addr, c->remote_addr};
  for (int k = 0; k < 2; k++)
    for (int i = 0; i < 16; i++)
      h = (h ^ parts[k][i]) * 1099511628211ULL;
  uint32_t rest[3] = {c->proto, c->local_port, c->remote_port};
  for (int i = 0; i < 3; i++)
    h = (h ^ rest[i]) * 1099511628211ULL;
  return (size_t)(h % WL_SIM_CONN_CAP);
}

void wl_sim_conns_add(wl_sim_conns *t, const wl_attempt *a, const char *app_dos) {
  wl_conn c;
  memset(&c, 0, sizeof c);
  c.proto = a->proto;
  c.ip_version = a->ip_version;
  c.local_port = a->local_port;
  memcpy(c.local_addr, a->local_addr, 16);
  c.state = a->proto == 17 ? WL_CONN_LISTEN : WL_CONN_ESTABLISHED;
  if (c.state == WL_CONN_ESTABLISHED) {
    c.remote_port = a->remote_port;
    memcpy(c.remote_addr, a->remote_addr, 16);
  }
  wl_strlcpy(c.app, app_dos && *app_dos ? app_dos : a->app, sizeof c.app);
  uint64_t now = wl_time_mono_ns(), hold = (uint64_t)WL_SIM_CONN_HOLD_MS * 1000000u;
  size_t s0 = slot_of(&c), at = s0;
  wl_mutex_lock(&t->mu);
  /* Open addressing, WL_SIM_CONN_PROBE slots: this flow's slot, else a free or closed one,
   * else the oldest of them is overwritten (a flow classified at speed 0 costs O(1)). */
  for (size_t k = 0; k < WL_SIM_CONN_PROBE; k++) {
    size_t i = (s0 + k) % WL_SIM_CONN_CAP;
    if (t->e[i].used && same_flow(&t->e[i].c, &c)) {
      at = i;
      break;
    }
    if (!t->e[i].used || now - t->e[i].seen_ns > hold) {
      if (t->e[at].used && now - t->e[at].seen_ns <= hold)
        at = i; /* the first free one */
    } else if (t->e[at].used && now - t->e[at].seen_ns <= hold &&
               t->e[i].seen_ns < t->e[at].seen_ns) {
      at = i; /* the oldest open one, if nothing is free */
    }
  }
  if (!t->e[at].used || !same_flow(&t->e[at].c, &c))
    t->e[at].c = c;
  t->e[at].used = 1;
  t->e[at].seen_ns = now;
  wl_mutex_unlock(&t->mu);
}

int wl_sim_conns_read(wl_sim_conns *t, wl_conn *out, size_t cap, size_t *n, size_t *total) {
  uint64_t now = wl_time_mono_ns(), hold = (uint64_t)WL_SIM_CONN_HOLD_MS * 1000000u;
  size_t k = 0, all = 0;
  wl_mutex_lock(&t->mu);
  for (size_t i = 0; i < WL_SIM_CONN_CAP; i++) {
    if (!t->e[i].used || now - t->e[i].seen_ns > hold)
      continue; /* free, or closed */
    if (k < cap)
      out[k++] = t->e[i].c;
    all++;
  }
  wl_mutex_unlock(&t->mu);
  *n = k;
  *total = all;
  return WL_OK;
}
