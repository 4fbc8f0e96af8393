/* wl_text.c — not yet written. */
