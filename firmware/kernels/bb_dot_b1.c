#include "bb_kernel_opt.h"
#include "bb_kernels.h"
#include "bb_requant.h"

/* Σ w·x with w = ±1 is 2·Σ_{bit set} x − Σ x: a masked sum instead of multiplies. */
int32_t bb_dot_b1(const int8_t *x, const uint8_t *w, uint32_t n)
{
    int32_t pos = 0;
    int32_t all = 0;
    uint32_t i = 0;
    for (; i < n; i += 32u, w += 4) {
        uint32_t wd = bb_load_u32(w);
        const uint32_t m = n - i < 32u ? n - i : 32u;
        for (uint32_t j = 0; j < m; j++, wd >>= 1) {
            const int32_t v = x[i + j];
            all += v;
            pos += v & -(int32_t)(wd & 1u);
        }
    }
    return 2 * pos - all;
}
