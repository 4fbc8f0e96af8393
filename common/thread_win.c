/* thread_win.c — wl_thread.h on Win32: _beginthreadex threads (the CRT's, so per-thread CRT
 * state is set up), SRW locks and condition variables. No pthread in Windows code.
 */
#include <windows.h>

#include <errno.h>
#include <process.h>
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_thread.h"

_Static_assert(sizeof(SRWLOCK) <= sizeof(wl_mutex), "SRWLOCK fits wl_mutex");
_Static_assert(sizeof(CONDITION_VARIABLE) <= sizeof(wl_cond), "CONDITION_VARIABLE fits wl_cond");
_Static_assert(sizeof(HANDLE) <= sizeof(wl_thread), "HANDLE fits wl_thread");

#define LOCK(m) ((SRWLOCK *)(void *)(m)->opaque)
#define CND(c) ((CONDITION_VARIABLE *)(void *)(c)->opaque)

int wl_mutex_init(wl_mutex *m) {
  memset(m, 0, sizeof *m);
  InitializeSRWLock(LOCK(m));
  return WL_OK;
}
void wl_mutex_destroy(wl_mutex *m) { (void)m; } /* an SRW lock holds no resources */
void wl_mutex_lock(wl_mutex *m) { AcquireSRWLockExclusive(LOCK(m)); }
void wl_mutex_unlock(wl_mutex *m) { ReleaseSRWLockExclusive(LOCK(m)); }

int wl_cond_init(wl_cond *c) {
  memset(c, 0, sizeof *c);
  InitializeConditionVariable(CND(c));
  return WL_OK;
}
void wl_cond_destroy(wl_cond *c) { (void)c; }
void wl_cond_wait(wl_cond *c, wl_mutex *m) { SleepConditionVariableSRW(CND(c), LOCK(m), INFINITE, 0); }
void wl_cond_signal(wl_cond *c) { WakeConditionVariable(CND(c)); }
void wl_cond_broadcast(wl_cond *c) { WakeAllConditionVariable(CND(c)); }

int wl_cond_timedwait(wl_cond *c, wl_mutex *m, unsigned ms) {
  if (SleepConditionVariableSRW(CND(c), LOCK(m), ms, 0))
    return WL_OK;
  return GetLastError() == ERROR_TIMEOUT ? WL_E_TIMEOUT : WL_OK;
}

typedef struct start {
  void *(*fn)(void *);
  void *arg;
} start;

static unsigned __stdcall trampoline(void *p) {
  start s = *(start *)p;
  free(p);
  s.fn(s.arg);
  return 0;
}

int wl_thread_start(wl_thread *t, void *(*fn)(void *arg), void *arg) {
  memset(t, 0, sizeof *t);
  start *s = malloc(sizeof *s);
  if (!s)
    return wl_err(WL_E_NOMEM, "wl_thread_start: out of memory");
  s->fn = fn;
  s->arg = arg;
  uintptr_t h = _beginthreadex(NULL, 0, trampoline, s, 0, NULL);
  if (!h) {
    free(s);
    return wl_err(WL_E_NOMEM, "_beginthreadex: cannot start a thread (errno %d)", errno);
  }
  HANDLE handle = (HANDLE)h;
  memcpy(t->opaque, &handle, sizeof handle);
  return WL_OK;
}

void wl_thread_join(wl_thread *t) {
  HANDLE h;
  memcpy(&h, t->opaque, sizeof h);
  WaitForSingleObject(h, INFINITE);
  CloseHandle(h);
  memset(t, 0, sizeof *t);
}
