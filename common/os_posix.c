/* os_posix.c — not yet written. */
