#include "bb_kernel_opt.h"
#include "bb_kernels.h"
#include "bb_requant.h"

/* Nibble k of a packed word as a signed value: low nibbles of bytes 0..3 are weights 0..3, high nibbles 4..7. */
#define BB_LO(wd, j) (((int32_t)((wd) << (28u - 8u * (j)))) >> 28)
#define BB_HI(wd, j) (((int32_t)((wd) << (24u - 8u * (j)))) >> 28)

int32_t bb_dot_s4(const int8_t *x, const uint8_t *w, uint32_t n)
{
    int32_t acc = 0;
    uint32_t i = 0;
    for (; i + 8u <= n; i += 8u, w += 4) {
        const uint32_t wd = bb_load_u32(w);
        acc += BB_LO(wd, 0u) * x[i] + BB_LO(wd, 1u) * x[i + 1] + BB_LO(wd, 2u) * x[i + 2] + BB_LO(wd, 3u) * x[i + 3];
        acc += BB_HI(wd, 0u) * x[i + 4] + BB_HI(wd, 1u) * x[i + 5] + BB_HI(wd, 2u) * x[i + 6] + BB_HI(wd, 3u) * x[i + 7];
    }
    if (i < n) {
        const uint32_t wd = bb_load_u32(w);
        for (uint32_t j = 0; i + j < n; j++) {
            const int32_t v = j < 4u ? BB_LO(wd, j) : BB_HI(wd, j - 4u);
            acc += v * x[i + j];
        }
    }
    return acc;
}
