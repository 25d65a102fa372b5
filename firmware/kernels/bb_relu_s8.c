#include "bb_kernel_opt.h"
#include "bb_kernels.h"
#include "bb_requant.h"

bb_kstatus_t bb_relu_s8(const bb_act_params_t *act, int32_t mult, int32_t shift, const int8_t *in, int8_t *out, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) out[i] = bb_requant_s8(in[i] - act->in_zp, mult, shift, act->out_zp, act->act_min, act->act_max);
    return BB_KOK;
}
