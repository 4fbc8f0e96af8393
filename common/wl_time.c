/* wl_time.c — not yet written. */
