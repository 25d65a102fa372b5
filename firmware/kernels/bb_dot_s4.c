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
    /* The last 1..7 inputs of a row, each with its nibble at a fixed shift (a loop picking low or high
     * nibble per input cost ~3x as much, and short rows such as a GRU's 5-unit recurrent ones are all
     * tail). Reads only the row's own last word: rows are padded to whole words, inputs are not. */
    if (i < n) {
        const uint32_t wd = bb_load_u32(w);
        const int8_t *xt = x + i;
        switch (n - i) {
        case 7u: acc += BB_HI(wd, 2u) * xt[6]; /* fall through */
        case 6u: acc += BB_HI(wd, 1u) * xt[5]; /* fall through */
        case 5u: acc += BB_HI(wd, 0u) * xt[4]; /* fall through */
        case 4u: acc += BB_LO(wd, 3u) * xt[3]; /* fall through */
        case 3u: acc += BB_LO(wd, 2u) * xt[2]; /* fall through */
        case 2u: acc += BB_LO(wd, 1u) * xt[1]; /* fall through */
        default: acc += BB_LO(wd, 0u) * xt[0]; break;
        }
    }
    return acc;
}
