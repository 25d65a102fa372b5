#include "bb_kernel_opt.h"
#include "bb_fc_common.h"

bb_kstatus_t bb_fc_s2_ref(const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in, uint32_t in_len,
                          const uint8_t *w, uint32_t row_stride, uint32_t n_out, int8_t *out)
{
    return bb_fc_portable(act, ch, in, in_len, w, row_stride, n_out, out, bb_dot_s2);
}

#if BB_KERNELS_DSP
#include "bb_simd.h"

/*
 * Byte b of ternary weights (4 fields) → two USADA8 mask words. A ternary w is the mean of two
 * binary weights a, b: +1 = (+1, +1), −1 = (−1, −1), 0 = (+1, −1); each becomes a mask lane
 * (0x00 for +1, 0xFF for −1) as in bb_fc_b1.c.
 */
#define F(b, j) (((b) >> (2u * (j))) & 3u)
#define MA(b, j) (F(b, j) == 3u ? 0xFFu : 0u)
#define MB(b, j) (F(b, j) == 1u ? 0u : 0xFFu)
#define WA(b) (MA(b, 0) | (MA(b, 1) << 8) | (MA(b, 2) << 16) | (MA(b, 3) << 24))
#define WB(b) (MB(b, 0) | (MB(b, 1) << 8) | (MB(b, 2) << 16) | (MB(b, 3) << 24))
#define E(b) {WA(b), WB(b)}
#define E4(b) E(b), E((b) + 1u), E((b) + 2u), E((b) + 3u)
#define E16(b) E4(b), E4((b) + 4u), E4((b) + 8u), E4((b) + 12u)
#define E64(b) E16(b), E16((b) + 16u), E16((b) + 32u), E16((b) + 48u)
static const uint32_t bb_s2_masks[256][2] = {E64(0u), E64(64u), E64(128u), E64(192u)};

/*
 * Cortex-M4, ternary weights: Σ w·x = (Σ a·x + Σ b·x) / 2, each binary sum one USADA8 per four
 * inputs: A = Aa + Ab = Σ (a + b)·xu + 255·(n₋a + n₋b), and n₋a + n₋b = n − Σw, so
 * Σ w·x = (A − 255·(n − Σw)) / 2 − 128·Σw. Per 4 inputs per row: LDRB + ADD + LDRD + 2 USADA8.
 */
bb_kstatus_t bb_fc_s2(const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in, uint32_t in_len,
                      const uint8_t *w, uint32_t row_stride, uint32_t n_out, int8_t *out)
{
    const uint32_t n4 = in_len & ~3u;
    uint32_t c = 0;
    for (; c < n_out; c += 2u) {
        const uint32_t two = c + 1u < n_out;
        const uint8_t *w0 = w + c * row_stride;
        const uint8_t *w1 = two ? w0 + row_stride : w0;
        uint32_t a0 = 0, a1 = 0;
        const int8_t *x = in;
        for (uint32_t k = 0; k < n4 / 4u; k++, x += 4) {
            const uint32_t xu = bb_ldr_unaligned(x) ^ 0x80808080u;
            const uint32_t *m0 = bb_s2_masks[w0[k]];
            const uint32_t *m1 = bb_s2_masks[w1[k]];
            a0 = bb_usada8(xu, m0[0], a0);
            a0 = bb_usada8(xu, m0[1], a0);
            a1 = bb_usada8(xu, m1[0], a1);
            a1 = bb_usada8(xu, m1[1], a1);
        }
        for (uint32_t r = 0; r <= two; r++) {
            const uint8_t *row = r ? w1 : w0;
            int32_t tail = 0, tail_wsum = 0;
            for (uint32_t i = n4; i < in_len; i++) {
                const int32_t v = (int32_t)(((uint32_t)row[i >> 2] >> (2u * (i & 3u)) & 3u) ^ 2u) - 2;
                tail += v * in[i];
                tail_wsum += v;
            }
            const uint32_t o = c + r;
            const int32_t wsum_main = ch->wsum[o] - tail_wsum;
            const int32_t dot = ((int32_t)(r ? a1 : a0) - 255 * ((int32_t)n4 - wsum_main)) / 2 - 128 * wsum_main + tail;
            out[o] = bb_requant_s8(ch->bias[o] - act->in_zp * ch->wsum[o] + dot, ch->mult[o], ch->shift[o], act->out_zp, act->act_min, act->act_max);
        }
    }
    return BB_KOK;
}
#endif
