/* fuzz_json.c — libFuzzer target for the JSON reader (and, on the strings it finds, the text
 * parsers of wl_text.h). Built only with -DWL_FUZZ=ON and clang; see common/CMakeLists.txt.
 *
 * Besides "no crash, no sanitizer report", it checks invariants that must hold for any input:
 * child counts match the lists, strings are NUL-terminated at their length, an escaped string
 * reads back identically, and every successfully parsed address, endpoint, prefix, time, GUID
 * and SID formats to text that parses back to the same value. wl_json_parse_flat accepts only
 * what wl_json_parse accepts, as a one-level object of scalars, with the same first member of
 * each slot (names mapped to 8 slots by their first byte); and wl_json_parse_flat_raw (slots
 * 0-3 raw) the same once wl_json_unescape accepts each raw string, which then reads as the tree
 * has it; when an unescape fails, wl_json_parse fails too. wl_json_parse_flat_shaped reads each
 * line of the input (and of the inputs before: its layouts are kept across them) exactly as
 * wl_json_parse_flat_raw does: the same result, members, names, texts and flags.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_json.h"
#include "common/wl_text.h"

#define CHECK(c) \
  do {           \
    if (!(c))    \
      abort();   \
  } while (0)

static wl_json_arena arena, side, flat; /* reused across inputs: exercises reset */

#define SLOTS 8
static int slot_of(const char *k, size_t n) { return n ? (unsigned char)k[0] % SLOTS : -1; }

/* The tree's first member whose name maps to slot k, as the flat reader keeps it. */
static const wl_json *first_in_slot(const wl_json *root, int k) {
  for (const wl_json *c = root->child; c; c = c->next)
    if (slot_of(c->key, c->key_len) == k)
      return c;
  return NULL;
}

/* What the flat reader kept against the tree's first member of each slot. */
static void check_flat(int rc, const wl_json *root, const uint8_t *data, size_t size) {
  wl_json nodes[SLOTS];
  const wl_json *found[SLOTS];
  wl_json_arena_reset(&flat);
  if (wl_json_parse_flat(&flat, (const char *)data, size, slot_of, nodes, found, SLOTS) != WL_OK)
    return;
  CHECK(rc == WL_OK && root->type == WL_JSON_OBJECT);
  for (const wl_json *c = root->child; c; c = c->next)
    CHECK(c->type != WL_JSON_ARRAY && c->type != WL_JSON_OBJECT);
  for (int k = 0; k < SLOTS; k++) {
    const wl_json *first = first_in_slot(root, k), *f = found[k];
    CHECK(!first == !f);
    if (!first)
      continue;
    CHECK(first->type == f->type && first->key_len == f->key_len &&
          !memcmp(first->key, f->key, f->key_len));
    if (f->type == WL_JSON_STRING || f->type == WL_JSON_NUMBER)
      CHECK(first->len == f->len && !memcmp(first->str, f->str, f->len) && !f->str[f->len]);
  }
}

/* The flat reader with raw slots: its raw strings unescaped are the tree's. */
static void check_flat_raw(int rc, const wl_json *root, const uint8_t *data, size_t size) {
  wl_json nodes[SLOTS];
  const wl_json *found[SLOTS];
  wl_json_arena_reset(&flat);
  if (wl_json_parse_flat_raw(&flat, (const char *)data, size, slot_of, nodes, found, SLOTS,
                             0x0fu) != WL_OK)
    return;
  for (int k = 0; k < SLOTS; k++) {
    const wl_json *f = found[k];
    if (!f || !f->raw)
      continue;
    CHECK(k < 4 && f->type == WL_JSON_STRING);
    const char *s;
    size_t n;
    int nul;
    if (wl_json_unescape(&flat, f, &s, &n, &nul) != WL_OK) {
      CHECK(rc != WL_OK);
      return;
    }
    nodes[k].str = s;
    nodes[k].len = n;
    nodes[k].has_nul = nul;
  }
  CHECK(rc == WL_OK && root->type == WL_JSON_OBJECT);
  for (int k = 0; k < SLOTS; k++) {
    const wl_json *first = first_in_slot(root, k), *f = found[k];
    CHECK(!first == !f);
    if (first && (f->type == WL_JSON_STRING || f->type == WL_JSON_NUMBER))
      CHECK(first->type == f->type && first->len == f->len &&
            !memcmp(first->str, f->str, f->len) && !f->str[f->len] &&
            (f->type != WL_JSON_STRING || first->has_nul == f->has_nul));
  }
}

static wl_json_shapes shapes; /* kept across inputs, as the replay reader keeps them */
static wl_json_arena shaped;

/* Each line of the input by its layout and by the flat reader: the same reading. */
static void check_shaped(const uint8_t *data, size_t size) {
  const char *p = (const char *)data, *end = p + size;
  uint32_t raw = size && (data[0] & 1) ? 0x0fu : 0x05u; /* the raw slots vary too */
  while (p <= end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
    wl_json n1[SLOTS], n2[SLOTS];
    const wl_json *f1[SLOTS], *f2[SLOTS];
    wl_json_arena_reset(&flat);
    wl_json_arena_reset(&shaped);
    int r1 = wl_json_parse_flat_raw(&flat, p, len, slot_of, n1, f1, SLOTS, raw);
    int r2 = wl_json_parse_flat_shaped(&shapes, &shaped, p, len, slot_of, n2, f2, SLOTS, raw);
    CHECK(r1 == r2);
    for (int k = 0; r1 == WL_OK && k < SLOTS; k++) {
      const wl_json *a = f1[k], *b = f2[k];
      CHECK(!a == !b);
      if (!a)
        continue;
      CHECK(a->type == b->type && a->key == b->key && a->key_len == b->key_len &&
            a->raw == b->raw && a->has_nul == b->has_nul);
      if (a->type == WL_JSON_STRING || a->type == WL_JSON_NUMBER)
        CHECK(a->len == b->len && !memcmp(a->str, b->str, a->len) &&
              (a->raw ? a->str == b->str : !b->str[b->len]));
    }
    if (!nl)
      break;
    p = nl + 1;
  }
}

static void check_text(const char *s, size_t len) {
  uint8_t ver, addr[16], ver2, addr2[16], plen;
  uint16_t port, port2;
  uint64_t t, t2;
  char buf[WL_SID_STR_MAX];
  if (!wl_addr_parse(s, len, &ver, addr)) {
    size_t n = wl_addr_format(ver, addr, buf);
    CHECK(n < WL_ADDR_STR_MAX && !wl_addr_parse(buf, n, &ver2, addr2));
    CHECK(ver == ver2 && !memcmp(addr, addr2, 16));
  }
  if (!wl_endpoint_parse(s, len, &ver, addr, &port)) {
    size_t n = wl_endpoint_format(ver, addr, port, buf);
    CHECK(n < WL_EP_STR_MAX && !wl_endpoint_parse(buf, n, &ver2, addr2, &port2));
    CHECK(ver == ver2 && port == port2 && !memcmp(addr, addr2, 16));
  }
  wl_prefix_parse(s, len, &ver, addr, &plen);
  if (!wl_time_parse(s, len, &t)) {
    size_t n = wl_time_format(t, buf);
    CHECK(n < WL_TIME_STR_MAX && !wl_time_parse(buf, n, &t2) && t == t2);
  }
  if (strlen(s) == len) { /* the NUL-terminated parsers */
    wl_guid g, g2;
    uint8_t sid[WL_SID_MAX], sid2[WL_SID_MAX];
    int n;
    if (!wl_guid_parse(s, &g)) {
      wl_guid_format(&g, buf);
      CHECK(!wl_guid_parse(buf, &g2) && wl_guid_eq(&g, &g2));
    }
    if ((n = wl_sid_from_string(s, sid)) > 0) {
      CHECK(!wl_sid_to_string(sid, (size_t)n, buf, sizeof buf));
      CHECK(wl_sid_from_string(buf, sid2) == n && !memcmp(sid, sid2, (size_t)n));
    }
    wl_duration_parse(s, &t);
  }
  uint8_t u16[512];
  char back[1024];
  size_t n16 = wl_utf8_to_utf16le(s, len, u16, sizeof u16);
  if (n16 <= sizeof u16)
    wl_utf16le_to_utf8(u16, n16, back, sizeof back);
}

static void walk(const wl_json *v, unsigned depth) {
  CHECK(depth <= WL_JSON_MAX_DEPTH + 1);
  int64_t i;
  uint64_t u;
  double d;
  wl_json_int64(v, &i);
  wl_json_uint64(v, &u);
  wl_json_double(v, &d);
  if (v->type == WL_JSON_STRING || v->type == WL_JSON_NUMBER)
    CHECK(v->str && v->str[v->len] == 0);
  if (v->type == WL_JSON_STRING) {
    check_text(v->str, v->len);
    char esc[256];
    size_t n = wl_json_escape(esc, sizeof esc, v->str), plain = strlen(v->str);
    const wl_json *r;
    if (n < sizeof esc) {
      wl_json_arena_reset(&side);
      CHECK(!wl_json_parse(&side, esc, n, &r, NULL) && r->type == WL_JSON_STRING);
      CHECK(r->len == plain && !memcmp(r->str, v->str, plain)); /* input was valid UTF-8 */
    }
  }
  size_t count = 0;
  for (const wl_json *c = v->child; c; c = c->next, count++) {
    CHECK((v->type == WL_JSON_OBJECT) == (c->key != NULL));
    if (c->key)
      CHECK(c->key[c->key_len] == 0 && (strlen(c->key) != c->key_len || wl_json_get_ci(v, c->key)));
    walk(c, depth + 1);
  }
  if (v->type == WL_JSON_ARRAY || v->type == WL_JSON_OBJECT)
    CHECK(count == v->len && (!count || wl_json_at(v, count - 1) || v->type == WL_JSON_OBJECT));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const wl_json *root;
  wl_json_error err;
  wl_json_arena_reset(&arena);
  int rc = wl_json_parse(&arena, (const char *)data, size, &root, &err);
  if (rc == WL_OK)
    walk(root, 1);
  else
    CHECK(rc == WL_E_PARSE && err.column >= 1 && err.column <= size + 1 && err.reason[0]);
  check_flat(rc, root, data, size);
  check_flat_raw(rc, root, data, size);
  check_shaped(data, size);
  /* the raw bytes as text too (bounded so the per-input cost stays small) */
  if (size < 128) {
    char s[128];
    memcpy(s, data, size);
    s[size] = 0;
    check_text(s, size);
  }
  return 0;
}
