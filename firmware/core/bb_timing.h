/*
 * Timing API for the core and the kernels. Two clocks, on purpose:
 *  - board time (bb_hal_ticks, converted to microseconds here) timestamps sensor samples;
 *  - the profiling counter (bb_timing_start / bb_timing_elapsed) measures inference, in the unit
 *    HELLO's counter_kind names: cycles on real boards (DWT or a core-clocked TIMER), retired
 *    instructions on QEMU boards (SysTick under -icount, rescaled by the icount shift).
 * Measure spans shorter than 2^32 counter units (minutes on every board).
 */
#ifndef BB_TIMING_H
#define BB_TIMING_H

#include <stdint.h>

#include "bb_hal.h"

typedef uint32_t bb_timing_mark_t;

static inline bb_timing_mark_t bb_timing_start(void) { return bb_hal_counter(); }

/* Elapsed counter units since `mark` (unsigned subtraction handles one wrap). */
static inline uint32_t bb_timing_elapsed(bb_timing_mark_t mark) { return bb_hal_counter_scale(bb_hal_counter() - mark); }

static inline uint8_t bb_timing_counter_kind(void) { return bb_hal_board_info()->counter_kind; }

/* Board time ticks -> microseconds (64-bit: exact, no drift). */
uint64_t bb_timing_ticks_to_us(uint64_t ticks);

/* Board time now, in microseconds, wrapping at 2^32 as the protocol's t0_us does. */
uint32_t bb_timing_now_us(void);

#endif /* BB_TIMING_H */
