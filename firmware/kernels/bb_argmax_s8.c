#include "bb_kernels.h"

uint32_t bb_argmax_s8(const int8_t *in, uint32_t n)
{
    uint32_t best = 0;
    for (uint32_t i = 1; i < n; i++)
        if (in[i] > in[best]) best = i;
    return best;
}
