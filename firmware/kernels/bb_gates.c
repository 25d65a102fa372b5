#include "bb_kernel_opt.h"
#include "bb_kernels.h"

/* |v| (Q3.12) → tanh in Q15 by linear interpolation in the shared table; frac 7 for tanh, 8 for sigmoid's v/2. */
static int32_t bb_tanh_mag(uint32_t a, uint32_t frac)
{
    const uint32_t i = a >> frac;
    if (i >= 256u) return bb_tanh_q15_table[256];
    const int32_t f = (int32_t)(a & ((1u << frac) - 1u));
    const int32_t lo = bb_tanh_q15_table[i];
    const int32_t hi = bb_tanh_q15_table[i + 1u];
    return lo + (((hi - lo) * f + (1 << (frac - 1u))) >> frac);
}

int32_t bb_tanh_q15(int32_t v)
{
    const uint32_t a = v < 0 ? (uint32_t)0 - (uint32_t)v : (uint32_t)v;
    const int32_t y = bb_tanh_mag(a > 0x7FFFFFFFu ? 0x7FFFFFFFu : a, 7u);
    return v < 0 ? -y : y;
}

int32_t bb_sigmoid_q15(int32_t v)
{
    const uint32_t a = v < 0 ? (uint32_t)0 - (uint32_t)v : (uint32_t)v;
    const int32_t y = bb_tanh_mag(a > 0x7FFFFFFFu ? 0x7FFFFFFFu : a, 8u);
    return (32768 + (v < 0 ? -y : y)) >> 1;
}
