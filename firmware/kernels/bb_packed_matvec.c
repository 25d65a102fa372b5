#include "bb_kernel_opt.h"
#include "bb_kernels.h"
#include "bb_requant.h"

#if BB_KERNELS_DSP && !defined(BB_KERNELS_SIZE_OPT)
#include "bb_simd.h"

/*
 * Cortex-M4: dot[r] = Σ w_r·x straight from 4/2-bit rows (a GRU too large for bb_gru_pairs' stack
 * buffer: bb_gru_pairs). x becomes SMLAD lane words once per call; each weight word then gives its
 * lane pairs with one AND of a shifted register (bb_fc_s4.c's trick): 4-bit (v << 12) & m,
 * (v << 4) & m, (v << 8) & m, v & m with m = 0xF000F000 are weights (0, 2), (1, 3), (4, 6), (5, 7)
 * at 4096·w, against SXTB16 / SXTB16 ROR 8 of inputs 0–3 and 4–7; 2-bit (v << (14 − 2j)) & 0xC000C000
 * is weights (j, j + 8) at 16384·w against the lane word (x_j, x_{j+8}). Per weight word: LDR,
 * 4 (8) × (AND + LDR x + SMLAD). |4096·8·128| = |16384·2·128| = 2^22: a row of ≤ 64 inputs sums
 * within 2^28, and the scaled sum's low 12 (14) bits are zero, so the shift is exact. Inputs past
 * len are zero lanes, so a row's padding fields (within its last word) multiply zero.
 */
void bb_packed_matvec(const int8_t *x, uint32_t len, const uint8_t *w, uint32_t stride, uint32_t rows, uint32_t bits, int32_t *dot)
{
    uint32_t xl[BB_GRU_PACKED_MAX_LEN / 2u];
    const uint32_t per = 32u / bits, nw = (len + per - 1u) / per;
    int8_t t[16];
    for (uint32_t k = 0; k < nw; k++) {
        const int8_t *v = x + k * per;
        if ((k + 1u) * per > len) { /* the last partial word's inputs, zero-padded */
            for (uint32_t i = 0; i < per; i++) t[i] = k * per + i < len ? v[i] : 0;
            v = t;
        }
        uint32_t *o = xl + k * (per / 2u);
        if (bits == 4u) {
            const uint32_t a = bb_ldr_unaligned(v), b = bb_ldr_unaligned(v + 4);
            o[0] = (uint32_t)bb_sxtb16(a);
            o[1] = (uint32_t)bb_sxtb16_ror8(a);
            o[2] = (uint32_t)bb_sxtb16(b);
            o[3] = (uint32_t)bb_sxtb16_ror8(b);
        } else {
            for (uint32_t j = 0; j < 8u; j++) o[j] = ((uint32_t)(int32_t)v[j] & 0xFFFFu) | ((uint32_t)(int32_t)v[j + 8u] << 16);
        }
    }
    const uint32_t m4 = 0xF000F000u, m2 = 0xC000C000u;
    if (nw == 1u) { /* rows of ≤ 8 (2-bit: 16) inputs: x's lane words in registers, the lanes past len skipped */
        const int32_t x0 = (int32_t)xl[0], x1 = (int32_t)xl[1], x2 = (int32_t)xl[2], x3 = (int32_t)xl[3];
        if (bits == 4u && len <= 4u) { /* weights 4–7 multiply zero */
            for (int32_t *end = dot + rows; dot < end; dot++, w += stride) {
                const uint32_t v = bb_load_u32(w);
                *dot = bb_smlad((int32_t)((v << 4) & m4), x1, bb_smlad((int32_t)((v << 12) & m4), x0, 0)) >> 12;
            }
            return;
        }
        if (bits == 4u) {
            for (int32_t *end = dot + rows; dot < end; dot++, w += stride) {
                const uint32_t v = bb_load_u32(w);
                int32_t a = bb_smlad((int32_t)((v << 4) & m4), x1, bb_smlad((int32_t)((v << 12) & m4), x0, 0));
                *dot = bb_smlad((int32_t)(v & m4), x3, bb_smlad((int32_t)((v << 8) & m4), x2, a)) >> 12;
            }
            return;
        }
        if (len <= 8u) {
            /*
             * 2-bit rows of ≤ 8 inputs fill one lane of each pair (j, j + 8): with the row's fields
             * 4–7 copied to bits 16–23 (UXTH + ORR … LSL 8) pairs (j, j + 4), j < 4, hold them all,
             * half the SMLADs; rows of ≤ 4 inputs need no copy.
             */
            const int32_t y0 = (int32_t)(((uint32_t)x0 & 0xFFFFu) | (xl[4] << 16));
            const int32_t y1 = (int32_t)(((uint32_t)x1 & 0xFFFFu) | (xl[5] << 16));
            const int32_t y2 = (int32_t)(((uint32_t)x2 & 0xFFFFu) | (xl[6] << 16));
            const int32_t y3 = (int32_t)(((uint32_t)x3 & 0xFFFFu) | (xl[7] << 16));
            const uint32_t keep = len <= 4u ? 0xFFFFFFFFu : 0xFFFFu, copy = len <= 4u ? 0u : 8u;
            for (int32_t *end = dot + rows; dot < end; dot++, w += stride) {
                const uint32_t u = bb_load_u32(w), v = (u & keep) | ((u << copy) & ~keep);
                int32_t a = bb_smlad((int32_t)((v << 14) & m2), y0, 0);
                a = bb_smlad((int32_t)((v << 12) & m2), y1, a);
                a = bb_smlad((int32_t)((v << 10) & m2), y2, a);
                *dot = bb_smlad((int32_t)((v << 8) & m2), y3, a) >> 14;
            }
            return;
        }
        const int32_t x4 = (int32_t)xl[4], x5 = (int32_t)xl[5], x6 = (int32_t)xl[6], x7 = (int32_t)xl[7];
        for (int32_t *end = dot + rows; dot < end; dot++, w += stride) {
            const uint32_t v = bb_load_u32(w);
            int32_t a = bb_smlad((int32_t)((v << 14) & m2), x0, 0);
            a = bb_smlad((int32_t)((v << 12) & m2), x1, a);
            a = bb_smlad((int32_t)((v << 10) & m2), x2, a);
            a = bb_smlad((int32_t)((v << 8) & m2), x3, a);
            a = bb_smlad((int32_t)((v << 6) & m2), x4, a);
            a = bb_smlad((int32_t)((v << 4) & m2), x5, a);
            a = bb_smlad((int32_t)((v << 2) & m2), x6, a);
            *dot = bb_smlad((int32_t)(v & m2), x7, a) >> 14;
        }
        return;
    }
    if (bits == 4u && nw == 2u) { /* rows of 9–16 inputs: x's eight lane words in registers */
        const int32_t x0 = (int32_t)xl[0], x1 = (int32_t)xl[1], x2 = (int32_t)xl[2], x3 = (int32_t)xl[3];
        const int32_t x4 = (int32_t)xl[4], x5 = (int32_t)xl[5], x6 = (int32_t)xl[6], x7 = (int32_t)xl[7];
        for (int32_t *end = dot + rows; dot < end; dot++, w += stride) {
            const uint32_t v = bb_load_u32(w), u = bb_load_u32(w + 4);
            int32_t a = bb_smlad((int32_t)((v << 12) & m4), x0, 0);
            a = bb_smlad((int32_t)((v << 4) & m4), x1, a);
            a = bb_smlad((int32_t)((v << 8) & m4), x2, a);
            a = bb_smlad((int32_t)(v & m4), x3, a);
            a = bb_smlad((int32_t)((u << 12) & m4), x4, a);
            a = bb_smlad((int32_t)((u << 4) & m4), x5, a);
            a = bb_smlad((int32_t)((u << 8) & m4), x6, a);
            a = bb_smlad((int32_t)(u & m4), x7, a);
            *dot = a >> 12;
        }
        return;
    }
    for (int32_t *end = dot + rows; dot < end; dot++, w += stride) {
        const uint32_t *xp = xl;
        int32_t a = 0;
        if (bits == 4u) {
            for (const uint8_t *p = w, *pe = w + 4u * nw; p < pe; p += 4, xp += 4) {
                const uint32_t v = bb_load_u32(p);
                a = bb_smlad((int32_t)((v << 12) & m4), (int32_t)xp[0], a);
                a = bb_smlad((int32_t)((v << 4) & m4), (int32_t)xp[1], a);
                a = bb_smlad((int32_t)((v << 8) & m4), (int32_t)xp[2], a);
                a = bb_smlad((int32_t)(v & m4), (int32_t)xp[3], a);
            }
            *dot = a >> 12;
        } else {
            for (const uint8_t *p = w, *pe = w + 4u * nw; p < pe; p += 4, xp += 8) {
                const uint32_t v = bb_load_u32(p);
                a = bb_smlad((int32_t)((v << 14) & m2), (int32_t)xp[0], a);
                a = bb_smlad((int32_t)((v << 12) & m2), (int32_t)xp[1], a);
                a = bb_smlad((int32_t)((v << 10) & m2), (int32_t)xp[2], a);
                a = bb_smlad((int32_t)((v << 8) & m2), (int32_t)xp[3], a);
                a = bb_smlad((int32_t)((v << 6) & m2), (int32_t)xp[4], a);
                a = bb_smlad((int32_t)((v << 4) & m2), (int32_t)xp[5], a);
                a = bb_smlad((int32_t)((v << 2) & m2), (int32_t)xp[6], a);
                a = bb_smlad((int32_t)(v & m2), (int32_t)xp[7], a);
            }
            *dot = a >> 14;
        }
    }
}
#endif
