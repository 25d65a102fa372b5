/* Internal: the portable fully-connected loop over any dot product (the _ref kernels). */
#ifndef BB_FC_COMMON_H
#define BB_FC_COMMON_H

#include "bb_kernels.h"
#include "bb_requant.h"

static inline bb_kstatus_t bb_fc_portable(const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in, uint32_t in_len,
                                          const uint8_t *w, uint32_t row_stride, uint32_t n_out, int8_t *out, bb_dot_fn dot)
{
    for (uint32_t c = 0; c < n_out; c++, w += row_stride) {
        /* bias − in_zp·Σw + Σ w·x  ==  bias + Σ w·(x − in_zp); the blob check bounds it to int32. */
        const int32_t acc = ch->bias[c] - act->in_zp * ch->wsum[c] + dot(in, w, in_len);
        out[c] = bb_requant_s8(acc, ch->mult[c], ch->shift[c], act->out_zp, act->act_min, act->act_max);
    }
    return BB_KOK;
}

#endif
