#include "bb_kernel_opt.h"
#include "bb_kernels.h"
#include "bb_requant.h"

uint32_t bb_gru_get_buffer_size(uint32_t units)
{
    return 4u * 6u * units + ((units + 3u) & ~3u);
}

static int32_t bb_sat16(int32_t v)
{
    return v < -32768 ? -32768 : v > 32767 ? 32767 : v;
}

/* One step's gates from the gate inputs px, ph (Q3.12, [3u] each): h ← the new state. */
static inline __attribute__((always_inline)) void bb_gru_gates(const int32_t *px, const int32_t *ph, int8_t *h, uint32_t u)
{
    for (uint32_t j = 0; j < u; j++) {
        const int32_t z = bb_sigmoid_q15(px[j] + ph[j]);
        const int32_t r = bb_sigmoid_q15(px[u + j] + ph[u + j]);
        const int32_t hh = bb_tanh_q15(px[2u * u + j] + ((r * ph[2u * u + j] + 16384) >> 15));
        const int32_t hq15 = (z * (h[j] * 256) + (32768 - z) * hh + 16384) >> 15;
        int32_t q = (hq15 + 128) >> 8;
        h[j] = (int8_t)(q < -128 ? -128 : q > 127 ? 127 : q);
    }
}

/*
 * Gate row r's input from its product x·w_in[r] (bb_gru_x) and from h·w_rec[r] (bb_gru_h), Q3.12.
 * bb_requant32_b1 is bb_requant's value at every shift once saturated to int16 (it saturates far
 * outside it), in 32-bit steps where it fits: the gates' Q3.12 multipliers often have shift >= -1,
 * which bb_requant took through 64-bit shifts (libgcc calls on the M0), and on the M0 without a
 * 64-bit multiply while the accumulator fits 16 bits.
 */
static inline __attribute__((always_inline)) int32_t bb_gru_x(const bb_gru_params_t *p, uint32_t r, int32_t xw)
{
    return bb_sat16(bb_requant32_b1(p->in_ch.bias[r] - p->in_zp * p->in_ch.wsum[r] + xw, p->in_ch.mult[r], p->in_ch.shift[r]));
}

static inline __attribute__((always_inline)) int32_t bb_gru_h(const bb_gru_params_t *p, uint32_t r, int32_t hw)
{
    return bb_sat16(bb_requant32_b1(p->rec_ch.bias[r] + hw, p->rec_ch.mult[r], p->rec_ch.shift[r]));
}

/* The state to out[t·units…]: after every step with return_sequences, else once after the last (t = 0). */
static inline __attribute__((always_inline)) void bb_gru_emit(const int8_t *h, int8_t *out, uint32_t t, uint32_t u)
{
    for (uint32_t j = 0; j < u; j++) out[t * u + j] = h[j];
}

/*
 * The GRU's steps (docs/integer-arithmetic.md § GRU; mirrors gru() in src/main/engine/reference.ts
 * line for line). Each gate row's products x·w_in[r] and h·w_rec[r] come from dot, or with
 * `binary` (speed builds: bb_gru_b1) from bb_b1_matvec into px and ph first: subset-sum tables of
 * x and of h built once per step and shared by the rows, where bb_dot_b1 ran a bit-serial loop
 * per row. Both callers pass constants, so each gets only its own path.
 */
static inline __attribute__((always_inline)) bb_kstatus_t bb_gru_run(const bb_gru_params_t *p, const int8_t *in, int8_t *out,
                                                                     void *scratch, bb_dot_fn dot, int binary, const uint32_t *wpx,
                                                                     const uint32_t *wph, uint32_t bits)
{
    const uint32_t u = p->units;
    int32_t *px = (int32_t *)scratch;
    int32_t *ph = px + 3u * u;
    int8_t *h = (int8_t *)(ph + 3u * u);
    for (uint32_t j = 0; j < u; j++) h[j] = 0;
    for (uint32_t t = 0; t < p->steps; t++) {
        const int8_t *x = in + t * p->in_len;
#ifndef BB_KERNELS_SIZE_OPT
        if (binary == 1) {
            bb_b1_matvec(x, p->in_len, p->w_in, p->in_stride, 3u * u, px);
            bb_b1_matvec(h, u, p->w_rec, p->rec_stride, 3u * u, ph);
        } else if (binary == 2) {
            bb_pairs_matvec(x, p->in_len, wpx, 3u * u, px);
            bb_pairs_matvec(h, u, wph, 3u * u, ph);
        } else if (binary == 3) {
            bb_packed_matvec(x, p->in_len, p->w_in, p->in_stride, 3u * u, bits, px);
            bb_packed_matvec(h, u, p->w_rec, p->rec_stride, 3u * u, bits, ph);
        }
#else
        (void)wpx;
        (void)wph;
        (void)bits;
#endif
        for (uint32_t r = 0; r < 3u * u; r++) {
            px[r] = bb_gru_x(p, r, binary ? px[r] : dot(x, p->w_in + r * p->in_stride, p->in_len));
            ph[r] = bb_gru_h(p, r, binary ? ph[r] : dot(h, p->w_rec + r * p->rec_stride, u));
        }
        bb_gru_gates(px, ph, h, u);
        if (p->return_sequences) bb_gru_emit(h, out, t, u);
    }
    if (!p->return_sequences) bb_gru_emit(h, out, 0u, u);
    return BB_KOK;
}

bb_kstatus_t bb_gru(const bb_gru_params_t *p, const int8_t *in, int8_t *out, void *scratch, bb_dot_fn dot)
{
    return bb_gru_run(p, in, out, scratch, dot, 0, 0, 0, 0u);
}

#ifndef BB_KERNELS_SIZE_OPT
/*
 * 4/2-bit weights (speed builds): bb_dot_s4 re-derived every weight from its nibble at every step
 * (on the M0 ~9 instructions a weight in a GRU's short rows, more than int8's); here the rows become
 * 16-bit pair words once per call (≤ BB_GRU_PAIRS_WORDS words of stack) and each step packs x and h
 * once for all 3·units rows: SMLAD lanes on the M4, two MACs per MULS on the M0 (bb_conv_pairs.c).
 * A GRU whose rows do not fit (≤ BB_GRU_PACKED_MAX_LEN inputs and units) packs x and h once per step
 * and runs every gate row straight from its packed words (bb_packed_matvec): no expansion, the
 * same lanes (M4) or the fc kernel's pair words with Σx (M0). Bit-identical: the same sums Σ w·x.
 * Each path out of line with its own stack arrays (512 B of expanded rows only on the first).
 */
#define BB_GRU_PAIRS_WORDS 128u
static __attribute__((noinline)) bb_kstatus_t bb_gru_expanded(const bb_gru_params_t *p, const int8_t *in, int8_t *out, void *scratch,
                                                              uint32_t bits)
{
    const uint32_t u = p->units, nx = ((p->in_len + 3u) & ~3u) / 2u;
    uint32_t wp[BB_GRU_PAIRS_WORDS];
    bb_pairs_expand(p->w_in, p->in_stride, 3u * u, p->in_len, bits, wp);
    bb_pairs_expand(p->w_rec, p->rec_stride, 3u * u, u, bits, wp + 3u * u * nx);
    return bb_gru_run(p, in, out, scratch, 0, 2, wp, wp + 3u * u * nx, bits);
}

static __attribute__((noinline)) bb_kstatus_t bb_gru_packed(const bb_gru_params_t *p, const int8_t *in, int8_t *out, void *scratch,
                                                            uint32_t bits)
{
    return bb_gru_run(p, in, out, scratch, 0, 3, 0, 0, bits);
}

/* Whether the 6·units gate rows fit bb_gru_expanded's buffer as pair words (inputs and units ≤ 32). */
static int bb_gru_expands(const bb_gru_params_t *p)
{
    const uint32_t u = p->units, nx = ((p->in_len + 3u) & ~3u) / 2u, nh = ((u + 3u) & ~3u) / 2u;
    return p->in_len <= BB_PAIRS_MATVEC_MAX_LEN && u <= BB_PAIRS_MATVEC_MAX_LEN && 3u * u * (nx + nh) <= BB_GRU_PAIRS_WORDS;
}

bb_kstatus_t bb_gru_pairs(const bb_gru_params_t *p, const int8_t *in, int8_t *out, void *scratch, uint32_t bits)
{
    if (bb_gru_expands(p)) return bb_gru_expanded(p, in, out, scratch, bits);
    if (p->in_len <= BB_GRU_PACKED_MAX_LEN && p->units <= BB_GRU_PACKED_MAX_LEN) return bb_gru_packed(p, in, out, scratch, bits);
    return bb_gru(p, in, out, scratch, bits == 4u ? bb_dot_s4 : bb_dot_s2);
}

/*
 * Binary weights (speed builds), bit-identical to bb_gru over bb_dot_b1. A GRU whose rows fit
 * bb_gru_expanded's buffer (the 4/2-bit limits) runs there: each ±1 row becomes int16 pair words
 * once per call (bit set +1, clear −1: bb_dot_b1's levels; no scale or offset, the per-row
 * multiplier carries it), then the same SMLAD / MULS pairs as a 2-bit GRU. The subset-sum tables per
 * step (bb_b1_matvec: one table of x and one of h, two table reads per row byte) ran the gesture
 * GRU (29 × 6, 5 units) at 79,245 instructions on the M4 and 123,370 on the M0 against the 2-bit
 * GRU's 64,948 / 115,786; they stay for larger GRUs.
 */
static __attribute__((noinline)) bb_kstatus_t bb_gru_tables(const bb_gru_params_t *p, const int8_t *in, int8_t *out, void *scratch)
{
    return bb_gru_run(p, in, out, scratch, 0, 1, 0, 0, 0u);
}

bb_kstatus_t bb_gru_b1(const bb_gru_params_t *p, const int8_t *in, int8_t *out, void *scratch)
{
    if (bb_gru_expands(p)) return bb_gru_expanded(p, in, out, scratch, 1u);
    return bb_gru_tables(p, in, out, scratch);
}
#endif
