/* wl_guid.c — not yet written. */
