#include "bb_kernel_opt.h"
#include "bb_kernels.h"

bb_kstatus_t bb_conv1d_s8(const bb_conv_params_t *p, const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in,
                          const uint8_t *w, int8_t *out, int8_t *scratch)
{
    if (p->in_h != 1u || p->kh != 1u) return BB_KERR_ARG;
    return bb_conv_generic(p, act, ch, in, w, out, scratch, bb_fc_s8, p->row_stride);
}

bb_kstatus_t bb_conv2d_s8(const bb_conv_params_t *p, const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in,
                          const uint8_t *w, int8_t *out, int8_t *scratch)
{
    return bb_conv_generic(p, act, ch, in, w, out, scratch, bb_fc_s8, p->row_stride);
}
