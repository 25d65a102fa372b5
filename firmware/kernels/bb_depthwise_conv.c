#include "bb_kernel_opt.h"
#include "bb_kernels.h"
#include "bb_requant.h"

/* Depthwise, multiplier 1. Few MACs per layer in sensor models, so one portable kernel serves every width. */
bb_kstatus_t bb_depthwise_conv(const bb_conv_params_t *p, const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in,
                               const uint8_t *w, uint32_t bits, int8_t *out)
{
    if (p->in_c != p->out_c) return BB_KERR_ARG;
    const uint32_t c_n = p->in_c;
    for (uint32_t oy = 0; oy < p->out_h; oy++) {
        const int32_t y0 = (int32_t)(oy * p->sh) - (int32_t)p->pad_t;
        for (uint32_t ox = 0; ox < p->out_w; ox++) {
            const int32_t x0 = (int32_t)(ox * p->sw) - (int32_t)p->pad_l;
            for (uint32_t c = 0; c < c_n; c++) {
                const uint8_t *row = w + c * p->row_stride;
                int32_t acc = ch->bias[c];
                for (uint32_t ky = 0; ky < p->kh; ky++) {
                    const int32_t y = y0 + (int32_t)ky;
                    if (y < 0 || y >= (int32_t)p->in_h) continue;
                    for (uint32_t kx = 0; kx < p->kw; kx++) {
                        const int32_t x = x0 + (int32_t)kx;
                        if (x < 0 || x >= (int32_t)p->in_w) continue;
                        const int32_t v = in[((uint32_t)y * p->in_w + (uint32_t)x) * c_n + c];
                        acc += bb_weight_at(row, ky * p->kw + kx, bits) * (v - act->in_zp);
                    }
                }
                out[(oy * p->out_w + ox) * c_n + c] = bb_requant_s8(acc, ch->mult[c], ch->shift[c], act->out_zp, act->act_min, act->act_max);
            }
        }
    }
    return BB_KOK;
}
