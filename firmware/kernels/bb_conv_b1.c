#include "bb_kernel_opt.h"
#include "bb_kernels.h"

/* Size builds (BB_KERNELS_SIZE_OPT) keep the per-position kernel: this one is ~1.3 KB of code. */
#if BB_KERNELS_DSP && !defined(BB_KERNELS_SIZE_OPT)
#include "bb_requant.h"
#include "bb_simd.h"

/*
 * Cortex-M4, binary weights: four output channels at a time over every output position.
 *
 * bb_fc_b1 (one position, every channel) turns each weight byte into its USADA8 masks with a
 * table look-up per row and pass: 5 instructions per row per 8 inputs. A convolution uses each
 * row at every position, so here the masks of four rows are expanded once per layer into a stack
 * buffer, interleaved by word, and the inner loop per 4 inputs and 4 channels is
 *     LDR x, EOR 0x80808080, LDM {4 masks}, 4 × USADA8, CMP, BCC: 9 instructions for 16 MACs.
 * USADA8 sums |xu − m| with xu = x + 128 and m = 0x00 (w = +1) / 0xFF (w = −1):
 * A = Σ_{+1} xu + Σ_{−1} (255 − xu), and Σ w·x = A − (255·row + Σw)/2 (bb_fc_b1.c).
 *
 * A row whose length is not a multiple of 4 ends with a word read at row − 4, which overlaps the
 * word before by ov = 4·⌈row/4⌉ − row lanes; LSR by 8·ov drops them, the ov top lanes become 0,
 * xu = 0x80 after the EOR, and against mask 0x00 each adds exactly 128. No read leaves the
 * receptive field, no tail loop: one LSR per position and row pass.
 *
 * The accumulators start at bias − in_zp·Σw − 128·ov − (255·row + Σw)/2, so the loop leaves the
 * requantiser's input exactly (the arithmetic of bb_kernels.h, bit-identical to bb_fc_b1_ref).
 */
#define BB_B1_CONV_MAX_WORDS 64u /* rows up to 256 inputs: at most 1 KiB of masks on the stack */

/* One block of four rows: what the position loop needs, in one place. */
typedef struct {
    int32_t k0[4];   /* starting accumulators (LDM'd per position) */
    int32_t mult[4]; /* requantisation multipliers */
    int32_t rs[4];   /* −2 − shift: bb_requant32's usual branch (shift < −1) */
    int32_t zp, lo, hi;
    const uint32_t *m; /* masks: word j of row r at m[4·j + r] */
    uint32_t last;     /* byte offset of the last word: len − 4 */
    uint32_t sh;       /* its right shift, 8·ov */
} bb_b1_block_t;

/* clamp(requant(a) + zp): bb_requant32's branch for shift < −1 with rs = −2 − shift, then the clamp. */
static inline int8_t bb_b1_out(int32_t a, int32_t mult, int32_t rs, int32_t zp, int32_t lo, int32_t hi)
{
    int32_t v = ((((int32_t)(((int64_t)a * mult) >> 32)) >> rs) + 1) >> 1;
    v += zp;
    v = v < lo ? lo : v;
    return (int8_t)(v > hi ? hi : v);
}

/*
 * n ≥ 1 positions: columns at col, col + step, …; outputs of the block's four rows at o, o + ostep, ….
 * Per position: LDM the starting sums, the words below the last (LDR, EOR, LDM masks, 4 × USADA8),
 * the last word shifted, then four requantisations.
 */
static void bb_b1_conv_run(const bb_b1_block_t *b, const int8_t *col, uint32_t step, uint32_t n, int8_t *o, uint32_t ostep)
{
    const int32_t zp = b->zp, lo = b->lo, hi = b->hi;
    do {
        /* LDM fills registers in ascending order: the sums and masks are named. */
        register uint32_t a0 __asm__("r0");
        register uint32_t a1 __asm__("r1");
        register uint32_t a2 __asm__("r2");
        register uint32_t a3 __asm__("r3");
        register uint32_t m0 __asm__("r8");
        register uint32_t m1 __asm__("r9");
        register uint32_t m2 __asm__("r10");
        register uint32_t m3 __asm__("r11");
        const int8_t *x = col, *xl = col + b->last;
        const uint32_t *m = b->m;
        uint32_t xw;
        __asm__ volatile(
            "ldmia  %[k], {r0, r1, r2, r3}\n\t"
            "cmp    %[x], %[xl]\n\t"
            "bcs    2f\n"
            "1:\n\t"
            "ldr    %[xw], [%[x]], #4\n\t"
            "eor    %[xw], %[xw], #0x80808080\n\t"
            "ldmia  %[m]!, {r8, r9, r10, r11}\n\t"
            "usada8 r0, %[xw], r8, r0\n\t"
            "usada8 r1, %[xw], r9, r1\n\t"
            "usada8 r2, %[xw], r10, r2\n\t"
            "usada8 r3, %[xw], r11, r3\n\t"
            "cmp    %[x], %[xl]\n\t"
            "bcc    1b\n"
            "2:\n\t"
            "ldr    %[xw], [%[xl]]\n\t"
            "lsr    %[xw], %[xw], %[sh]\n\t"
            "eor    %[xw], %[xw], #0x80808080\n\t"
            "ldmia  %[m], {r8, r9, r10, r11}\n\t"
            "usada8 r0, %[xw], r8, r0\n\t"
            "usada8 r1, %[xw], r9, r1\n\t"
            "usada8 r2, %[xw], r10, r2\n\t"
            "usada8 r3, %[xw], r11, r3\n\t"
            : [x] "+r"(x), [m] "+r"(m), [xw] "=&r"(xw), "=&r"(a0), "=&r"(a1), "=&r"(a2), "=&r"(a3), "=&r"(m0), "=&r"(m1), "=&r"(m2),
              "=&r"(m3)
            : [xl] "r"(xl), [sh] "r"(b->sh), [k] "r"(b->k0)
            : "cc", "memory");
        o[0] = bb_b1_out((int32_t)a0, b->mult[0], b->rs[0], zp, lo, hi);
        o[1] = bb_b1_out((int32_t)a1, b->mult[1], b->rs[1], zp, lo, hi);
        o[2] = bb_b1_out((int32_t)a2, b->mult[2], b->rs[2], zp, lo, hi);
        o[3] = bb_b1_out((int32_t)a3, b->mult[3], b->rs[3], zp, lo, hi);
        col += step;
        o += ostep;
    } while (--n);
}

/* Masks of one row into m[4·j] (j < ⌈len/4⌉) and its starting accumulator. */
static int32_t bb_b1_conv_expand(const bb_act_params_t *act, const bb_chan_params_t *ch, uint32_t c, const uint8_t *row, uint32_t len,
                                 uint32_t *m)
{
    const uint32_t nw = (len + 3u) / 4u, ov = 4u * nw - len;
    for (uint32_t j = 0; j + 1u < nw; j++) m[4u * j] = bb_b1_masks[row[j >> 1]][j & 1u];
    uint32_t last = 0; /* the row's last 4 − ov weights in the low lanes, 0x00 in the ov lanes above */
    for (uint32_t l = 0; l + ov < 4u; l++) last |= (bb_weight_at(row, 4u * (nw - 1u) + l, 1u) > 0 ? 0u : 0xFFu) << (8u * l);
    m[4u * (nw - 1u)] = last;
    const int32_t ws = ch->wsum[c];
    return ch->bias[c] - act->in_zp * ws - 128 * (int32_t)ov - ((255 * (int32_t)len + ws) >> 1);
}

/*
 * kh = 1, 4 ≤ row ≤ 4·BB_B1_CONV_MAX_WORDS, out_c ≥ 4, every shift < −1 (the caller checks).
 * Output channels in blocks of four; when out_c is not a multiple of 4 the last block starts at
 * out_c − 4 and recomputes a few channels (same values) instead of handling a short block. Per
 * block the interior positions of each output row run back to back; border positions one by one on
 * a column gathered into scratch with in_zp in the padded taps.
 */
static void bb_conv_b1_blocks(const bb_conv_params_t *p, const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in,
                              const uint8_t *w, int8_t *out, int8_t *scratch)
{
    const uint32_t len = bb_conv_row_len(p), tap = p->in_c, nw = (len + 3u) / 4u;
    uint32_t m[4u * nw]; /* ≤ 4·BB_B1_CONV_MAX_WORDS words: sized by the row, so small layers take little stack */
    bb_b1_block_t b;
    b.zp = act->out_zp;
    b.lo = act->act_min;
    b.hi = act->act_max;
    b.m = m;
    b.last = len - 4u;
    b.sh = 8u * (4u * nw - len);
    /* Interior output columns: x0 = ox·sw − pad_l ≥ 0 and x0 + kw ≤ in_w. */
    const uint32_t ox_lo = (p->pad_l + p->sw - 1u) / p->sw;
    const uint32_t ox_end = p->in_w + p->pad_l < p->kw ? 0u : (p->in_w + p->pad_l - p->kw) / p->sw + 1u;
    const uint32_t ox_hi = ox_end < p->out_w ? ox_end : p->out_w;
    for (uint32_t c0 = 0; c0 < p->out_c; c0 += 4u) {
        const uint32_t c = c0 + 4u <= p->out_c ? c0 : p->out_c - 4u;
        for (uint32_t r = 0; r < 4u; r++) {
            b.k0[r] = bb_b1_conv_expand(act, ch, c + r, w + (c + r) * p->row_stride, len, m + r);
            b.mult[r] = ch->mult[c + r];
            b.rs[r] = -2 - ch->shift[c + r];
        }
        for (uint32_t oy = 0; oy < p->out_h; oy++) {
            const int32_t y = (int32_t)(oy * p->sh) - (int32_t)p->pad_t;
            const int row_in = y >= 0 && y < (int32_t)p->in_h;
            int8_t *orow = out + oy * p->out_w * p->out_c + c;
            for (uint32_t ox = 0; ox < p->out_w; ox++) {
                const int32_t x0 = (int32_t)(ox * p->sw) - (int32_t)p->pad_l;
                if (row_in && ox >= ox_lo && ox < ox_hi) {
                    bb_b1_conv_run(&b, in + ((uint32_t)y * p->in_w + (uint32_t)x0) * tap, p->sw * tap, ox_hi - ox, orow + ox * p->out_c,
                                   p->out_c);
                    ox = ox_hi - 1u;
                    continue;
                }
                for (uint32_t kx = 0; kx < p->kw; kx++) {
                    const int32_t x = x0 + (int32_t)kx;
                    const int inside = row_in && x >= 0 && x < (int32_t)p->in_w;
                    for (uint32_t i = 0; i < tap; i++)
                        scratch[kx * tap + i] = inside ? in[((uint32_t)y * p->in_w + (uint32_t)x) * tap + i] : (int8_t)act->in_zp;
                }
                bb_b1_conv_run(&b, scratch, 0, 1, orow + ox * p->out_c, 0);
            }
        }
    }
}

/* The blocked kernel needs every multiplier below 0.5 (shift < −1), as quantizers produce. */
static int bb_b1_shifts_ok(const bb_chan_params_t *ch, uint32_t n)
{
    for (uint32_t c = 0; c < n; c++)
        if (ch->shift[c] >= -1) return 0;
    return 1;
}

static bb_kstatus_t bb_conv_b1(const bb_conv_params_t *p, const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in,
                               const uint8_t *w, int8_t *out, int8_t *scratch)
{
    const uint32_t len = bb_conv_row_len(p);
    if (p->kh == 1u && len >= 4u && len <= 4u * BB_B1_CONV_MAX_WORDS && p->out_c >= 4u && bb_b1_shifts_ok(ch, p->out_c)) {
        bb_conv_b1_blocks(p, act, ch, in, w, out, scratch);
        return BB_KOK;
    }
    return bb_conv_generic(p, act, ch, in, w, out, scratch, bb_fc_b1, len);
}
#else
#define bb_conv_b1(p, act, ch, in, w, out, scratch) bb_conv_generic((p), (act), (ch), (in), (w), (out), (scratch), bb_fc_b1, bb_conv_row_len(p))
#endif

bb_kstatus_t bb_conv1d_b1(const bb_conv_params_t *p, const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in,
                          const uint8_t *w, int8_t *out, int8_t *scratch)
{
    if (p->in_h != 1u || p->kh != 1u) return BB_KERR_ARG;
    return bb_conv_b1(p, act, ch, in, w, out, scratch);
}

bb_kstatus_t bb_conv2d_b1(const bb_conv_params_t *p, const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in,
                          const uint8_t *w, int8_t *out, int8_t *scratch)
{
    return bb_conv_b1(p, act, ch, in, w, out, scratch);
}
