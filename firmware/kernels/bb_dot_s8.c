#include "bb_kernel_opt.h"
#include "bb_kernels.h"

int32_t bb_dot_s8(const int8_t *x, const uint8_t *w, uint32_t n)
{
    const int8_t *wq = (const int8_t *)w;
    int32_t acc = 0;
    uint32_t i = 0;
    for (; i + 4u <= n; i += 4u) {
        acc += wq[i] * x[i] + wq[i + 1] * x[i + 1] + wq[i + 2] * x[i + 2] + wq[i + 3] * x[i + 3];
    }
    for (; i < n; i++) acc += wq[i] * x[i];
    return acc;
}
