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

bb_kstatus_t bb_fc_b1(const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in, uint32_t in_len,
                      const uint8_t *w, uint32_t row_stride, uint32_t n_out, int8_t *out)
{
    const uint32_t n8 = in_len & ~7u;
    for (uint32_t c = 0; c < n_out; c += 3u) {
        const uint32_t rows = n_out - c < 3u ? n_out - c : 3u;
        const uint8_t *r0 = w + c * row_stride;
        /* Fewer than three rows left: repeat the last one (its result is discarded). */
        const uint8_t *r1 = rows > 1u ? r0 + row_stride : r0;
        const uint8_t *r2 = rows > 2u ? r0 + 2u * row_stride : r1;
        uint32_t a[3];
        bb_b1_rows3(in, in + n8, r0, r1, r2, a);
        for (uint32_t r = 0; r < rows; r++) {
            const uint8_t *row = r0 + r * row_stride;
            int32_t tail = 0, tail_wsum = 0;
            for (uint32_t i = n8; i < in_len; i++) {
                const int32_t s = (row[i >> 3] >> (i & 7u)) & 1u ? 1 : -1;
                tail += s * in[i];
                tail_wsum += s;
            }
            const uint32_t o = c + r;
            const int32_t wsum_main = ch->wsum[o] - tail_wsum;
            const int32_t n_neg = ((int32_t)n8 - wsum_main) / 2;
            const int32_t dot = (int32_t)a[r] - 255 * n_neg - 128 * wsum_main + tail;
            out[o] = bb_requant_s8(ch->bias[o] - act->in_zp * ch->wsum[o] + dot, ch->mult[o], ch->shift[o], act->out_zp, act->act_min, act->act_max);
        }
    }
    return BB_KOK;
}
#endif
