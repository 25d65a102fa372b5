/*
 * The firmware application as the boards see it: bb_main() is what every board's reset handler
 * calls. bb_app_init/bb_app_poll are split out so the host test can drive the same code
 * without an endless loop.
 */
#ifndef BB_APP_H
#define BB_APP_H

#include <stdint.h>

#define BB_FIRMWARE_VERSION "0.1.0"

void bb_main(void) __attribute__((noreturn));

/* Initialise the core (after bb_hal_init) and send the boot HELLO event. */
void bb_app_init(void);
/* Drain received bytes, dispatch complete frames, emit due sensor frames. Never sleeps. */
void bb_app_poll(void);
/* True if bb_app_poll has something to do right now (called with interrupts masked). */
int bb_app_has_work(void);

#endif /* BB_APP_H */
