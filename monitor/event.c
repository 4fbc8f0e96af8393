/* event.c — not yet written */
