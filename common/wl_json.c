/* wl_json.c — not yet written. */
