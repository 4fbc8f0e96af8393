/* sim_signer.c — who signed the simulated Windows' binaries (wl_engine_signer on the sim,
 * issue 15 item 4): the stand-in for WinVerifyTrust + the signer certificate's name.
 *
 * The state keeps one blob of (file key, signer name) pairs, "key\0name\0" each, keyed like
 * the files (sim_appid.c: lower case, '\\'), at most WL_SIM_MAX_FILES pairs. A file is signed
 * when a traffic line for it carried "signer" or wl_sim_set_file_signer declared one; any other
 * file is unsigned. A signer is a fact about the file, so declaring a file's signer also
 * declares the file; deleting the file (wl_sim_set_file(path, 0)) keeps the pair, harmlessly:
 * the signer op answers WL_E_NOTFOUND for a file that does not exist.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "engine/sim/sim_internal.h"

static size_t sig_key(const char *path, char out[WL_PATH_MAX]) {
  size_t i = 0;
  for (; path[i] && i + 1 < WL_PATH_MAX; i++)
    out[i] = path[i] == '/' ? '\\' : (char)tolower((unsigned char)path[i]);
  out[i] = 0;
  return i;
}

/* Offset of the pair whose key is `key`, or -1. */
static long sig_find(const wl_sim_state *s, const char *key, size_t len) {
  for (size_t off = 0; off < s->signers_len;) {
    size_t kl = strlen(s->signers + off);
    size_t nl = strlen(s->signers + off + kl + 1);
    if (kl == len && !memcmp(s->signers + off, key, len))
      return (long)off;
    off += kl + nl + 2;
  }
  return -1;
}

const char *wl_sim_signer_get(const wl_sim_state *s, const char *path) {
  char key[WL_PATH_MAX];
  size_t len = sig_key(path, key);
  long at = sig_find(s, key, len);
  return at < 0 ? "" : s->signers + at + len + 1;
}

static void sig_remove(wl_sim_state *s, long at) {
  size_t kl = strlen(s->signers + at), nl = strlen(s->signers + at + kl + 1);
  size_t whole = kl + nl + 2;
  memmove(s->signers + at, s->signers + at + (long)whole, s->signers_len - (size_t)at - whole);
  s->signers_len -= whole;
  s->nsigners--;
}

int wl_sim_signer_set(wl_sim_state *s, const char *path, const char *name) {
  char key[WL_PATH_MAX];
  if (!path || !wl_sim_is_file_path(path))
    return wl_err(WL_E_INVAL, "sim signers: '%s' is not a DOS or UNC path", path ? path : "");
  if (!name)
    name = "";
  size_t len = sig_key(path, key), nl = strnlen(name, WL_SIGNER_MAX);
  if (nl >= WL_SIGNER_MAX)
    return wl_err(WL_E_TOOBIG, "sim signers: a signer name longer than %d bytes",
                  WL_SIGNER_MAX - 1);
  long at = sig_find(s, key, len);
  if (at >= 0 && !strcmp(s->signers + at + len + 1, name))
    return WL_OK;
  if (at >= 0)
    sig_remove(s, at);
  if (!nl)
    return WL_OK; /* unsigned: no pair */
  if (s->nsigners >= WL_SIM_MAX_FILES)
    return wl_err(WL_E_FULL, "sim signers: more than %u", WL_SIM_MAX_FILES);
  size_t need = s->signers_len + len + nl + 2;
  if (need > s->signers_cap) {
    size_t cap = s->signers_cap ? 2 * s->signers_cap : 1024;
    while (cap < need)
      cap *= 2;
    char *p = realloc(s->signers, cap);
    if (!p)
      return wl_err(WL_E_NOMEM, "sim signers: out of memory");
    s->signers = p;
    s->signers_cap = cap;
  }
  memcpy(s->signers + s->signers_len, key, len + 1);
  memcpy(s->signers + s->signers_len + len + 1, name, nl + 1);
  s->signers_len = need;
  s->nsigners++;
  return WL_OK;
}

int wl_sim_signers_check(const char *blob, size_t len, size_t n) {
  size_t nul = 0;
  for (size_t i = 0; i < len; i++)
    nul += blob[i] == 0;
  return nul == 2 * n && (!len || blob[len - 1] == 0) ? WL_OK : WL_E_CORRUPT;
}

int wl_sim_signer_of(const wl_sim_state *s, const char *dos_path, wl_signer *out) {
  if (!wl_sim_is_file_path(dos_path) || !wl_sim_file_exists(s, dos_path))
    return wl_err(WL_E_NOTFOUND,
                  "signer: %s: no such file (WinVerifyTrust: "
                  "ERROR_FILE_NOT_FOUND)",
                  dos_path);
  const char *name = wl_sim_signer_get(s, dos_path);
  out->status = name[0] ? WL_SIGN_SIGNED : WL_SIGN_UNSIGNED;
  wl_strlcpy(out->name, name, sizeof out->name);
  return WL_OK;
}
