/* replay_memo.h — what the replay source remembers of the apps and users it has seen, so that a
 * stream naming the same few hundred apps again and again does not convert each one to UTF-16
 * (wl_encode) nor re-derive its drive letter on every line. Everything here gives exactly what
 * the plain computation gives; it only skips repeating it.
 */
#ifndef WL_REPLAY_MEMO_H
#define WL_REPLAY_MEMO_H

#include <stdint.h>

#include "event/event.h"

#define WL_REPLAY_MEMO_SLOTS 512    /* direct-mapped by a hash of the app text */
#define WL_REPLAY_MEMO_APP_MAX 256  /* longer apps (and app_dos) are not remembered */

typedef struct wl_replay_memo_slot {
  uint16_t app_len, dos_len;
  uint8_t drive_ok;    /* learn_drive(app, dos) changed nothing when drive_gen was current */
  uint32_t drive_gen;
  uint32_t u16_len;    /* 0 = the encoding is not known; else app_id bytes, terminator included */
  char app[WL_REPLAY_MEMO_APP_MAX];
  char dos[WL_REPLAY_MEMO_APP_MAX];
  uint8_t u16[2 * WL_REPLAY_MEMO_APP_MAX + 2];
} wl_replay_memo_slot;

typedef struct wl_replay_memo {
  wl_replay_memo_slot slots[WL_REPLAY_MEMO_SLOTS];
  char user[WL_SID_STR_MAX]; /* the last user SID encoded, "" = none */
  uint8_t user_sid[WL_SID_MAX];
  uint8_t user_sid_len;
} wl_replay_memo;

/* The slot of ev's app, claimed for it (its old content dropped) when another app held it;
 * NULL when ev has no app or m is NULL or the app is too long to keep. */
wl_replay_memo_slot *wl_replay_memo_app(wl_replay_memo *m, const wl_event *ev);
/* 1 when learn_drive already ran on this app and app_dos at drive generation gen and changed
 * nothing, so running it again changes nothing either. */
int wl_replay_memo_drive_known(const wl_replay_memo_slot *s, const wl_event *ev, uint32_t gen);
/* learn_drive ran on ev at generation gen and changed nothing. */
void wl_replay_memo_drive_note(wl_replay_memo_slot *s, const wl_event *ev, uint32_t gen);
/* wl_encode(ev, raw) with the app's UTF-16 and the user's binary SID taken from memory when
 * known (s may be NULL). ev is restored before returning. */
void wl_replay_memo_encode(wl_replay_memo *m, wl_replay_memo_slot *s, wl_event *ev,
                           wl_raw_event *raw);

#endif
