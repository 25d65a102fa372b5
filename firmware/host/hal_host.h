/* Host (x86) HAL for tests and the fuzzer: a scripted UART, a settable clock, flash-like slots. */
#ifndef HAL_HOST_H
#define HAL_HOST_H

#include <stddef.h>
#include <stdint.h>

#define HOST_SLOT_REGION 8192u
#define HOST_SLOT_PAGE 256u
#define HOST_SLOT_UNIT 8u
#define HOST_CLOCK_HZ 25000000u

void host_reset_state(void);
/* After a simulated reset: drop pending input and the reset flag, keep slots and the clock. */
void host_reset_state_keep_slots(void);
/* Queue bytes for the firmware to receive. */
void host_rx_push(const uint8_t *p, size_t n);
/* Everything the firmware wrote since the last take; returns length. */
size_t host_tx_take(uint8_t *dst, size_t cap);
size_t host_tx_len(void);
void host_tx_clear(void);
void host_set_ticks(uint64_t t);
void host_advance_ticks(uint64_t dt);
void host_set_replay(const uint8_t *p, uint32_t n);
/* Flash emulation diagnostics. */
uint32_t host_slot_writes(void);        /* bytes programmed since reset_state */
uint32_t host_slot_violations(void);    /* bytes programmed over a non-erased byte */
uint8_t *host_slot_mem(unsigned slot);
int host_reset_requested(void);
uint32_t host_wake_period(void);

#endif
