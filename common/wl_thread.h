/* wl_thread.h — threads, mutexes and condition variables: the OS layer's part for concurrency.
 *
 * Every thread and lock of wfplearn goes through here, so no pthread reaches Windows code:
 * common/thread_posix.c maps these to pthreads, common/thread_win.c to Win32 threads, SRW locks
 * and condition variables (Vista and later). The types are opaque storage of a fixed size
 * (each implementation _Static_asserts that its native object fits), so structs can embed them
 * without platform headers and without #ifdef.
 *
 * Semantics are the common subset: a mutex is not recursive and is unlocked by the thread that
 * locked it; wl_cond_wait may wake spuriously (wait in a loop on the condition); a thread is
 * joined exactly once. WL_MUTEX_INIT initialises a mutex with static storage duration (both
 * implementations treat an all-zero object as an unlocked mutex: glibc's
 * PTHREAD_MUTEX_INITIALIZER and SRWLOCK_INIT are all zero).
 */
#ifndef WL_THREAD_H
#define WL_THREAD_H

#include <stdint.h>

typedef struct wl_mutex {
  uint64_t opaque[8];
} wl_mutex;
typedef struct wl_cond {
  uint64_t opaque[8];
} wl_cond;
typedef struct wl_thread {
  uint64_t opaque[2];
} wl_thread;

#define WL_MUTEX_INIT {{0}}

/* 0 (WL_OK) or WL_E_NOMEM / WL_E_INTERNAL with a message. Destroy accepts an object that was
 * initialised and is not in use. */
int wl_mutex_init(wl_mutex *m);
void wl_mutex_destroy(wl_mutex *m);
void wl_mutex_lock(wl_mutex *m);
void wl_mutex_unlock(wl_mutex *m);

int wl_cond_init(wl_cond *c);
void wl_cond_destroy(wl_cond *c);
/* Atomically unlock m and wait; m is locked again on return. */
void wl_cond_wait(wl_cond *c, wl_mutex *m);
/* As wl_cond_wait, at most ms milliseconds: WL_OK when woken (perhaps spuriously),
 * WL_E_TIMEOUT when the time ran out. */
int wl_cond_timedwait(wl_cond *c, wl_mutex *m, unsigned ms);
void wl_cond_signal(wl_cond *c);
void wl_cond_broadcast(wl_cond *c);

/* Start fn(arg) on a new thread. WL_E_NOMEM / WL_E_INTERNAL with a message. */
int wl_thread_start(wl_thread *t, void *(*fn)(void *arg), void *arg);
/* Wait for the thread to end (its return value is discarded). */
void wl_thread_join(wl_thread *t);

#endif
