/* sim_store.c — the sim's state file: serialise the model field by field, check it on read.
 *
 * Format (all little-endian, written field by field so struct padding never reaches disk):
 *   header  "WLSIMST\0" | u32 version | u32 0 | u64 nonce | u64 generation | u64 body length |
 *           u64 FNV-1a of the body                                   (WL_SIM_HEADER_SIZE bytes)
 *   body    next_id, options, drive map, providers, sublayers, filters (put_body below)
 * A reader that finds a different nonce or generation in the header reloads the body.
 * Every read is bounds-checked (a short or damaged file is WL_E_CORRUPT, never a crash);
 * strings are length-prefixed and must fit their field; the body is covered by FNV-1a 64 so
 * a torn or edited file is noticed. Writes go to "FILE.tmp" and
 * are renamed over FILE (wl_os_file_replace), so readers never see half a state.
 */
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_hash.h"
#include "engine/sim/sim_internal.h"

#define SIM_MAGIC "WLSIMST"
#define SIM_VERSION 1u

typedef struct sbuf {
  uint8_t *p;
  size_t len, cap, pos;
  int err; /* sticky: WL_E_NOMEM on write, WL_E_CORRUPT on read */
} sbuf;

static void put(sbuf *b, const void *v, size_t n) {
  if (b->err || n == 0) /* nothing to copy: v and b->p may be NULL (memcpy's UB) */
    return;
  if (b->len + n > b->cap) {
    size_t nc = b->cap ? b->cap * 2 : 4096;
    while (nc < b->len + n)
      nc *= 2;
    uint8_t *p = realloc(b->p, nc);
    if (!p) {
      b->err = WL_E_NOMEM;
      return;
    }
    b->p = p;
    b->cap = nc;
  }
  memcpy(b->p + b->len, v, n);
  b->len += n;
}

static void put_uint(sbuf *b, uint64_t v, size_t n) {
  uint8_t t[8];
  for (size_t i = 0; i < n; i++)
    t[i] = (uint8_t)(v >> (8 * i));
  put(b, t, n);
}
#define put8(b, v) put_uint(b, v, 1)
#define put16(b, v) put_uint(b, v, 2)
#define put32(b, v) put_uint(b, v, 4)
#define put64(b, v) put_uint(b, v, 8)

static void put_str(sbuf *b, const char *s, size_t cap) {
  size_t n = strnlen(s, cap - 1);
  put16(b, n);
  put(b, s, n);
}

static void put_guid(sbuf *b, const wl_guid *g) {
  put32(b, g->d1);
  put16(b, g->d2);
  put16(b, g->d3);
  put(b, g->d4, 8);
}

static void get(sbuf *b, void *v, size_t n) {
  if (b->err || b->len - b->pos < n) {
    b->err = WL_E_CORRUPT;
    memset(v, 0, n);
    return;
  }
  memcpy(v, b->p + b->pos, n);
  b->pos += n;
}

static uint64_t get_uint(sbuf *b, size_t n) {
  uint8_t t[8];
  uint64_t v = 0;
  get(b, t, n);
  for (size_t i = 0; i < n; i++)
    v |= (uint64_t)t[i] << (8 * i);
  return v;
}
#define get8(b) ((uint8_t)get_uint(b, 1))
#define get16(b) ((uint16_t)get_uint(b, 2))
#define get32(b) ((uint32_t)get_uint(b, 4))
#define get64(b) get_uint(b, 8)

static void get_str(sbuf *b, char *s, size_t cap) {
  size_t n = get16(b);
  if (n >= cap) {
    b->err = WL_E_CORRUPT;
    n = 0;
  }
  get(b, s, n);
  s[n] = '\0';
}

static void get_guid(sbuf *b, wl_guid *g) {
  g->d1 = get32(b);
  g->d2 = get16(b);
  g->d3 = get16(b);
  get(b, g->d4, 8);
}

/* ---------------------------------------------------------------- objects */

static void put_owner(sbuf *b, const wl_sim_owner *o) {
  put32(b, o->pid);
  put64(b, o->session);
}

static void get_owner(sbuf *b, wl_sim_owner *o) {
  o->pid = get32(b);
  o->session = get64(b);
}

static void put_cond(sbuf *b, const wl_condition *c) {
  put8(b, c->field);
  put8(b, c->match);
  put8(b, c->proto);
  put8(b, c->ip_version);
  put8(b, c->prefix_len);
  put16(b, c->port_lo);
  put16(b, c->port_hi);
  put32(b, c->flags);
  put(b, c->addr, 16);
}

static void get_cond(sbuf *b, wl_condition *c) {
  c->field = get8(b);
  c->match = get8(b);
  c->proto = get8(b);
  c->ip_version = get8(b);
  c->prefix_len = get8(b);
  c->port_lo = get16(b);
  c->port_hi = get16(b);
  c->flags = get32(b);
  get(b, c->addr, 16);
}

static void put_filter(sbuf *b, const wl_sim_filt *x) {
  const wl_filter *f = &x->f;
  put_guid(b, &f->key);
  put64(b, f->id);
  put_str(b, f->name, sizeof f->name);
  put_str(b, f->description, sizeof f->description);
  put_guid(b, &f->provider);
  put_guid(b, &f->sublayer);
  put16(b, f->layer_id);
  put32(b, f->action);
  put32(b, f->flags);
  put8(b, f->weight_type);
  put64(b, f->weight);
  put64(b, f->effective_weight);
  put32(b, f->num_conds);
  for (uint32_t i = 0; i < f->num_conds && i < WL_FILTER_MAX_CONDS; i++)
    put_cond(b, &f->conds[i]);
  put32(b, f->app_id_len);
  put(b, f->app_id, f->app_id_len <= WL_APP_ID_MAX ? f->app_id_len : 0);
  put_str(b, f->user_sid, sizeof f->user_sid);
  put_str(b, f->package_sid, sizeof f->package_sid);
  put_owner(b, &x->own);
}

static void get_filter(sbuf *b, wl_sim_filt *x) {
  wl_filter *f = &x->f;
  memset(x, 0, sizeof *x);
  get_guid(b, &f->key);
  f->id = get64(b);
  get_str(b, f->name, sizeof f->name);
  get_str(b, f->description, sizeof f->description);
  get_guid(b, &f->provider);
  get_guid(b, &f->sublayer);
  f->layer_id = get16(b);
  f->action = get32(b);
  f->flags = get32(b);
  f->weight_type = get8(b);
  f->weight = get64(b);
  f->effective_weight = get64(b);
  f->num_conds = get32(b);
  if (f->num_conds > WL_FILTER_MAX_CONDS)
    b->err = WL_E_CORRUPT;
  for (uint32_t i = 0; i < f->num_conds && !b->err; i++)
    get_cond(b, &f->conds[i]);
  f->app_id_len = get32(b);
  if (f->app_id_len > WL_APP_ID_MAX)
    b->err = WL_E_CORRUPT;
  else
    get(b, f->app_id, f->app_id_len);
  get_str(b, f->user_sid, sizeof f->user_sid);
  get_str(b, f->package_sid, sizeof f->package_sid);
  get_owner(b, &x->own);
}

static void put_body(sbuf *b, const wl_sim_state *s) {
  put64(b, s->next_id);
  put32(b, s->collect);
  put32(b, s->keywords);
  put32(b, s->ndrives);
  for (size_t i = 0; i < s->ndrives; i++) {
    put8(b, (uint8_t)s->drives[i].letter);
    put_str(b, s->drives[i].device, sizeof s->drives[i].device);
  }
  put32(b, s->nprov);
  for (size_t i = 0; i < s->nprov; i++) {
    const wl_provider *p = &s->prov[i].p;
    put_guid(b, &p->key);
    put_str(b, p->name, sizeof p->name);
    put_str(b, p->description, sizeof p->description);
    put32(b, p->flags);
    put_owner(b, &s->prov[i].own);
  }
  put32(b, s->nsubl);
  for (size_t i = 0; i < s->nsubl; i++) {
    const wl_sublayer *x = &s->subl[i].s;
    put_guid(b, &x->key);
    put_str(b, x->name, sizeof x->name);
    put_str(b, x->description, sizeof x->description);
    put_guid(b, &x->provider);
    put32(b, x->flags);
    put16(b, x->weight);
    put_owner(b, &s->subl[i].own);
  }
  put32(b, s->nfilt);
  for (size_t i = 0; i < s->nfilt; i++)
    put_filter(b, &s->filt[i]);
  put32(b, s->kw_supported); /* files written before it was added end above */
  put32(b, (uint32_t)s->nfiles); /* then the files and the remote session (same reason) */
  put32(b, (uint32_t)s->files_len);
  put(b, s->files, s->files_len);
  put32(b, s->remote);
  put32(b, (uint32_t)s->nsigners); /* signers came last (issue 15): older files end above */
  put32(b, (uint32_t)s->signers_len);
  put(b, s->signers, s->signers_len);
}

/* The signers blob: n (key, name) pairs in len bytes, checked. */
static int get_signers(sbuf *b, wl_sim_state *s) {
  uint32_t n = get32(b), len = get32(b);
  if (b->err || n > WL_SIM_MAX_FILES || len > b->len - b->pos || (n == 0) != (len == 0))
    return b->err = WL_E_CORRUPT;
  s->signers = malloc(len ? len : 1);
  if (!s->signers)
    return wl_err(WL_E_NOMEM, "sim: no memory reading the state");
  get(b, s->signers, len);
  if (wl_sim_signers_check(s->signers, len, n) != WL_OK)
    return b->err = WL_E_CORRUPT;
  s->nsigners = n;
  s->signers_len = s->signers_cap = len;
  return b->err;
}

/* The files blob: n NUL-terminated keys in len bytes, checked. */
static int get_files(sbuf *b, wl_sim_state *s) {
  uint32_t n = get32(b), len = get32(b);
  if (b->err || n > WL_SIM_MAX_FILES || len > b->len - b->pos || (n == 0) != (len == 0))
    return b->err = WL_E_CORRUPT;
  s->files = malloc(len ? len : 1);
  if (!s->files)
    return wl_err(WL_E_NOMEM, "sim: no memory reading the state");
  get(b, s->files, len);
  uint32_t nul = 0;
  for (uint32_t i = 0; i < len; i++)
    nul += s->files[i] == 0;
  if (nul != n || (len && s->files[len - 1] != 0))
    return b->err = WL_E_CORRUPT;
  s->nfiles = n;
  s->files_len = s->files_cap = len;
  return b->err;
}

static int get_objects(sbuf *b, wl_sim_state *s) {
  int rc = WL_OK;
  uint32_t n = get32(b);
  for (uint32_t i = 0; i < n && !b->err && rc == WL_OK; i++) {
    wl_sim_prov p;
    memset(&p, 0, sizeof p);
    get_guid(b, &p.p.key);
    get_str(b, p.p.name, sizeof p.p.name);
    get_str(b, p.p.description, sizeof p.p.description);
    p.p.flags = get32(b);
    get_owner(b, &p.own);
    rc = wl_sim_state_add_prov(s, &p);
  }
  n = get32(b);
  for (uint32_t i = 0; i < n && !b->err && rc == WL_OK; i++) {
    wl_sim_subl x;
    memset(&x, 0, sizeof x);
    get_guid(b, &x.s.key);
    get_str(b, x.s.name, sizeof x.s.name);
    get_str(b, x.s.description, sizeof x.s.description);
    get_guid(b, &x.s.provider);
    x.s.flags = get32(b);
    x.s.weight = get16(b);
    get_owner(b, &x.own);
    rc = wl_sim_state_add_subl(s, &x);
  }
  n = get32(b);
  for (uint32_t i = 0; i < n && !b->err && rc == WL_OK; i++) {
    wl_sim_filt *x = malloc(sizeof *x); /* ~4 KB: not on the stack */
    if (!x)
      return wl_err(WL_E_NOMEM, "sim: no memory reading the state");
    get_filter(b, x);
    if (!b->err)
      rc = wl_sim_state_add_filt(s, x);
    free(x);
  }
  return rc;
}

static int get_body(sbuf *b, wl_sim_state *s) {
  s->next_id = get64(b);
  s->collect = get32(b);
  s->keywords = get32(b);
  uint32_t nd = get32(b);
  if (nd > 26)
    b->err = WL_E_CORRUPT;
  for (uint32_t i = 0; i < nd && !b->err; i++) {
    s->drives[i].letter = (char)get8(b);
    get_str(b, s->drives[i].device, sizeof s->drives[i].device);
  }
  s->ndrives = b->err ? 0 : nd;
  int rc = get_objects(b, s);
  /* kw_supported came later, after the objects; a file without it has the default */
  s->kw_supported = WL_SIM_KW_SUPPORTED_DEFAULT;
  if (rc == WL_OK && b->err == WL_OK && b->len - b->pos >= 4)
    s->kw_supported = get32(b);
  if (rc == WL_OK && b->err == WL_OK && b->len - b->pos >= 12) /* files came later still */
    rc = get_files(b, s);
  if (rc == WL_OK && b->err == WL_OK && b->len - b->pos >= 4)
    s->remote = get32(b);
  if (rc == WL_OK && b->err == WL_OK && b->len - b->pos >= 8)
    rc = get_signers(b, s);
  if (rc == WL_OK && b->err == WL_OK && b->pos != b->len)
    b->err = WL_E_CORRUPT;
  return rc != WL_OK ? rc : b->err;
}

/* ---------------------------------------------------------------- files */

static int parse_header(const uint8_t *h, size_t n, const char *path, uint64_t *nonce,
                        uint64_t *gen, uint64_t *body_len, uint64_t *sum) {
  sbuf b = {(uint8_t *)h, n, n, 0, 0};
  char magic[8];
  get(&b, magic, 8);
  uint32_t version = get32(&b);
  (void)get32(&b);
  *nonce = get64(&b);
  *gen = get64(&b);
  *body_len = get64(&b);
  *sum = get64(&b);
  if (b.err || memcmp(magic, SIM_MAGIC, 8) != 0)
    return wl_err(WL_E_CORRUPT, "%s: not a wfplearn sim state file", path);
  if (version != SIM_VERSION)
    return wl_err(WL_E_VERSION, "%s: sim state version %u, this build reads %u", path,
                  (unsigned)version, SIM_VERSION);
  return WL_OK;
}

int wl_sim_state_peek(const char *path, uint64_t *nonce, uint64_t *generation) {
  uint8_t h[WL_SIM_HEADER_SIZE];
  size_t got = 0;
  uint64_t blen, sum;
  int rc = wl_os_file_peek(path, h, sizeof h, &got);
  if (rc != WL_OK)
    return rc;
  return parse_header(h, got, path, nonce, generation, &blen, &sum);
}

int wl_sim_state_read(const char *path, wl_sim_state *out) {
  uint8_t *data = NULL;
  size_t len = 0;
  uint64_t nonce, gen, blen, sum;
  wl_sim_state_init(out);
  int rc = wl_os_read_file(path, WL_SIM_STATE_MAX, &data, &len);
  if (rc != WL_OK)
    return rc;
  rc = parse_header(data, len, path, &nonce, &gen, &blen, &sum);
  if (rc != WL_OK)
    goto out;
  if (blen != len - WL_SIM_HEADER_SIZE ||
      wl_fnv1a64(WL_FNV1A64_INIT, data + WL_SIM_HEADER_SIZE, blen) != sum) {
    rc = wl_err(WL_E_CORRUPT, "%s: sim state damaged (length or checksum wrong)", path);
    goto out;
  }
  sbuf b = {data + WL_SIM_HEADER_SIZE, blen, blen, 0, 0};
  rc = get_body(&b, out);
  if (rc == WL_E_CORRUPT)
    wl_err(rc, "%s: sim state damaged (body does not parse)", path);
  out->nonce = nonce;
  out->generation = gen;
out:
  free(data);
  if (rc != WL_OK)
    wl_sim_state_free(out);
  return rc;
}

int wl_sim_state_write(const char *path, wl_sim_state *s) {
  sbuf body = {0}, all = {0};
  put_body(&body, s);
  put(&all, SIM_MAGIC, 8);
  put32(&all, SIM_VERSION);
  put32(&all, 0);
  put64(&all, s->nonce);
  put64(&all, s->generation + 1);
  put64(&all, body.len);
  put64(&all, body.err ? 0 : wl_fnv1a64(WL_FNV1A64_INIT, body.p, body.len));
  put(&all, body.p, body.len);
  int rc = body.err ? body.err : all.err;
  if (rc != WL_OK) {
    wl_err(rc, "sim: no memory to write %s", path);
    goto out;
  }
  rc = wl_os_file_replace(path, all.p, all.len);
  if (rc == WL_OK)
    s->generation++;
out:
  free(body.p);
  free(all.p);
  return rc;
}
