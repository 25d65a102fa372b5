#include "bb_kernel_opt.h"
#include "bb_fc_common.h"

bb_kstatus_t bb_fc_b1_ref(const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in, uint32_t in_len,
                          const uint8_t *w, uint32_t row_stride, uint32_t n_out, int8_t *out)
{
    return bb_fc_portable(act, ch, in, in_len, w, row_stride, n_out, out, bb_dot_b1);
}

#if BB_KERNELS_DSP
#include "bb_simd.h"

/* Byte b of binary weights → USADA8 masks for its 8 weights (bit j set → lane 0x00, clear → 0xFF). */
#define M1(b, j) ((((b) >> (j)) & 1u) ? 0u : 0xFFu)
#define W4(b, o) (M1(b, o) | (M1(b, (o) + 1) << 8) | (M1(b, (o) + 2) << 16) | (M1(b, (o) + 3) << 24))
#define E(b) {W4(b, 0), W4(b, 4)}
#define E4(b) E(b), E((b) + 1u), E((b) + 2u), E((b) + 3u)
#define E16(b) E4(b), E4((b) + 4u), E4((b) + 8u), E4((b) + 12u)
#define E64(b) E16(b), E16((b) + 16u), E16((b) + 32u), E16((b) + 48u)
const uint32_t bb_b1_masks[256][2] = {E64(0u), E64(64u), E64(128u), E64(192u)};

/*
 * Cortex-M4, binary weights, int8 activations: no multiplies. With xu = x + 128 (x ^ 0x80 per
 * byte) and per-lane masks m = 0x00 (w = +1) / 0xFF (w = −1), USADA8 sums |xu − m| =
 * Σ_{+1} xu + Σ_{−1} (255 − xu) for four lanes in one instruction; the constant terms come
 * from the row's weight sum: Σ w·x = A − 255·n₋ − 128·Σw. Per 8 inputs: 2 LDR + 2 EOR for x,
 * then per row LDRB + ADD + LDRD (mask pair from the 2 KB table) + 2 USADA8; three rows per
 * pass: 21 instructions per 24 MACs. Inline assembly: GCC spills this loop's 14 live values.
 */
static void bb_b1_rows3(const int8_t *x, const int8_t *xend, const uint8_t *p0, const uint8_t *p1, const uint8_t *p2, uint32_t acc[3])
{
    uint32_t a0 = 0, a1 = 0, a2 = 0;
    uint32_t xa, xb, t, m0, m1;
    const uint32_t *lut = &bb_b1_masks[0][0];
    if (x < xend) {
        __asm__ volatile(
            "1:\n\t"
            "ldr    %[xa], [%[x]], #4\n\t"
            "ldr    %[xb], [%[x]], #4\n\t"
            "eor    %[xa], %[xa], #0x80808080\n\t"
            "eor    %[xb], %[xb], #0x80808080\n\t"
            "ldrb   %[t], [%[p0]], #1\n\t"
            "add    %[t], %[lut], %[t], lsl #3\n\t"
            "ldrd   %[m0], %[m1], [%[t]]\n\t"
            "usada8 %[a0], %[xa], %[m0], %[a0]\n\t"
            "usada8 %[a0], %[xb], %[m1], %[a0]\n\t"
            "ldrb   %[t], [%[p1]], #1\n\t"
            "add    %[t], %[lut], %[t], lsl #3\n\t"
            "ldrd   %[m0], %[m1], [%[t]]\n\t"
            "usada8 %[a1], %[xa], %[m0], %[a1]\n\t"
            "usada8 %[a1], %[xb], %[m1], %[a1]\n\t"
            "ldrb   %[t], [%[p2]], #1\n\t"
            "add    %[t], %[lut], %[t], lsl #3\n\t"
            "ldrd   %[m0], %[m1], [%[t]]\n\t"
            "usada8 %[a2], %[xa], %[m0], %[a2]\n\t"
            "usada8 %[a2], %[xb], %[m1], %[a2]\n\t"
            "cmp    %[x], %[xend]\n\t"
            "bcc    1b\n\t"
            : [x] "+r"(x), [p0] "+r"(p0), [p1] "+r"(p1), [p2] "+r"(p2), [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [xa] "=&r"(xa),
              [xb] "=&r"(xb), [t] "=&r"(t), [m0] "=&r"(m0), [m1] "=&r"(m1)
            : [xend] "r"(xend), [lut] "r"(lut)
            : "cc", "memory");
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
}

/*
 * Four rows per pass when the rows come in fours (rows p0, p0 + stride, p2, p2 + stride; the
 * register-offset loads read the second row of each pair before the post-incremented load moves
 * the pointer): 27 instructions per 32 MACs. The loop's 14 live values fill every register, so
 * xend is compared from memory. bb_b1_rows4(x, xend, p0, stride, p2, acc[4]); x < xend.
 */
static inline void bb_b1_rows4(const int8_t *x, const int8_t *xend, const uint8_t *p0, uint32_t stride, const uint8_t *p2, uint32_t acc[4])
{
    /* Inline, so the callee-saved registers are saved once per layer call rather than per pass. */
    uint32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    uint32_t xa, xb, t, m0, m1;
    const uint32_t *lut = &bb_b1_masks[0][0];
    __asm__ volatile(
        "1:\n\t"
        "ldr    %[xa], [%[x]], #4\n\t"
        "ldr    %[xb], [%[x]], #4\n\t"
        "eor    %[xa], %[xa], #0x80808080\n\t"
        "eor    %[xb], %[xb], #0x80808080\n\t"
#define BB_B1_ROW(LOAD, ACC)                                  \
        "ldrb   %[t], " LOAD "\n\t"                           \
        "add    %[t], %[lut], %[t], lsl #3\n\t"               \
        "ldrd   %[m0], %[m1], [%[t]]\n\t"                     \
        "usada8 %[" ACC "], %[xa], %[m0], %[" ACC "]\n\t"     \
        "usada8 %[" ACC "], %[xb], %[m1], %[" ACC "]\n\t"
        BB_B1_ROW("[%[p0], %[s]]", "a1") BB_B1_ROW("[%[p0]], #1", "a0") BB_B1_ROW("[%[p2], %[s]]", "a3") BB_B1_ROW("[%[p2]], #1", "a2")
#undef BB_B1_ROW
        "ldr    %[t], %[xend]\n\t"
        "cmp    %[x], %[t]\n\t"
        "bcc    1b\n\t"
        : [x] "+r"(x), [p0] "+r"(p0), [p2] "+r"(p2), [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [xa] "=&r"(xa),
          [xb] "=&r"(xb), [t] "=&r"(t), [m0] "=&r"(m0), [m1] "=&r"(m1)
        : [xend] "m"(xend), [s] "r"(stride), [lut] "r"(lut)
        : "cc", "memory");
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

bb_kstatus_t bb_fc_b1(const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in, uint32_t in_len,
                      const uint8_t *w, uint32_t row_stride, uint32_t n_out, int8_t *out)
{
#ifndef BB_KERNELS_SIZE_OPT
    if (in_len <= 8u) {
        bb_fc_b1_short(act, ch, in, in_len, w, row_stride, n_out, out);
        return BB_KOK;
    }
#endif
    const uint32_t n8 = in_len & ~7u;
    const uint32_t t = in_len - n8;
    /*
     * Tail (1–7 inputs): the row's next weight byte with the bits beyond the row set (+1, mask
     * 0x00) against a copy of the remaining activations padded with −128 (xu = 0): each padded
     * lane adds |0 − 0| = 0 to the USADA8 sum, and the p = 8 − t padded lanes would add p to the
     * weight sum and −128·p to the dot product: both cancel in the expression below.
     */
    uint32_t xlo = 0, xhi = 0;
    if (t) {
        /* The t tail bytes as xu into a zeroed pair of words: a loop of t, where a select over all 8 lanes cost ~55 instructions. */
        uint32_t tw[2] = {0u, 0u};
        uint8_t *tb = (uint8_t *)tw;
        for (uint32_t i = 0; i < t; i++) tb[i] = (uint8_t)in[n8 + i] ^ 0x80u;
        xlo = tw[0];
        xhi = tw[1];
    }
    const uint32_t pad = t ? (0xFFu << t) & 0xFFu : 0u;
    const int32_t k = 255 * (int32_t)in_len;
    for (uint32_t c = 0, rows; c < n_out; c += rows) {
        const uint32_t left = n_out - c;
        rows = left % 4u == 0u ? 4u : left < 3u ? left : 3u;
        const uint8_t *r0 = w + c * row_stride;
        uint32_t a[4];
        if (rows == 4u) {
            if (n8) bb_b1_rows4(in, in + n8, r0, row_stride, r0 + 2u * row_stride, a);
            else a[0] = a[1] = a[2] = a[3] = 0;
        } else {
            /* Fewer than three rows left: repeat the last one (its result is discarded). */
            const uint8_t *r1 = rows > 1u ? r0 + row_stride : r0;
            const uint8_t *r2 = rows > 2u ? r0 + 2u * row_stride : r1;
            bb_b1_rows3(in, in + n8, r0, r1, r2, a);
        }
        if (t) {
            for (uint32_t r = 0; r < rows; r++) {
                const uint32_t *m = bb_b1_masks[r0[r * row_stride + n8 / 8u] | pad];
                a[r] = bb_usada8(xhi, m[1], bb_usada8(xlo, m[0], a[r]));
            }
        }
        /*
         * With w' = Σw + p over n lanes: A − 255·(n − w')/2 − 128·w' + 128·p
         * == A − (255·in_len + Σw)/2 (n − p = in_len; the numerator is even: Σw ≡ in_len mod 2).
         */
        bb_fc_finish_body(act, ch, c, (const int32_t *)a, rows, out, 2, k);
    }
    return BB_KOK;
}
#endif
