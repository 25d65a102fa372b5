#include "bb_kernel_opt.h"
#include "bb_kernels.h"
#include "bb_requant.h"

uint32_t bb_gru_get_buffer_size(uint32_t units)
{
    return 4u * 6u * units + ((units + 3u) & ~3u);
}

static int32_t bb_sat16(int64_t v)
{
    return v < -32768 ? -32768 : v > 32767 ? 32767 : (int32_t)v;
}

/*
 * docs/integer-arithmetic.md § GRU; mirrors gru() in src/main/engine/reference.ts line for line.
 * b1 = 0: every row's product through dot(). b1 = 1 (binary weights, speed builds): a step's 3·units
 * products of x and of h come from bb_b1_matvec first (subset-sum tables built once per vector and
 * shared by the rows, instead of a bit-serial bb_dot_b1 call per row), into px and ph, which the
 * row loop then turns into gate inputs in place; their requantisation is bb_requant32_b1 (the same
 * value once saturated to int16: bb_requant32 saturates far outside it; no 64-bit shifts, and on the
 * M0 no 64-bit multiply while the accumulator fits 16 bits). Bit-identical to b1 = 0 over bb_dot_b1.
 * The int8/4/2-bit GRU keeps the int64 bb_requant (its cost is what the latency model was fitted on).
 */
static inline __attribute__((always_inline)) bb_kstatus_t bb_gru_body(const bb_gru_params_t *p, const int8_t *in, int8_t *out,
                                                                       void *scratch, bb_dot_fn dot, const int b1)
{
    const uint32_t u = p->units;
    int32_t *px = (int32_t *)scratch;
    int32_t *ph = px + 3u * u;
    int8_t *h = (int8_t *)(ph + 3u * u);
    for (uint32_t j = 0; j < u; j++) h[j] = 0;
    for (uint32_t t = 0; t < p->steps; t++) {
        const int8_t *x = in + t * p->in_len;
#ifndef BB_KERNELS_SIZE_OPT
        if (b1) {
            bb_b1_matvec(x, p->in_len, p->w_in, p->in_stride, 3u * u, px);
            bb_b1_matvec(h, u, p->w_rec, p->rec_stride, 3u * u, ph);
        }
#endif
        for (uint32_t r = 0; r < 3u * u; r++) {
            const int32_t dx = b1 ? px[r] : dot(x, p->w_in + r * p->in_stride, p->in_len);
            const int32_t ax = p->in_ch.bias[r] - p->in_zp * p->in_ch.wsum[r] + dx;
            px[r] = bb_sat16(b1 ? bb_requant32_b1(ax, p->in_ch.mult[r], p->in_ch.shift[r]) : bb_requant(ax, p->in_ch.mult[r], p->in_ch.shift[r]));
            const int32_t dh = b1 ? ph[r] : dot(h, p->w_rec + r * p->rec_stride, u);
            const int32_t ah = p->rec_ch.bias[r] + dh;
            ph[r] = bb_sat16(b1 ? bb_requant32_b1(ah, p->rec_ch.mult[r], p->rec_ch.shift[r]) : bb_requant(ah, p->rec_ch.mult[r], p->rec_ch.shift[r]));
        }
        for (uint32_t j = 0; j < u; j++) {
            const int32_t z = bb_sigmoid_q15(px[j] + ph[j]);
            const int32_t r = bb_sigmoid_q15(px[u + j] + ph[u + j]);
            const int32_t hh = bb_tanh_q15(px[2u * u + j] + ((r * ph[2u * u + j] + 16384) >> 15));
            const int32_t hq15 = (z * (h[j] * 256) + (32768 - z) * hh + 16384) >> 15;
            int32_t q = (hq15 + 128) >> 8;
            h[j] = (int8_t)(q < -128 ? -128 : q > 127 ? 127 : q);
        }
        if (p->return_sequences)
            for (uint32_t j = 0; j < u; j++) out[t * u + j] = h[j];
    }
    if (!p->return_sequences)
        for (uint32_t j = 0; j < u; j++) out[j] = h[j];
    return BB_KOK;
}

bb_kstatus_t bb_gru(const bb_gru_params_t *p, const int8_t *in, int8_t *out, void *scratch, bb_dot_fn dot)
{
    return bb_gru_body(p, in, out, scratch, dot, 0);
}

#ifndef BB_KERNELS_SIZE_OPT
bb_kstatus_t bb_gru_b1(const bb_gru_params_t *p, const int8_t *in, int8_t *out, void *scratch)
{
    return bb_gru_body(p, in, out, scratch, 0, 1);
}
#endif
