/* os_win.c — not yet written. */
