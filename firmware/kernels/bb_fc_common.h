/* Internal: the portable fully-connected loop over any dot product (the _ref kernels). */
#ifndef BB_FC_COMMON_H
#define BB_FC_COMMON_H

#include "bb_kernels.h"
#include "bb_requant.h"

/* Output channel c from its dot product Σ w·x: bias − in_zp·Σw + Σ w·x == bias + Σ w·(x − in_zp),
 * which the blob check bounds to int32. */
static inline int8_t bb_fc_out(const bb_act_params_t *act, const bb_chan_params_t *ch, uint32_t c, int32_t dot)
{
    return bb_requant_s8(ch->bias[c] - act->in_zp * ch->wsum[c] + dot, ch->mult[c], ch->shift[c], act->out_zp, act->act_min, act->act_max);
}

static inline bb_kstatus_t bb_fc_portable(const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in, uint32_t in_len,
                                          const uint8_t *w, uint32_t row_stride, uint32_t n_out, int8_t *out, bb_dot_fn dot)
{
    for (uint32_t c = 0; c < n_out; c++, w += row_stride) out[c] = bb_fc_out(act, ch, c, dot(in, w, in_len));
    return BB_KOK;
}

/*
 * A small head of 4- or 2-bit weights (≤ 4 rows of ≤ 8 inputs, one packed weight word each), row by
 * row: cheaper than the packed kernels' passes and their zero-padded row tail (M4) or their packing
 * of the activations and Σx (M0, bb_fc_pairs_c.c, since the latency model's `dense_short` cost kernel
 * covers it there too). The gesture model's dense 5 → 2: M4 W4 358 → 275 instructions, W2 421 → 332
 * (int8 285); M0 W4 708 → 439 (int8 480). bb_requant32_b1 is bb_requant32's value.
 */
static inline bb_kstatus_t bb_fc_short(const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in, uint32_t in_len,
                                       const uint8_t *w, uint32_t row_stride, uint32_t n_out, int8_t *out, bb_dot_fn dot)
{
    for (uint32_t c = 0; c < n_out; c++, w += row_stride) {
        int32_t v = bb_requant32_b1(ch->bias[c] - act->in_zp * ch->wsum[c] + dot(in, w, in_len), ch->mult[c], ch->shift[c]) + act->out_zp;
        v = v < act->act_min ? act->act_min : v;
        out[c] = (int8_t)(v > act->act_max ? act->act_max : v);
    }
    return BB_KOK;
}

/*
 * out[c + r] = requant(bias − in_zp·wsum + d[r]), r < rows ≤ 4, with d = dot (mode 0) or, from
 * the USADA8 kernels' sums, d = (dot − k − Σw) >> 1 (mode 1, ternary) or dot − ((k + Σw) >> 1)
 * (mode 2, binary), where Σw is loaded anyway. Out of line in bb_fc_finish.c (bb_fc_finish,
 * bb_fc_finish_s2); the binary kernel inlines it.
 */
static inline void bb_fc_finish_body(const bb_act_params_t *act, const bb_chan_params_t *ch, uint32_t c, const int32_t *dot, uint32_t rows,
                                     int8_t *out, int mode, int32_t k)
{
    const int32_t in_zp = act->in_zp, out_zp = act->out_zp, lo = act->act_min, hi = act->act_max;
    const int32_t *bias = ch->bias + c, *wsum = ch->wsum + c, *mult = ch->mult + c, *shift = ch->shift + c;
    out += c;
    for (uint32_t r = 0; r < rows; r++) {
        const int32_t ws = wsum[r];
        /* The USADA8 kernels' sums become dot products here, where Σw is at hand anyway. */
        const int32_t d = mode == 0 ? dot[r] : mode == 1 ? (dot[r] - k - ws) >> 1 : dot[r] - ((k + ws) >> 1);
        int32_t v = bb_requant32(bias[r] - in_zp * ws + d, mult[r], shift[r]) + out_zp;
        v = v < lo ? lo : v;
        v = v > hi ? hi : v;
        out[r] = (int8_t)v;
    }
}

/* out[c + r] = requant(bias − in_zp·wsum + dot[r]) for r < rows (bb_fc_finish.c). */
void bb_fc_finish(const bb_act_params_t *act, const bb_chan_params_t *ch, uint32_t c, const int32_t *dot, uint32_t rows, int8_t *out);
/* The same from the ternary kernel's USADA8 sums (mode 1). */
void bb_fc_finish_s2(const bb_act_params_t *act, const bb_chan_params_t *ch, uint32_t c, const int32_t *a, uint32_t rows, int8_t *out,
                     int32_t k);

#ifndef BB_KERNELS_SIZE_OPT
/* Binary fully connected layer with rows of ≤ 8 inputs: one weight byte per row (bb_fc_b1_c.c). */
void bb_fc_b1_short(const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in, uint32_t in_len, const uint8_t *w,
                    uint32_t row_stride, uint32_t n_out, int8_t *out);
/* The same bit loop for a few rows of ≤ 32 inputs: one weight word per row (bb_fc_b1_c.c). */
void bb_fc_b1_few(const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in, uint32_t in_len, const uint8_t *w,
                  uint32_t row_stride, uint32_t n_out, int8_t *out);
#endif

#endif
