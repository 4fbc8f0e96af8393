/* sim_appid.c — FwpmGetAppIdFromFileName0 for the sim: a DOS path becomes the app id WFP would
 * match, i.e. the NT device path ("\device\harddiskvolume3\program files\x.exe"), lower-cased,
 * as UTF-16LE bytes including the terminating NUL (WFP's blob size counts it).
 *
 * The drive map stands in for QueryDosDevice. UNC paths map to \device\mup\ as on Windows.
 * Names that are not paths ("System", the kernel's app id) pass unchanged. Lower-casing covers
 * ASCII, Latin-1, Greek and Cyrillic capitals (the sim's stand-in for RtlDowncaseUnicodeString).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "engine/sim/sim_internal.h"

size_t wl_sim_default_drives(wl_drive out[26]) {
  memset(out, 0, 26 * sizeof *out);
  out[0].letter = 'C';
  wl_strlcpy(out[0].device, WL_SIM_DEFAULT_DRIVE_C, sizeof out[0].device);
  out[1].letter = 'D';
  wl_strlcpy(out[1].device, WL_SIM_DEFAULT_DRIVE_D, sizeof out[1].device);
  return 2;
}

int wl_sim_drive_set(wl_drive map[26], size_t *n, char letter, const char *device) {
  char up = (char)toupper((unsigned char)letter);
  if (up < 'A' || up > 'Z')
    return wl_err(WL_E_INVAL, "sim drive map: '%c' is not a drive letter", letter);
  if (device && strlen(device) >= sizeof map[0].device)
    return wl_err(WL_E_TOOBIG, "sim drive map: device name for %c: longer than %u bytes", up,
                  (unsigned)(sizeof map[0].device - 1));
  size_t i = 0;
  while (i < *n && map[i].letter != up)
    i++;
  if (!device || !*device) { /* remove */
    if (i < *n) {
      memmove(&map[i], &map[i + 1], (*n - i - 1) * sizeof *map);
      (*n)--;
    }
    return WL_OK;
  }
  if (i == *n)
    (*n)++;
  map[i].letter = up;
  size_t k = 0;
  for (; device[k]; k++)
    map[i].device[k] = (char)tolower((unsigned char)device[k]);
  map[i].device[k] = '\0';
  return WL_OK;
}

static uint16_t lower16(uint16_t c) {
  if ((c >= 'A' && c <= 'Z') || (c >= 0xC0 && c <= 0xDE && c != 0xD7) ||
      (c >= 0x391 && c <= 0x3AB && c != 0x3A2) || (c >= 0x410 && c <= 0x42F))
    return (uint16_t)(c + 0x20);
  if (c >= 0x400 && c <= 0x40F)
    return (uint16_t)(c + 0x50);
  return c;
}

/* The NT form of `path` in UTF-8 (not yet lower-cased). */
static int nt_form(const wl_drive *map, size_t n, const char *path, char *nt, size_t cap) {
  size_t len;
  if (isalpha((unsigned char)path[0]) && path[1] == ':' && (path[2] == '\\' || path[2] == '/')) {
    char up = (char)toupper((unsigned char)path[0]);
    size_t i = 0;
    while (i < n && map[i].letter != up)
      i++;
    if (i == n)
      return wl_err(WL_E_NOTFOUND, "app id: drive %c: of '%s' is not in the drive map", up, path);
    len = (size_t)snprintf(nt, cap, "%s%s", map[i].device, path + 2);
  } else if ((path[0] == '\\' || path[0] == '/') && (path[1] == '\\' || path[1] == '/') &&
             path[2] != '?' && path[2] != '.') {
    len = (size_t)snprintf(nt, cap, "\\device\\mup%s", path + 1); /* \\srv\share → \device\mup\srv\share */
  } else {
    len = wl_strlcpy(nt, path, cap);
  }
  if (len >= cap)
    return wl_err(WL_E_TOOBIG, "app id: '%.60s...' is longer than %u bytes", path,
                  (unsigned)(cap - 1));
  for (char *p = nt; *p; p++)
    if (*p == '/')
      *p = '\\';
  return WL_OK;
}

int wl_sim_app_id_map(const wl_drive *map, size_t n, const char *path, uint8_t *out,
                      size_t cap, size_t *len) {
  char nt[WL_PATH_MAX + 128];
  if (!path || !*path || !out || !len)
    return wl_err(WL_E_INVAL, "app id: empty path");
  int rc = nt_form(map, n, path, nt, sizeof nt);
  if (rc != WL_OK)
    return rc;
  size_t need = wl_utf8_to_utf16le(nt, strlen(nt), out, cap);
  if (need + 2 > cap)
    return wl_err(WL_E_TOOBIG, "app id: '%.60s...' needs %u bytes, room for %u", path,
                  (unsigned)(need + 2), (unsigned)cap);
  int lower = !wl_strncasecmp(nt, "\\device\\", 8); /* paths only: "System" stays */
  for (size_t i = 0; lower && i + 1 < need; i += 2) {
    uint16_t c = (uint16_t)(out[i] | out[i + 1] << 8);
    c = lower16(c);
    out[i] = (uint8_t)c;
    out[i + 1] = (uint8_t)(c >> 8);
  }
  out[need] = out[need + 1] = 0;
  *len = need + 2;
  return WL_OK;
}

/* ---------------------------------------------------------------- files
 * FwpmGetAppIdFromFileName0 opens the file: on Windows it fails (ERROR_FILE_NOT_FOUND) for a
 * binary that was deleted or moved, so a rule for it cannot be (re)built (issue 12, item 8).
 * The sim keeps the set of files it has been told exist (wl_sim_set_file; the baseline's
 * Windows files; every app that made a connection attempt, since a running process's image is
 * on disk) and fails the same way for any other DOS or UNC path. */

int wl_sim_is_file_path(const char *p) {
  return (isalpha((unsigned char)p[0]) && p[1] == ':' && (p[2] == '\\' || p[2] == '/')) ||
         ((p[0] == '\\' || p[0] == '/') && (p[1] == '\\' || p[1] == '/') && p[2] != '?' &&
          p[2] != '.');
}

/* The key of a file path: ASCII lower case, '/' as '\'. Longer than WL_PATH_MAX: cut (such a
 * path has no app id anyway, see nt_form). */
static size_t file_key(const char *path, char out[WL_PATH_MAX]) {
  size_t i = 0;
  for (; path[i] && i + 1 < WL_PATH_MAX; i++)
    out[i] = path[i] == '/' ? '\\' : (char)tolower((unsigned char)path[i]);
  out[i] = 0;
  return i;
}

/* Offset of the key in the blob, or -1. */
static long file_find(const wl_sim_state *s, const char *key, size_t len) {
  for (size_t off = 0; off < s->files_len;) {
    size_t l = strlen(s->files + off);
    if (l == len && !memcmp(s->files + off, key, len))
      return (long)off;
    off += l + 1;
  }
  return -1;
}

int wl_sim_file_exists(const wl_sim_state *s, const char *path) {
  char key[WL_PATH_MAX];
  size_t len = file_key(path, key);
  return file_find(s, key, len) >= 0;
}

int wl_sim_file_set(wl_sim_state *s, const char *path, int exists) {
  char key[WL_PATH_MAX];
  if (!path || !wl_sim_is_file_path(path))
    return wl_err(WL_E_INVAL, "sim files: '%s' is not a DOS or UNC path", path ? path : "");
  size_t len = file_key(path, key);
  long at = file_find(s, key, len);
  if (!exists && at >= 0) {
    memmove(s->files + at, s->files + at + (long)len + 1, s->files_len - (size_t)at - len - 1);
    s->files_len -= len + 1;
    s->nfiles--;
  }
  if (!exists || at >= 0)
    return WL_OK;
  if (s->nfiles >= WL_SIM_MAX_FILES)
    return wl_err(WL_E_FULL, "sim files: more than %u", WL_SIM_MAX_FILES);
  if (s->files_len + len + 1 > s->files_cap) {
    size_t cap = s->files_cap ? 2 * s->files_cap : 1024;
    while (cap < s->files_len + len + 1)
      cap *= 2;
    char *p = realloc(s->files, cap);
    if (!p)
      return wl_err(WL_E_NOMEM, "sim files: out of memory");
    s->files = p;
    s->files_cap = cap;
  }
  memcpy(s->files + s->files_len, key, len + 1);
  s->files_len += len + 1;
  s->nfiles++;
  return WL_OK;
}

int wl_sim_app_dos(const wl_drive *map, size_t n, const char *app, char *out, size_t cap) {
  if (wl_sim_is_file_path(app)) {
    if (wl_strlcpy(out, app, cap) >= cap)
      return wl_err(WL_E_TOOBIG, "sim: path too long");
    return WL_OK;
  }
  if (!wl_strncasecmp(app, "\\device\\mup\\", 12)) { /* UNC: \device\mup\srv\share */
    if ((size_t)snprintf(out, cap, "\\%s", app + 11) >= cap)
      return wl_err(WL_E_TOOBIG, "sim: path too long");
    return WL_OK;
  }
  for (size_t i = 0; i < n; i++) {
    size_t dl = strlen(map[i].device);
    if (dl && !wl_strncasecmp(app, map[i].device, dl) && app[dl] == '\\') {
      if ((size_t)snprintf(out, cap, "%c:%s", map[i].letter, app + dl) >= cap)
        return wl_err(WL_E_TOOBIG, "sim: path too long");
      return WL_OK;
    }
  }
  return wl_err(WL_E_NOTFOUND, "sim: %s is not a file on a lettered drive", app);
}

/* ---- the app id an event carries (classify), as opposed to FwpmGetAppIdFromFileName0 ----
 * BFE records the process image's NT path whatever the drive map of the session that reads
 * the event, and whatever its length (a path can reach 32,767 characters). So where the DOS
 * path of a traffic line cannot be mapped the sim still gives the app an identity (issue 18,
 * item 12): a drive missing from the map is a volume this session has no letter for, recorded
 * as \device\harddiskvolume(100 + letter index) — the capture cannot map it, as an elevated
 * process cannot map a volume without a letter; and a path longer than `cap` bytes of app id
 * is copied up to cap with its full size in *blob, as a FWP_BYTE_BLOB larger than the copy. */
int wl_sim_event_app_id(const wl_drive *map, size_t n, const char *path, uint8_t *out,
                        size_t cap, size_t *len, size_t *blob) {
  enum { BIG = WL_PATH_MAX * 8 + 2 };
  int rc = wl_sim_app_id_map(map, n, path, out, cap, len);
  *blob = rc == WL_OK ? *len : 0;
  if (rc != WL_E_NOTFOUND && rc != WL_E_TOOBIG)
    return rc;
  wl_err_clear();
  char nt[WL_PATH_MAX + 64];
  const char *src = path;
  if (rc == WL_E_NOTFOUND) { /* a drive this session has no letter for */
    int k = snprintf(nt, sizeof nt, "\\device\\harddiskvolume%d%s",
                     100 + toupper((unsigned char)path[0]) - 'A', path + 2);
    if (k < 0 || (size_t)k >= sizeof nt)
      return wl_err(WL_E_TOOBIG, "app id: '%.60s...' is too long", path);
    src = nt;
    map = NULL;
    n = 0;
  }
  uint8_t *whole = malloc(BIG); /* the whole app id, then the copy up to cap */
  size_t full = 0;
  if (!whole)
    return wl_err(WL_E_NOMEM, "app id: no memory");
  rc = wl_sim_app_id_map(map, n, src, whole, BIG, &full);
  if (rc == WL_OK) {
    *len = full < cap ? full : cap;
    memcpy(out, whole, *len);
    *blob = full;
  }
  free(whole);
  return rc;
}
