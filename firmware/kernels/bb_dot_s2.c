#include "bb_kernel_opt.h"
#include "bb_kernels.h"
#include "bb_requant.h"

int32_t bb_dot_s2(const int8_t *x, const uint8_t *w, uint32_t n)
{
    int32_t acc = 0;
    uint32_t i = 0;
    for (; i < n; i += 16u, w += 4) {
        uint32_t wd = bb_load_u32(w);
        const uint32_t m = n - i < 16u ? n - i : 16u;
        /* Walk the 2-bit fields from the top: (int32)(wd << 30 − 2j) >> 30 sign-extends field j. */
        for (uint32_t j = 0; j < m; j++) {
            const int32_t v = ((int32_t)(wd << (30u - 2u * j))) >> 30;
            acc += v * x[i + j];
        }
    }
    return acc;
}
