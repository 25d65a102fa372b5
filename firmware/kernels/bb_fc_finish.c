#include "bb_kernel_opt.h"
#include "bb_fc_common.h"

/*
 * The requantisation of a pass of rows, out of line: the kernels' inner loops leave every
 * register spilled, and re-deriving the channel and activation parameters per row cost more
 * than the dot product of a short row. Here they are loaded once per pass.
 */
void bb_fc_finish(const bb_act_params_t *act, const bb_chan_params_t *ch, uint32_t c, const int32_t *dot, uint32_t rows, int8_t *out)
{
    bb_fc_finish_body(act, ch, c, dot, rows, out, 0, 0);
}

#if BB_KERNELS_DSP
void bb_fc_finish_s2(const bb_act_params_t *act, const bb_chan_params_t *ch, uint32_t c, const int32_t *a, uint32_t rows, int8_t *out,
                     int32_t k)
{
    bb_fc_finish_body(act, ch, c, a, rows, out, 1, k);
}

#endif
