/* paths.c — NT device paths <-> DOS paths (the contract is event/paths.h).
 *
 * WFP app ids and the Security log name files by NT device path
 * (\device\harddiskvolume3\windows\system32\svchost.exe); people, review output and
 * FwpmGetAppIdFromFileName0 use DOS paths (C:\windows\system32\svchost.exe). The map is a small
 * fixed table (at most 26 drives, devices shorter than wl_drive.device), filled from the
 * engine's drive map or from `--drive C=\device\harddiskvolume2` options. Matching is ASCII
 * case-insensitive on the device prefix and needs a '\' right after it, so
 * \device\harddiskvolume1 never matches \device\harddiskvolume10\x. When two drives name the same
 * device (subst-like setups) the longest device, then the lowest letter wins. UNC paths go
 * through the multiple UNC provider: \device\mup\server\share\x <-> \\server\share\x.
 * Lower-casing for the NT form is ASCII only (WFP's own down-casing also folds non-ASCII letters;
 * such paths then differ only in case, and the store compares them as recorded).
 */
#include "event/paths.h"

#include <stdatomic.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_text.h"

#define MUP_PREFIX "\\device\\mup\\"
#define MUP_LEN (sizeof MUP_PREFIX - 1)

static char lower_ascii(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c; }
static char upper_ascii(char c) { return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c; }

/* The last gen handed out: every map change takes the next, so no two states of any maps
 * share one (a cache of mapped paths cannot mistake a re-read map for the one it knew). */
static _Atomic uint64_t gen_last;

static uint64_t next_gen(void) { return atomic_fetch_add(&gen_last, 1) + 1; }

void wl_path_map_init(wl_path_map *m) {
  if (!m)
    return;
  memset(m, 0, sizeof *m);
  m->gen = next_gen();
}

int wl_path_map_add(wl_path_map *m, char letter, const char *device) {
  if (!m || !device)
    return wl_err(WL_E_INVAL, "paths: no map or device given");
  char up = upper_ascii(letter);
  if (up < 'A' || up > 'Z')
    return wl_err(WL_E_INVAL, "paths: drive letter '%c' is not A..Z", letter);
  size_t len = strlen(device);
  while (len > 1 && (device[len - 1] == '\\' || device[len - 1] == '/'))
    len--; /* "\device\harddiskvolume2\" is the same device */
  if (len < 2 || device[0] != '\\')
    return wl_err(WL_E_INVAL, "paths: device '%s' for %c: is not an NT device path like "
                  "\\device\\harddiskvolume2", device, up);
  if (len >= sizeof m->drives[0].device)
    return wl_err(WL_E_TOOBIG, "paths: device name for %c: is longer than %zu bytes", up,
                  sizeof m->drives[0].device - 1);
  size_t slot = m->n;
  for (size_t i = 0; i < m->n; i++)
    if (m->drives[i].letter == up)
      slot = i; /* replace */
  if (slot == m->n && m->n >= sizeof m->drives / sizeof m->drives[0])
    return wl_err(WL_E_FULL, "paths: drive map is full");
  wl_drive *d = &m->drives[slot];
  d->letter = up;
  for (size_t i = 0; i < len; i++)
    d->device[i] = device[i] == '/' ? '\\' : lower_ascii(device[i]);
  d->device[len] = '\0';
  if (slot == m->n)
    m->n++;
  m->gen = next_gen();
  return WL_OK;
}

int wl_path_map_add_spec(wl_path_map *m, const char *spec) {
  if (!spec)
    return wl_err(WL_E_INVAL, "paths: no drive spec given");
  /* "C=\device\harddiskvolume2"; "C:=..." is accepted too. */
  const char *p = spec;
  if (!p[0] || !((p[0] >= 'A' && p[0] <= 'Z') || (p[0] >= 'a' && p[0] <= 'z')))
    return wl_err(WL_E_INVAL, "--drive '%s': expected LETTER=DEVICE, e.g. "
                  "C=\\device\\harddiskvolume2", spec);
  p++;
  if (*p == ':')
    p++;
  if (*p != '=')
    return wl_err(WL_E_INVAL, "--drive '%s': expected LETTER=DEVICE, e.g. "
                  "C=\\device\\harddiskvolume2", spec);
  int rc = wl_path_map_add(m, spec[0], p + 1);
  if (rc != WL_OK)
    wl_err_prefix(rc, "--drive '%s'", spec);
  return rc;
}

/* Copy a+b into out (cap bytes). */
static int join2(const char *a, size_t alen, const char *b, char *out, size_t cap) {
  size_t blen = strlen(b);
  if (alen + blen + 1 > cap)
    return wl_err(WL_E_TOOBIG, "paths: result of %zu bytes does not fit in %zu",
                  alen + blen + 1, cap);
  memmove(out + alen, b, blen + 1); /* out may be the source buffer: move before the prefix */
  memcpy(out, a, alen);
  return 1;
}

/* Whether nt's first n bytes are `lower` (lower-case, no NUL among them) ignoring ASCII case;
 * the caller knows nt is longer than n. Compared from the end: device names share their
 * start (\device\harddiskvolume). */
static int prefix_is(const char *nt, const char *lower, size_t n) {
  while (n-- > 0)
    if (lower_ascii(nt[n]) != lower[n])
      return 0;
  return 1;
}

int wl_path_to_dos(const wl_path_map *m, const char *nt, char *out, size_t cap) {
  if (!nt || !out)
    return 0;
  size_t len = strlen(nt);
  if (len > MUP_LEN && prefix_is(nt, MUP_PREFIX, MUP_LEN))
    return join2("\\\\", 2, nt + MUP_LEN, out, cap);
  const wl_drive *best = NULL;
  size_t best_len = 0;
  for (size_t i = 0; m && i < m->n; i++) {
    const wl_drive *d = &m->drives[i];
    size_t dl = strlen(d->device);
    if (dl == 0 || len <= dl || nt[dl] != '\\' || !prefix_is(nt, d->device, dl))
      continue;
    if (!best || dl > best_len || (dl == best_len && d->letter < best->letter)) {
      best = d;
      best_len = dl;
    }
  }
  if (!best)
    return 0;
  char drive[2] = {best->letter, ':'};
  return join2(drive, 2, nt + best_len, out, cap);
}

/* Lower-case `s` into out after the prefix `pre` (already lower-case), '/' becoming '\'. */
static int lower_join(const char *pre, const char *s, char *out, size_t cap) {
  size_t plen = strlen(pre), slen = strlen(s);
  if (plen + slen + 1 > cap)
    return wl_err(WL_E_TOOBIG, "paths: result of %zu bytes does not fit in %zu",
                  plen + slen + 1, cap);
  memcpy(out, pre, plen);
  for (size_t i = 0; i <= slen; i++)
    out[plen + i] = s[i] == '/' ? '\\' : lower_ascii(s[i]);
  return 1;
}

int wl_path_to_nt(const wl_path_map *m, const char *dos, char *out, size_t cap) {
  if (!dos || !out)
    return 0;
  if ((dos[0] == '\\' || dos[0] == '/') && (dos[1] == '\\' || dos[1] == '/')) {
    if (dos[2] == '\0' || dos[2] == '?' || dos[2] == '.')
      return 0; /* \\?\ and \\.\ are not UNC shares */
    return lower_join(MUP_PREFIX, dos + 2, out, cap);
  }
  char up = upper_ascii(dos[0]);
  if (up < 'A' || up > 'Z' || dos[1] != ':' || (dos[2] != '\\' && dos[2] != '/'))
    return 0; /* "C:x" is relative to a drive's current directory: not mappable */
  for (size_t i = 0; m && i < m->n; i++)
    if (m->drives[i].letter == up)
      return lower_join(m->drives[i].device, dos + 2, out, cap);
  return 0;
}

int wl_path_is_dos(const char *p) {
  return (p[0] && p[1] == ':' && (p[2] == '\\' || p[2] == '/')) || (p[0] == '\\' && p[1] == '\\');
}

const char *wl_path_basename(const char *path) {
  if (!path)
    return "";
  const char *base = path;
  for (const char *p = path; *p; p++)
    if (*p == '\\' || *p == '/')
      base = p + 1;
  return base;
}
