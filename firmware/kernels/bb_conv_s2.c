#include "bb_kernel_opt.h"
#include "bb_kernels.h"

/* Short rows (speed builds): the weights expanded once per layer (bb_conv_pairs.c); else one fc call per position. */
static bb_kstatus_t bb_conv_s2(const bb_conv_params_t *p, const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in,
                               const uint8_t *w, int8_t *out, int8_t *scratch)
{
#ifndef BB_KERNELS_SIZE_OPT
    if (bb_conv_pairs_fits(p)) return bb_conv_pairs(p, act, ch, in, w, out, scratch, 2u);
#endif
    return bb_conv_generic(p, act, ch, in, w, out, scratch, bb_fc_s2, bb_conv_row_len(p));
}

bb_kstatus_t bb_conv1d_s2(const bb_conv_params_t *p, const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in,
                          const uint8_t *w, int8_t *out, int8_t *scratch)
{
    if (p->in_h != 1u || p->kh != 1u) return BB_KERR_ARG;
    return bb_conv_s2(p, act, ch, in, w, out, scratch);
}

bb_kstatus_t bb_conv2d_s2(const bb_conv_params_t *p, const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in,
                          const uint8_t *w, int8_t *out, int8_t *scratch)
{
    return bb_conv_s2(p, act, ch, in, w, out, scratch);
}
