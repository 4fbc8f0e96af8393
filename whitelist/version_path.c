/* version_path.c — two paths that differ only in a version folder (version_path.h).
 *
 * Both paths are walked component by component. Equal components (ASCII case-insensitive)
 * pass; a differing pair must be two version folders of the same kind whose other parts are
 * equal (the Squirrel "app-" prefix, the WindowsApps name, architecture, resource id and
 * publisher id). Nothing else may differ, the file name included, so "app-1.2.3" vs "app-data"
 * or two WindowsApps folders of different publishers are different programs. Bounded by the
 * paths' lengths; no allocation.
 */
#include <ctype.h>
#include <string.h>

#include "whitelist/version_path.h"

#define PART_MAX 4 /* dotted numbers: at most 4 parts (Windows file and package versions) */

typedef struct comp {
  const char *s;
  size_t len;
} comp;

static int is_sep(char c) { return c == '\\' || c == '/'; }

/* The next component at *p (skipping separators); 0 at the end. */
static int next_comp(const char **p, comp *c) {
  while (is_sep(**p))
    (*p)++;
  if (!**p)
    return 0;
  c->s = *p;
  while (**p && !is_sep(**p))
    (*p)++;
  c->len = (size_t)(*p - c->s);
  return 1;
}

static int same_text(const char *a, size_t al, const char *b, size_t bl) {
  if (al != bl)
    return 0;
  for (size_t i = 0; i < al; i++)
    if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[i]))
      return 0;
  return 1;
}

/* Number of dotted numeric parts when s[0..len) is exactly "N.N[.N...]" (each 1..9 digits),
 * else 0. */
static int dotted_parts(const char *s, size_t len) {
  int parts = 0;
  size_t digits = 0;
  for (size_t i = 0; i <= len; i++) {
    if (i < len && isdigit((unsigned char)s[i])) {
      if (++digits > 9)
        return 0;
      continue;
    }
    if (!digits || (i < len && s[i] != '.') || ++parts > PART_MAX)
      return 0;
    digits = 0;
  }
  return parts;
}

/* WindowsApps folder: Name_Version_Arch_ResourceId_PublisherId (resource id usually empty,
 * hence the "__"). Fills the 5 fields; 1 when it has that shape with a dotted 4-part version
 * and a 13-character publisher id. */
static int windowsapps_fields(const comp *c, comp f[5]) {
  size_t start = 0, k = 0;
  for (size_t i = 0; i <= c->len; i++) {
    if (i < c->len && c->s[i] != '_')
      continue;
    if (k == 5)
      return 0;
    f[k].s = c->s + start;
    f[k++].len = i - start;
    start = i + 1;
  }
  return k == 5 && f[0].len > 0 && dotted_parts(f[1].s, f[1].len) == 4 && f[2].len > 0 &&
         f[4].len == 13;
}

/* The kind of a differing pair of components, or NONE when they are not the same folder in
 * two versions. */
static int pair_kind(const comp *a, const comp *b) {
  comp fa[5], fb[5];
  if (windowsapps_fields(a, fa) && windowsapps_fields(b, fb)) {
    for (int i = 0; i < 5; i++)
      if (i != 1 && !same_text(fa[i].s, fa[i].len, fb[i].s, fb[i].len))
        return WL_VERSION_NONE;
    return WL_VERSION_WINDOWSAPPS;
  }
  if (a->len > 4 && b->len > 4 && same_text(a->s, 4, "app-", 4) && same_text(b->s, 4, "app-", 4)) {
    int pa = dotted_parts(a->s + 4, a->len - 4), pb = dotted_parts(b->s + 4, b->len - 4);
    return pa >= 2 && pb >= 2 ? WL_VERSION_SQUIRREL : WL_VERSION_NONE;
  }
  int pa = dotted_parts(a->s, a->len), pb = dotted_parts(b->s, b->len);
  return pa >= 3 && pb >= 3 ? WL_VERSION_DOTTED : WL_VERSION_NONE;
}

int wl_version_path_match(const char *a, const char *b) {
  int kind = WL_VERSION_NONE;
  comp ca, cb;
  if (!a || !b)
    return WL_VERSION_NONE;
  for (;;) {
    int ha = next_comp(&a, &ca), hb = next_comp(&b, &cb);
    if (ha != hb)
      return WL_VERSION_NONE; /* different depth */
    if (!ha)
      return kind;
    if (same_text(ca.s, ca.len, cb.s, cb.len))
      continue;
    int k = pair_kind(&ca, &cb);
    if (k == WL_VERSION_NONE || (kind && k != kind))
      return WL_VERSION_NONE;
    kind = k;
  }
}

const char *wl_version_kind_name(int kind) {
  switch (kind) {
  case WL_VERSION_SQUIRREL:
    return "squirrel";
  case WL_VERSION_DOTTED:
    return "dotted";
  case WL_VERSION_WINDOWSAPPS:
    return "windowsapps";
  default:
    return "none";
  }
}
