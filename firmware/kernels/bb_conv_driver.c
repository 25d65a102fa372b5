#include "bb_kernel_opt.h"
#include "bb_kernels.h"

uint32_t bb_conv_get_buffer_size(const bb_conv_params_t *p)
{
    return ((uint32_t)p->kh * p->kw * p->in_c + 3u) & ~3u;
}

/*
 * Convolution as one matrix-vector product per output pixel: the column is the receptive field,
 * read in place when it is contiguous in the input (kh = 1 and fully inside, the common conv1d
 * case), else gathered into scratch with in_zp in the padded taps.
 *
 * in_len is how many column entries fc reads: the row length, or for int8 weights the padded
 * row (row_stride ≥ row length, the blob guarantees zero padding), so a row's last partial word
 * runs through the SIMD loop instead of a scalar tail; entries past the receptive field multiply
 * zero weights. In place then needs in_len readable bytes inside the input; else scratch.
 */
bb_kstatus_t bb_conv_generic(const bb_conv_params_t *p, const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in,
                             const uint8_t *w, int8_t *out, int8_t *scratch, bb_fc_fn fc, uint32_t in_len)
{
    const uint32_t row_len = (uint32_t)p->kh * p->kw * p->in_c;
    const uint32_t tap = p->in_c;
    const uint32_t in_bytes = (uint32_t)p->in_h * p->in_w * tap;
    if (in_len < row_len || in_len > bb_conv_get_buffer_size(p)) return BB_KERR_ARG;
    for (uint32_t oy = 0; oy < p->out_h; oy++) {
        const int32_t y0 = (int32_t)(oy * p->sh) - (int32_t)p->pad_t;
        for (uint32_t ox = 0; ox < p->out_w; ox++) {
            const int32_t x0 = (int32_t)(ox * p->sw) - (int32_t)p->pad_l;
            const int8_t *col = bb_conv_column(p, in, in_bytes, in_len, y0, x0, (int8_t)act->in_zp, scratch);
            const bb_kstatus_t st = fc(act, ch, col, in_len, w, p->row_stride, p->out_c, out + (oy * p->out_w + ox) * p->out_c);
            if (st != BB_KOK) return st;
        }
    }
    return BB_KOK;
}
