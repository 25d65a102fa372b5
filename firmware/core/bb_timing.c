#include "bb_timing.h"

uint64_t bb_timing_ticks_to_us(uint64_t ticks)
{
    uint32_t hz = bb_hal_board_info()->clock_hz;
    /* Split to avoid overflowing ticks * 1e6 after ~5 hours at 1 GHz-equivalent rates. */
    return (ticks / hz) * 1000000u + ((ticks % hz) * 1000000u) / hz;
}

uint32_t bb_timing_now_us(void) { return (uint32_t)bb_timing_ticks_to_us(bb_hal_ticks()); }
