#include "bb_kernel_opt.h"
#include "bb_kernels.h"
#include "bb_requant.h"

static bb_kstatus_t bb_pool(const bb_conv_params_t *p, const bb_act_params_t *act, int32_t mult, int32_t shift, const int8_t *in,
                            int8_t *out, int is_max)
{
    const uint32_t c_n = p->in_c;
    for (uint32_t oy = 0; oy < p->out_h; oy++) {
        for (uint32_t ox = 0; ox < p->out_w; ox++) {
            for (uint32_t c = 0; c < c_n; c++) {
                int32_t acc = is_max ? -128 : 0;
                for (uint32_t ky = 0; ky < p->kh; ky++) {
                    const int8_t *src = in + ((oy * p->sh + ky) * p->in_w + ox * p->sw) * c_n + c;
                    for (uint32_t kx = 0; kx < p->kw; kx++, src += c_n) {
                        const int32_t v = *src;
                        if (is_max) {
                            if (v > acc) acc = v;
                        } else {
                            acc += v - act->in_zp;
                        }
                    }
                }
                if (is_max) acc -= act->in_zp;
                out[(oy * p->out_w + ox) * c_n + c] = bb_requant_s8(acc, mult, shift, act->out_zp, act->act_min, act->act_max);
            }
        }
    }
    return BB_KOK;
}

bb_kstatus_t bb_max_pool_s8(const bb_conv_params_t *p, const bb_act_params_t *act, int32_t mult, int32_t shift, const int8_t *in,
                            int8_t *out)
{
    return bb_pool(p, act, mult, shift, in, out, 1);
}

bb_kstatus_t bb_avg_pool_s8(const bb_conv_params_t *p, const bb_act_params_t *act, int32_t mult, int32_t shift, const int8_t *in,
                            int8_t *out)
{
    return bb_pool(p, act, mult, shift, in, out, 0);
}
