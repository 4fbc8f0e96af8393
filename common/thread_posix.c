/* thread_posix.c — wl_thread.h on pthreads (Linux and other POSIX builds). */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "common/wl_err.h"
#include "common/wl_thread.h"

_Static_assert(sizeof(pthread_mutex_t) <= sizeof(wl_mutex), "pthread_mutex_t fits wl_mutex");
_Static_assert(sizeof(pthread_cond_t) <= sizeof(wl_cond), "pthread_cond_t fits wl_cond");
_Static_assert(sizeof(pthread_t) <= sizeof(wl_thread), "pthread_t fits wl_thread");

#define MTX(m) ((pthread_mutex_t *)(void *)(m)->opaque)
#define CND(c) ((pthread_cond_t *)(void *)(c)->opaque)

static int fail(const char *fn, int e) {
  return wl_err(e == ENOMEM || e == EAGAIN ? WL_E_NOMEM : WL_E_INTERNAL, "%s: %s", fn,
                strerror(e));
}

int wl_mutex_init(wl_mutex *m) {
  memset(m, 0, sizeof *m);
  int e = pthread_mutex_init(MTX(m), NULL);
  return e ? fail("pthread_mutex_init", e) : WL_OK;
}
void wl_mutex_destroy(wl_mutex *m) { pthread_mutex_destroy(MTX(m)); }
void wl_mutex_lock(wl_mutex *m) { pthread_mutex_lock(MTX(m)); }
void wl_mutex_unlock(wl_mutex *m) { pthread_mutex_unlock(MTX(m)); }

/* Condition variables wait on CLOCK_MONOTONIC, so a wall-clock step does not stretch a wait. */
int wl_cond_init(wl_cond *c) {
  pthread_condattr_t a;
  memset(c, 0, sizeof *c);
  int e = pthread_condattr_init(&a);
  if (e)
    return fail("pthread_condattr_init", e);
  pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
  e = pthread_cond_init(CND(c), &a);
  pthread_condattr_destroy(&a);
  return e ? fail("pthread_cond_init", e) : WL_OK;
}
void wl_cond_destroy(wl_cond *c) { pthread_cond_destroy(CND(c)); }
void wl_cond_wait(wl_cond *c, wl_mutex *m) { pthread_cond_wait(CND(c), MTX(m)); }
void wl_cond_signal(wl_cond *c) { pthread_cond_signal(CND(c)); }
void wl_cond_broadcast(wl_cond *c) { pthread_cond_broadcast(CND(c)); }

int wl_cond_timedwait(wl_cond *c, wl_mutex *m, unsigned ms) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  ts.tv_sec += ms / 1000;
  ts.tv_nsec += (long)(ms % 1000) * 1000000L;
  if (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000L;
  }
  return pthread_cond_timedwait(CND(c), MTX(m), &ts) == ETIMEDOUT ? WL_E_TIMEOUT : WL_OK;
}

int wl_thread_start(wl_thread *t, void *(*fn)(void *arg), void *arg) {
  memset(t, 0, sizeof *t);
  pthread_t id;
  int e = pthread_create(&id, NULL, fn, arg);
  if (e)
    return fail("pthread_create", e);
  memcpy(t->opaque, &id, sizeof id);
  return WL_OK;
}

void wl_thread_join(wl_thread *t) {
  pthread_t id;
  memcpy(&id, t->opaque, sizeof id);
  pthread_join(id, NULL);
}
