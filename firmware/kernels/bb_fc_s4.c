#include "bb_kernel_opt.h"
#include "bb_fc_common.h"

bb_kstatus_t bb_fc_s4_ref(const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in, uint32_t in_len,
                          const uint8_t *w, uint32_t row_stride, uint32_t n_out, int8_t *out)
{
    return bb_fc_portable(act, ch, in, in_len, w, row_stride, n_out, out, bb_dot_s4);
}

#if BB_KERNELS_DSP
#include "bb_simd.h"

/*
 * Cortex-M4, 8 weights per word. The packing puts weights 0..3 in the low nibbles of bytes 0..3
 * and 4..7 in the high nibbles, so masking with 0xF0F0F0F0 (high) and (w << 4) & 0xF0F0F0F0
 * (low) leaves each nibble in the top of its byte: SXTB16 then yields 16·w in lanes that line
 * up with SXTB16 of the activations, and SMLAD accumulates 16·Σ w·x. Per 8 inputs per row:
 * LDR + 2 AND + 4 SXTB16 + 4 SMLAD — the s8 instruction count per MAC, at half the weight bytes.
 * 16·Σ fits int32 while in_len ≤ 65535 (|Σ| ≤ 7·128·n); longer rows take the portable path.
 */
bb_kstatus_t bb_fc_s4(const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in, uint32_t in_len,
                      const uint8_t *w, uint32_t row_stride, uint32_t n_out, int8_t *out)
{
    if (in_len > 65535u) return bb_fc_portable(act, ch, in, in_len, w, row_stride, n_out, out, bb_dot_s4);
    const uint32_t n8 = in_len & ~7u;
    const uint32_t mask = 0xF0F0F0F0u;
    uint32_t c = 0;
    for (; c + 2u <= n_out; c += 2u) {
        const uint8_t *w0 = w + c * row_stride;
        const uint8_t *w1 = w0 + row_stride;
        int32_t a0 = 0, a1 = 0;
        const int8_t *x = in;
        uint32_t k = 0;
        for (uint32_t i = 0; i < n8; i += 8u, x += 8, k += 4u) {
            const uint32_t xa = bb_ldr_unaligned(x), xb = bb_ldr_unaligned(x + 4);
            const int32_t x02 = bb_sxtb16(xa), x13 = bb_sxtb16_ror8(xa), x46 = bb_sxtb16(xb), x57 = bb_sxtb16_ror8(xb);
            const uint32_t v0 = bb_load_u32(w0 + k), v1 = bb_load_u32(w1 + k);
            const uint32_t lo0 = (v0 << 4) & mask, hi0 = v0 & mask, lo1 = (v1 << 4) & mask, hi1 = v1 & mask;
            a0 = bb_smlad(bb_sxtb16(lo0), x02, a0);
            a0 = bb_smlad(bb_sxtb16_ror8(lo0), x13, a0);
            a0 = bb_smlad(bb_sxtb16(hi0), x46, a0);
            a0 = bb_smlad(bb_sxtb16_ror8(hi0), x57, a0);
            a1 = bb_smlad(bb_sxtb16(lo1), x02, a1);
            a1 = bb_smlad(bb_sxtb16_ror8(lo1), x13, a1);
            a1 = bb_smlad(bb_sxtb16(hi1), x46, a1);
            a1 = bb_smlad(bb_sxtb16_ror8(hi1), x57, a1);
        }
        a0 = (a0 >> 4) + (in_len > n8 ? bb_dot_s4(in + n8, w0 + k, in_len - n8) : 0);
        a1 = (a1 >> 4) + (in_len > n8 ? bb_dot_s4(in + n8, w1 + k, in_len - n8) : 0);
        out[c] = bb_requant_s8(ch->bias[c] - act->in_zp * ch->wsum[c] + a0, ch->mult[c], ch->shift[c], act->out_zp, act->act_min, act->act_max);
        out[c + 1u] = bb_requant_s8(ch->bias[c + 1u] - act->in_zp * ch->wsum[c + 1u] + a1, ch->mult[c + 1u], ch->shift[c + 1u], act->out_zp,
                                    act->act_min, act->act_max);
    }
    if (c < n_out) {
        const bb_chan_params_t last = {ch->bias + c, ch->wsum + c, ch->mult + c, ch->shift + c};
        return bb_fc_portable(act, &last, in, in_len, w + c * row_stride, row_stride, 1u, out + c, bb_dot_s4);
    }
    return BB_KOK;
}
#endif
