/* fuzz_decode.c — libFuzzer target for the consumer's cached decoder (event/decode.h:
 * wl_decoder) against the plain one (wl_decode). Built only with -DWL_FUZZ=ON and clang
 * (tests/CMakeLists.txt); scripts/checks/fuzz-decode.sh runs it for a fixed number of inputs.
 *
 * Each input is one raw record: the first bytes steer the drive map (re-read, a drive added or
 * re-pointed, no map), the app id's prefix (a volume, \device\mup\, a DOS path, none) and the
 * blob's declared size; the next bytes are the record's fixed fields (flags, sizes, SIDs, ...)
 * and the rest is the app id's tail. The decoders live across inputs, so inputs hit, miss and
 * replace each other's entries: a tiny one whose hash is the same for every key (only the
 * whole-key compare tells keys apart) and a default one. Both must give exactly wl_decode's
 * event, and the DOS form wl_path_to_dos gives under the map as it is.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_text.h"
#include "event/decode.h"
#include "event/paths.h"

#define CHECK(c)                                                                                   \
  do {                                                                                             \
    if (!(c))                                                                                      \
      abort();                                                                                     \
  } while (0)

static uint64_t same_hash(const void *key, size_t n) {
  (void)key;
  (void)n;
  return 7;
}

static wl_decoder *tiny, *dflt;
static wl_path_map map;

static int same(const wl_event *a, const wl_event *b) {
  return a->has == b->has && a->ts == b->ts && a->type == b->type && a->dir == b->dir &&
         a->ip_version == b->ip_version && a->proto == b->proto && a->origin == b->origin &&
         memcmp(a->local_addr, b->local_addr, 16) == 0 &&
         memcmp(a->remote_addr, b->remote_addr, 16) == 0 && a->local_port == b->local_port &&
         a->remote_port == b->remote_port && strcmp(a->app, b->app) == 0 &&
         strcmp(a->user, b->user) == 0 && strcmp(a->package, b->package) == 0 &&
         a->filter_id == b->filter_id && a->layer_id == b->layer_id && a->reauth == b->reauth &&
         a->is_loopback == b->is_loopback;
}

static void check(wl_decoder *d, const wl_raw_event *r, const wl_path_map *m) {
  static wl_event a, b;
  char dos[WL_PATH_MAX];
  memset(&b, 0x5A, sizeof b);
  int ka = wl_decode(r, &a), kb = wl_decoder_decode(d, r, m, &b);
  CHECK(ka == kb);
  if (!ka) {
    CHECK(b.type == WL_EVT_OTHER && b.ts == a.ts);
    return;
  }
  CHECK(same(&a, &b));
  dos[0] = '\0';
  if (m && (a.has & WL_HAS_APP) && !wl_path_is_dos(a.app) &&
      wl_path_to_dos(m, a.app, dos, sizeof dos) != 1)
    dos[0] = '\0';
  CHECK(strcmp(b.app_dos, dos) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char *const devs[] = {"\\device\\harddiskvolume3", "\\device\\harddiskvolume4",
                                     "\\device\\harddiskvolume30", "\\device\\mup\\srv"};
  static const char *const prefixes[] = {"\\device\\harddiskvolume3\\", "\\device\\mup\\",
                                         "\\DEVICE\\HarddiskVolume4\\", "C:\\", ""};
  if (!tiny) {
    CHECK(wl_decoder_create(4, 1, &tiny) == WL_OK && wl_decoder_create(0, 0, &dflt) == WL_OK);
    wl_decoder_set_hash(tiny, same_hash);
    wl_path_map_init(&map);
  }
  if (size < 4)
    return 0;
  uint8_t op = data[0], pre = data[1], extra = data[2], nomap = data[3] & 1;
  data += 4;
  size -= 4;
  switch (op % 8) {
  case 0:
    wl_path_map_init(&map);
    break;
  case 1:
  case 2:
    CHECK(wl_path_map_add(&map, (char)('C' + op / 8 % 3), devs[op / 24 % 4]) == WL_OK);
    break;
  default:
    break;
  }
  static wl_raw_event raw;
  memset(&raw, 0, sizeof raw);
  size_t fixed = offsetof(wl_raw_event, app_id), n = size < fixed ? size : fixed;
  memcpy(&raw, data, n);
  data += n;
  size -= n;
  /* the app id: a UTF-16LE prefix, then the input's bytes */
  const char *p = prefixes[pre % 5];
  size_t k = wl_utf8_to_utf16le(p, strlen(p), raw.app_id, WL_RAW_APP_MAX);
  if (size > WL_RAW_APP_MAX - k)
    size = WL_RAW_APP_MAX - k;
  memcpy(raw.app_id + k, data, size);
  if (pre & 0x80) { /* sizes as the input said them; otherwise what was put there */
    raw.app_id_copied = (uint32_t)(k + size);
    raw.app_id_size = raw.app_id_copied + (extra & 3 ? 0 : extra);
    raw.flags |= WL_RAW_APP_ID_SET;
  }
  check(tiny, &raw, nomap ? NULL : &map);
  check(dflt, &raw, nomap ? NULL : &map);
  wl_err_clear();
  return 0;
}
