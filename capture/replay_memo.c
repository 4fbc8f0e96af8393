/* replay_memo.c — the replay source's memory of apps and users (replay_memo.h). A slot is keyed
 * by the exact app text; what it holds was produced by the real computation on that text
 * (wl_encode's app_id bytes, learn_drive's "nothing to learn"), so a hit copies the same result.
 * test_capture_replay compares every memoized encoding with a plain wl_encode.
 */
#include "capture/replay_memo.h"

#include <string.h>

#include "common/wl_text.h"
#include "event/decode.h"

static uint32_t hash_app(const char *s, size_t n) {
  uint64_t h = 0x9E3779B97F4A7C15ull ^ n;
  while (n >= 8) {
    uint64_t w;
    memcpy(&w, s, 8);
    h = (h ^ w) * 0xFF51AFD7ED558CCDull;
    s += 8;
    n -= 8;
  }
  uint64_t w = 0;
  memcpy(&w, s, n);
  h = (h ^ w) * 0xC4CEB9FE1A85EC53ull;
  return (uint32_t)(h >> 32);
}

wl_replay_memo_slot *wl_replay_memo_app(wl_replay_memo *m, const wl_event *ev) {
  if (!m || !(ev->has & WL_HAS_APP) || !ev->app[0])
    return NULL;
  size_t n = strlen(ev->app);
  if (n >= WL_REPLAY_MEMO_APP_MAX)
    return NULL;
  wl_replay_memo_slot *s = &m->slots[hash_app(ev->app, n) % WL_REPLAY_MEMO_SLOTS];
  if (s->app_len != n || memcmp(s->app, ev->app, n) != 0) {
    memcpy(s->app, ev->app, n + 1);
    s->app_len = (uint16_t)n;
    s->drive_ok = 0;
    s->u16_len = 0;
  }
  return s;
}

int wl_replay_memo_drive_known(const wl_replay_memo_slot *s, const wl_event *ev, uint32_t gen) {
  if (!s || !s->drive_ok || s->drive_gen != gen)
    return 0;
  size_t n = strlen(ev->app_dos);
  return n == s->dos_len && memcmp(s->dos, ev->app_dos, n) == 0;
}

void wl_replay_memo_drive_note(wl_replay_memo_slot *s, const wl_event *ev, uint32_t gen) {
  size_t n = strlen(ev->app_dos);
  if (!s || n >= sizeof s->dos)
    return;
  memcpy(s->dos, ev->app_dos, n + 1);
  s->dos_len = (uint16_t)n;
  s->drive_gen = gen;
  s->drive_ok = 1;
}

void wl_replay_memo_encode(wl_replay_memo *m, wl_replay_memo_slot *s, wl_event *ev,
                           wl_raw_event *raw) {
  uint32_t had = ev->has, skip = 0;
  if (s && s->u16_len && !(had & WL_HAS_APP_TRUNC))
    skip |= WL_HAS_APP;
  if (m && (had & WL_HAS_USER) && m->user[0] && strcmp(m->user, ev->user) == 0)
    skip |= WL_HAS_USER;
  ev->has = had & ~skip;
  wl_encode(ev, raw);
  ev->has = had;
  if (skip & WL_HAS_APP) { /* encode_app's untruncated case, as it wrote it */
    memcpy(raw->app_id, s->u16, s->u16_len);
    raw->app_id_copied = raw->app_id_size = s->u16_len;
    raw->flags |= WL_RAW_APP_ID_SET;
  } else if (s && !(had & WL_HAS_APP_TRUNC) && (raw->flags & WL_RAW_APP_ID_SET) &&
             raw->app_id_copied == raw->app_id_size && raw->app_id_copied <= sizeof s->u16) {
    memcpy(s->u16, raw->app_id, raw->app_id_copied);
    s->u16_len = raw->app_id_copied;
  }
  if (skip & WL_HAS_USER) {
    memcpy(raw->user_sid, m->user_sid, m->user_sid_len);
    raw->user_sid_len = m->user_sid_len;
    raw->flags |= WL_RAW_USER_ID_SET;
  } else if (m && (had & WL_HAS_USER) && (raw->flags & WL_RAW_USER_ID_SET)) {
    memcpy(m->user_sid, raw->user_sid, raw->user_sid_len);
    m->user_sid_len = raw->user_sid_len;
    wl_strlcpy(m->user, ev->user, sizeof m->user); /* both WL_SID_STR_MAX: never cut */
  }
}
