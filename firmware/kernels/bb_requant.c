/* The size build defines bb_requant32_b1 here, once (bb_requant.h). */
#define BB_REQUANT32_B1_DEFINE
#include "bb_kernel_opt.h"
#include "bb_requant.h"

int32_t bb_requant32_exact(int32_t acc, int32_t mult, int32_t shift)
{
    const int64_t r = bb_requant(acc, mult, shift);
    /* Saturate far outside int8 but with room for the zero point that follows (as bb_requant32). */
    return r > 0x7FFFFF00 ? 0x7FFFFF00 : r < -0x7FFFFF00 ? -0x7FFFFF00 : (int32_t)r;
}

int32_t bb_requant32_wide(int32_t acc, int32_t mult, int32_t shift)
{
    const int64_t prod = (int64_t)acc * (int64_t)mult;
    return bb_requant32_hl((int32_t)(prod >> 32), (uint32_t)prod, acc, mult, shift);
}
