#include "bb_kernel_opt.h"
#include "bb_kernels.h"

/* Size builds (BB_KERNELS_SIZE_OPT) keep the per-position kernel: this one is ~2.1 KB of code on the M4, ~1.5 KB on the M0. */
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
 *
 * Any requant shift: a block with a multiplier ≥ 0.25 (shift ≥ −1, which binary layers' per-channel
 * scales usually give: a ±1 weight's scale is the channel's mean |w|) runs a second copy of the
 * position loop with bb_requant32 whole. Until 2026-12-07 such layers fell back to the per-position
 * kernel: the gesture model's universal-s1 conv ran 46,163 instructions, 26 % more than its int8
 * twin (36,598); blocked, 20,888.
 */
#define BB_B1_CONV_MAX_WORDS 64u /* rows up to 256 inputs: at most 1 KiB of masks on the stack */

/* One block of four rows: what the position loop needs, in one place. */
typedef struct {
    int32_t k0[4];   /* starting accumulators (LDM'd per position) */
    int32_t mult[4]; /* requantisation multipliers */
    int32_t rs[4];   /* −2 − shift: bb_requant32's usual branch (shift < −1) */
    int32_t shift[4];
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
 * The same for any shift (multipliers of 0.25 and more, as binary layers' scales give): bb_requant32,
 * whose int64 shifts ARMv7-M does inline. It must not call out of line: the sums are local register
 * variables in r0–r3, which a call would clobber (bb_requant32_b1's rare exact path is a call).
 */
static inline int8_t bb_b1_out_any(int32_t a, int32_t mult, int32_t shift, int32_t zp, int32_t lo, int32_t hi)
{
    int32_t v = bb_requant32(a, mult, shift) + zp;
    v = v < lo ? lo : v;
    return (int8_t)(v > hi ? hi : v);
}

/*
 * n ≥ 1 positions: columns at col, col + step, …; outputs of the block's four rows at o, o + ostep, ….
 * Per position: LDM the starting sums, the words below the last (LDR, EOR, LDM masks, 4 × USADA8),
 * the last word shifted, then four requantisations: bb_requant32's usual branch when every shift
 * of the block is < −1 (any = 0), else the whole of it (any = 1). Two copies, so the usual case
 * tests nothing per output.
 */
static inline __attribute__((always_inline)) void bb_b1_conv_body(const bb_b1_block_t *b, const int8_t *col, uint32_t step, uint32_t n,
                                                                   int8_t *o, uint32_t ostep, const int any)
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
#define BB_B1_CONV_ASM                                                                                                      \
    "ldmia  %[k], {r0, r1, r2, r3}\n\t"                                                                                      \
    "cmp    %[x], %[xl]\n\t"                                                                                                 \
    "bcs    2f\n"                                                                                                           \
    "1:\n\t"                                                                                                               \
    "ldr    %[xw], [%[x]], #4\n\t"                                                                                           \
    "eor    %[xw], %[xw], #0x80808080\n\t"                                                                                   \
    "ldmia  %[m]!, {r8, r9, r10, r11}\n\t"                                                                                  \
    "usada8 r0, %[xw], r8, r0\n\t"                                                                                          \
    "usada8 r1, %[xw], r9, r1\n\t"                                                                                          \
    "usada8 r2, %[xw], r10, r2\n\t"                                                                                         \
    "usada8 r3, %[xw], r11, r3\n\t"                                                                                         \
    "cmp    %[x], %[xl]\n\t"                                                                                                 \
    "bcc    1b\n"                                                                                                           \
    "2:\n\t"                                                                                                               \
    "ldr    %[xw], [%[xl]]\n\t"                                                                                              \
    "lsr    %[xw], %[xw], %[sh]\n\t"                                                                                         \
    "eor    %[xw], %[xw], #0x80808080\n\t"                                                                                   \
    "ldmia  %[m], {r8, r9, r10, r11}\n\t"                                                                                   \
    "usada8 r0, %[xw], r8, r0\n\t"                                                                                          \
    "usada8 r1, %[xw], r9, r1\n\t"                                                                                          \
    "usada8 r2, %[xw], r10, r2\n\t"                                                                                         \
    "usada8 r3, %[xw], r11, r3\n\t"
#define BB_B1_CONV_OPERANDS                                                                                                  \
    : [x] "+r"(x), [m] "+r"(m), [xw] "=&r"(xw), "=&r"(a0), "=&r"(a1), "=&r"(a2), "=&r"(a3), "=&r"(m0), "=&r"(m1), "=&r"(m2), \
      "=&r"(m3)                                                                                                              \
    : [xl] "r"(xl), [sh] "r"(b->sh), [k] "r"(b->k0)
        if (any) {
            __asm__ volatile(BB_B1_CONV_ASM BB_B1_CONV_OPERANDS : "cc", "memory");
            o[0] = bb_b1_out_any((int32_t)a0, b->mult[0], b->shift[0], zp, lo, hi);
            o[1] = bb_b1_out_any((int32_t)a1, b->mult[1], b->shift[1], zp, lo, hi);
            o[2] = bb_b1_out_any((int32_t)a2, b->mult[2], b->shift[2], zp, lo, hi);
            o[3] = bb_b1_out_any((int32_t)a3, b->mult[3], b->shift[3], zp, lo, hi);
        } else {
            __asm__ volatile(BB_B1_CONV_ASM BB_B1_CONV_OPERANDS : "cc", "memory");
            o[0] = bb_b1_out((int32_t)a0, b->mult[0], b->rs[0], zp, lo, hi);
            o[1] = bb_b1_out((int32_t)a1, b->mult[1], b->rs[1], zp, lo, hi);
            o[2] = bb_b1_out((int32_t)a2, b->mult[2], b->rs[2], zp, lo, hi);
            o[3] = bb_b1_out((int32_t)a3, b->mult[3], b->rs[3], zp, lo, hi);
        }
#undef BB_B1_CONV_ASM
#undef BB_B1_CONV_OPERANDS
        col += step;
        o += ostep;
    } while (--n);
}

static void bb_b1_conv_run_usual(const bb_b1_block_t *b, const int8_t *col, uint32_t step, uint32_t n, int8_t *o, uint32_t ostep)
{
    bb_b1_conv_body(b, col, step, n, o, ostep, 0);
}

static void bb_b1_conv_run_any(const bb_b1_block_t *b, const int8_t *col, uint32_t step, uint32_t n, int8_t *o, uint32_t ostep)
{
    bb_b1_conv_body(b, col, step, n, o, ostep, 1);
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
 * The column of one position of a kernel taller than one row (kh > 1) into dst, len = kh·seg bytes:
 * per kernel row seg contiguous input bytes. Inside the input, a copy four at a time (unaligned
 * words; a last partial word overlaps the one before), bytes one by one for seg < 4: ~30
 * instructions for a 3×3 one-channel column, where bb_conv_column's tap loop with its bounds checks
 * takes ~4 times that. In the padding (rows or taps outside), in_zp for the taps outside.
 */
static inline __attribute__((always_inline)) void bb_b1_conv_copy(int8_t *dst, const int8_t *src, uint32_t n)
{
    if (n < 4u) {
        for (uint32_t i = 0; i < n; i++) dst[i] = src[i];
        return;
    }
    uint32_t i = 0;
    for (; i + 4u <= n; i += 4u) __builtin_memcpy(dst + i, src + i, 4);
    if (i < n) __builtin_memcpy(dst + n - 4u, src + n - 4u, 4);
}

/* n interior columns (receptive fields inside the input) from src, src + step, … one after another at dst. */
static void bb_b1_conv_gather(const int8_t *src, uint32_t step, uint32_t rstride, uint32_t kh, uint32_t seg, uint32_t n, int8_t *dst)
{
    for (; n; n--, src += step) {
        const int8_t *s = src;
        for (uint32_t ky = 0; ky < kh; ky++, s += rstride, dst += seg) bb_b1_conv_copy(dst, s, seg);
    }
}

static __attribute__((noinline)) void bb_b1_conv_col_pad(const bb_conv_params_t *p, const int8_t *in, int32_t y0, int32_t x0, int8_t zp,
                                                         int8_t *dst)
{
    const uint32_t tap = p->in_c, seg = (uint32_t)p->kw * tap;
    const uint32_t kx_lo = x0 < 0 ? (uint32_t)-x0 : 0u;
    const int32_t room = (int32_t)p->in_w - x0; /* taps left of the input's right edge */
    const uint32_t kx_hi = room <= 0 ? 0u : (uint32_t)room < p->kw ? (uint32_t)room : p->kw;
    for (uint32_t ky = 0; ky < p->kh; ky++, dst += seg) {
        const int32_t y = y0 + (int32_t)ky;
        uint32_t i = 0;
        if (y >= 0 && y < (int32_t)p->in_h && kx_lo < kx_hi) {
            for (; i < kx_lo * tap; i++) dst[i] = zp;
            bb_b1_conv_copy(dst + i, in + ((uint32_t)y * p->in_w + (uint32_t)(x0 + (int32_t)kx_lo)) * tap, (kx_hi - kx_lo) * tap);
            i = kx_hi * tap;
        }
        for (; i < seg; i++) dst[i] = zp;
    }
}

/* Interior columns gathered per chunk of an output row (kh > 1): at most this many bytes on the stack. */
#define BB_B1_CONV_GATHER_BYTES 256u

typedef void (*bb_b1_run_fn)(const bb_b1_block_t *, const int8_t *, uint32_t, uint32_t, int8_t *, uint32_t);

/*
 * A layer of out_c < 4 filters: every position stores the block's four outputs, the ones past out_c
 * into the next positions' slots, which those positions overwrite (positions run in output order).
 * Positions whose four bytes would pass the output's end (the layer's last 1–3) run into a local
 * word and keep out_c bytes of it.
 */
static __attribute__((noinline)) void bb_b1_conv_run_few(bb_b1_run_fn run, const bb_b1_block_t *b, const int8_t *col, uint32_t step,
                                                         uint32_t n, int8_t *o, uint32_t out_c, const int8_t *end)
{
    uint32_t k = n;
    while (k && o + (k - 1u) * out_c + 4u > end) k--;
    if (k) run(b, col, step, k, o, out_c);
    for (; k < n; k++) {
        int8_t t[4];
        run(b, col + k * step, 0, 1, t, 0);
        for (uint32_t i = 0; i < out_c; i++) o[k * out_c + i] = t[i];
    }
}

/*
 * 4 ≤ row ≤ 4·BB_B1_CONV_MAX_WORDS (the caller checks); any kernel height, any filters, any shifts.
 * Output channels in blocks of four; when out_c is not a multiple of 4 the last block starts at
 * out_c − 4 and recomputes a few channels (same values) instead of handling a short block; a layer
 * of 1–3 filters is one block whose spare rows repeat its last filter (bb_b1_conv_run_few). Per
 * block the interior positions of each output row run back to back: a one-row kernel straight from
 * the input (border positions one by one on a column gathered into scratch with in_zp in the padded
 * taps), a taller one on the columns of up to BB_B1_CONV_GATHER_BYTES / row positions gathered at a
 * time, border ones included (bb_b1_conv_copy, bb_b1_conv_col_pad; until 2026-12-07 taller kernels
 * ran bb_fc_b1 per position: the MNIST conv 28×28×1, 3×3 stride 2, 4 filters 128,135 instructions,
 * the 2-bit conv 88,656).
 */
static void bb_conv_b1_blocks(const bb_conv_params_t *p, const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in,
                              const uint8_t *w, int8_t *out, int8_t *scratch)
{
    const uint32_t len = bb_conv_row_len(p), tap = p->in_c, nw = (len + 3u) / 4u;
    const uint32_t seg = (uint32_t)p->kw * tap, rstride = (uint32_t)p->in_w * tap;
    const uint32_t chunk = BB_B1_CONV_GATHER_BYTES / len; /* ≥ 1: len ≤ 4·BB_B1_CONV_MAX_WORDS */
    uint32_t m[4u * nw]; /* ≤ 4·BB_B1_CONV_MAX_WORDS words: sized by the row, so small layers take little stack */
    int8_t cols[p->kh > 1u ? BB_B1_CONV_GATHER_BYTES : 1u];
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
    const uint32_t few = p->out_c < 4u; /* one block, four outputs stored per position (bb_b1_conv_run_few) */
    const int8_t *const oend = out + (uint32_t)p->out_h * p->out_w * p->out_c;
    for (uint32_t c0 = 0; c0 < p->out_c; c0 += 4u) {
        const uint32_t c = c0 + 4u <= p->out_c ? c0 : few ? 0u : p->out_c - 4u;
        int any = 0;
        for (uint32_t r = 0; r < 4u; r++) {
            const uint32_t cr = c + (r < p->out_c ? r : p->out_c - 1u);
            b.k0[r] = bb_b1_conv_expand(act, ch, cr, w + cr * p->row_stride, len, m + r);
            b.mult[r] = ch->mult[cr];
            b.shift[r] = ch->shift[cr];
            b.rs[r] = -2 - ch->shift[cr];
            any |= ch->shift[cr] >= -1;
        }
        const bb_b1_run_fn run = any ? bb_b1_conv_run_any : bb_b1_conv_run_usual;
        for (uint32_t oy = 0; oy < p->out_h; oy++) {
            const int32_t y = (int32_t)(oy * p->sh) - (int32_t)p->pad_t;
            const int row_in = y >= 0 && y + (int32_t)p->kh <= (int32_t)p->in_h;
            int8_t *orow = out + oy * p->out_w * p->out_c + c;
            if (p->kh > 1u) {
                /* Chunks of the output row: every position's column gathered (in_zp in its padded taps), then one run. */
                for (uint32_t ox = 0; ox < p->out_w;) {
                    const uint32_t n = p->out_w - ox < chunk ? p->out_w - ox : chunk;
                    int8_t *dst = cols;
                    for (uint32_t q = ox; q < ox + n;) {
                        const int32_t x0 = (int32_t)(q * p->sw) - (int32_t)p->pad_l;
                        if (row_in && q >= ox_lo && q < ox_hi) { /* the interior part of the chunk in one call */
                            const uint32_t k = (ox_hi < ox + n ? ox_hi : ox + n) - q;
                            bb_b1_conv_gather(in + ((uint32_t)y * p->in_w + (uint32_t)x0) * tap, p->sw * tap, rstride, p->kh, seg, k, dst);
                            dst += k * len;
                            q += k;
                        } else {
                            bb_b1_conv_col_pad(p, in, y, x0, (int8_t)act->in_zp, dst);
                            dst += len;
                            q++;
                        }
                    }
                    if (few) bb_b1_conv_run_few(run, &b, cols, len, n, orow + ox * p->out_c, p->out_c, oend);
                    else run(&b, cols, len, n, orow + ox * p->out_c, p->out_c);
                    ox += n;
                }
                continue;
            }
            for (uint32_t ox = 0; ox < p->out_w; ox++) {
                const int32_t x0 = (int32_t)(ox * p->sw) - (int32_t)p->pad_l;
                if (row_in && ox >= ox_lo && ox < ox_hi) {
                    const int8_t *col = in + ((uint32_t)y * p->in_w + (uint32_t)x0) * tap;
                    if (few) bb_b1_conv_run_few(run, &b, col, p->sw * tap, ox_hi - ox, orow + ox * p->out_c, p->out_c, oend);
                    else run(&b, col, p->sw * tap, ox_hi - ox, orow + ox * p->out_c, p->out_c);
                    ox = ox_hi - 1u;
                    continue;
                }
                for (uint32_t kx = 0; kx < p->kw; kx++) {
                    const int32_t x = x0 + (int32_t)kx;
                    const int inside = row_in && x >= 0 && x < (int32_t)p->in_w;
                    for (uint32_t i = 0; i < tap; i++)
                        scratch[kx * tap + i] = inside ? in[((uint32_t)y * p->in_w + (uint32_t)x) * tap + i] : (int8_t)act->in_zp;
                }
                if (few) bb_b1_conv_run_few(run, &b, scratch, 0, 1, orow + ox * p->out_c, p->out_c, oend);
                else run(&b, scratch, 0, 1, orow + ox * p->out_c, 0);
            }
        }
    }
}

static bb_kstatus_t bb_conv_b1(const bb_conv_params_t *p, const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in,
                               const uint8_t *w, int8_t *out, int8_t *scratch)
{
    const uint32_t len = bb_conv_row_len(p);
    if (len >= 4u && len <= 4u * BB_B1_CONV_MAX_WORDS && p->out_c >= 1u) {
        bb_conv_b1_blocks(p, act, ch, in, w, out, scratch);
        return BB_KOK;
    }
    /*
     * Rows of < 4 inputs, which the blocks do not take: ±1 pair words, the 2-bit conv's kernel
     * (bb_conv_pairs.c) with the rows expanded from a nibble table, where bb_fc_b1 per position
     * re-derives the masks and pays its call at every position.
     */
    if (bb_conv_pairs_fits(p)) return bb_conv_pairs(p, act, ch, in, w, out, scratch, 1u);
    return bb_conv_generic(p, act, ch, in, w, out, scratch, bb_fc_b1, len);
}
#elif !defined(BB_KERNELS_SIZE_OPT)
#include "bb_requant.h"

/*
 * Cores without the DSP extension (Cortex-M0), speed builds: binary convolution on byte masks
 * expanded once per layer, summed four lanes at a time (SWAR) in plain C.
 *
 * bb_fc_b1_c runs every output position as a fully connected layer of its own: subset-sum tables of
 * the column rebuilt at each position (~67 instructions per 4 inputs), which a layer of few output
 * channels cannot amortise — seed 000's gesture conv (6 channels, rows of 18) ran slower binary than
 * int8. Here, as in the M4's kernel above, each row's weight bits become lane masks once per layer
 * (0xFF where w = +1), and per position:
 *   - the column is read once into words xu = x + 128 (x ^ 0x80 per byte; word loads when the column
 *     is 4-byte aligned), the lanes past the row zeroed, and S = Σ xu summed;
 *   - per row and word: v = xu & mask, acc += (v & 0x00FF00FF) + ((v >> 8) & 0x00FF00FF) — two 16-bit
 *     lanes, each ≤ 510 per word, so rows of ≤ 128 words never carry across lanes;
 *   - S₊ = the two lanes' sum = Σ_{w=+1} xu, and Σ w·x = 2·S₊ − S − 128·(2·n₊ − len), n₊ the row's
 *     count of +1 weights (counted from the bits, so the result does not depend on the stored Σw).
 * The accumulator then starts from bias − in_zp·Σw like every kernel's and goes through
 * bb_requant32_b1 (any shift; two MULS instead of __aeabi_lmul while it fits 16 bits, as a binary
 * layer's usually does): bit-identical to bb_conv_generic over bb_fc_b1_ref.
 * Per MAC that is 2.5 instructions a row against the tables' ~1.5 (Thumb-1) to ~2.6 (pure C) plus
 * ~17 per input to build them at each position: the masks win while the rows are few, the tables
 * when many rows share them. So this kernel takes layers whose masks fit BB_B1S_MASK_WORDS words
 * (out_c · ⌈row/4⌉ ≤ 64, ≤ 16 channels: the gesture conv's 6 × 5), one block of rows per layer; the
 * others keep the per-position tables (bench conv 1×62×16, k3, 16 out: 16 × 12 words; the masks ran
 * it at 6.07 instructions/MAC against the tables' 4.86, pure C). Stack: 512 B of arrays.
 */
#define BB_B1S_MAX_WORDS 32u  /* rows up to 128 inputs */
#define BB_B1S_MASK_WORDS 64u /* 256 B of masks per block of rows */
#define BB_B1S_MAX_ROWS 16u

/* Nibble v (4 weight bits, LSB first) → lane masks: lane i 0xFF where bit i is set (w = +1). */
#define NM(v) ((((v) & 1u) ? 0xFFu : 0u) | (((v) & 2u) ? 0xFF00u : 0u) | (((v) & 4u) ? 0xFF0000u : 0u) | (((v) & 8u) ? 0xFF000000u : 0u))
static const uint32_t bb_b1_nib_masks[16] = {NM(0u),  NM(1u),  NM(2u),  NM(3u),  NM(4u),  NM(5u),  NM(6u),  NM(7u),
                                             NM(8u),  NM(9u),  NM(10u), NM(11u), NM(12u), NM(13u), NM(14u), NM(15u)};
#undef NM

/* Column bytes → xu words (lanes ≥ len zero), returns Σ xu. */
static uint32_t bb_b1s_column(const int8_t *col, uint32_t len, uint32_t *xw)
{
    const uint32_t full = len / 4u, k = 0x00FF00FFu;
    uint32_t s = 0;
    if (((uintptr_t)col & 3u) == 0u) {
        for (uint32_t j = 0; j < full; j++) {
            const uint32_t v = bb_load_u32((const uint8_t *)(const void *)(col + 4u * j)) ^ 0x80808080u;
            xw[j] = v;
            s += (v & k) + ((v >> 8) & k);
        }
    } else {
        for (uint32_t j = 0; j < full; j++) {
            const uint8_t *b = (const uint8_t *)(const void *)(col + 4u * j);
            const uint32_t v = ((uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24)) ^ 0x80808080u;
            xw[j] = v;
            s += (v & k) + ((v >> 8) & k);
        }
    }
    if (len > 4u * full) {
        uint32_t v = 0;
        for (uint32_t i = 4u * full; i < len; i++) v |= ((uint32_t)(uint8_t)col[i] ^ 0x80u) << (8u * (i - 4u * full));
        xw[full] = v;
        s += (v & k) + ((v >> 8) & k);
    }
    return (s & 0xFFFFu) + (s >> 16);
}

/* s[r] = Σ_{w=+1} xu for rows r < rows (masks row after row, nw words each), against one column. */
static void bb_b1s_sums(const uint32_t *xw, const uint32_t *m, uint32_t nw, uint32_t rows, int32_t *s)
{
    const uint32_t kk = 0x00FF00FFu;
    const uint32_t *const xe = xw + nw;
    for (uint32_t r = 0; r < rows; r++) {
        uint32_t acc = 0;
        const uint32_t *x = xw;
        do {
            const uint32_t v = *x++ & *m++;
            acc += (v & kk) + ((v >> 8) & kk);
        } while (x != xe);
        s[r] = (int32_t)((acc & 0xFFFFu) + (acc >> 16));
    }
}

static void bb_conv_b1_swar(const bb_conv_params_t *p, const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in,
                            const uint8_t *w, int8_t *out, int8_t *scratch)
{
    const uint32_t len = bb_conv_row_len(p), tap = p->in_c, nw = (len + 3u) / 4u;
    const uint32_t in_bytes = (uint32_t)p->in_h * p->in_w * tap;
    uint32_t rmax = BB_B1S_MASK_WORDS / nw;
    if (rmax > BB_B1S_MAX_ROWS) rmax = BB_B1S_MAX_ROWS;
    if (rmax > p->out_c) rmax = p->out_c;
    /* Fixed sizes (512 B): a variable-length array costs the M0 a frame pointer and slower stack access. */
    uint32_t m[BB_B1S_MASK_WORDS];
    int32_t k0[BB_B1S_MAX_ROWS], sp[BB_B1S_MAX_ROWS];
    uint32_t xw[BB_B1S_MAX_WORDS];
    const int32_t zp = act->out_zp, lo = act->act_min, hi = act->act_max;
    for (uint32_t c = 0; c < p->out_c; c += rmax) {
        const uint32_t rows = p->out_c - c < rmax ? p->out_c - c : rmax;
        for (uint32_t r = 0; r < rows; r++) {
            const uint8_t *row = w + (c + r) * p->row_stride;
            uint32_t *mr = m + r * nw;
            int32_t npos = 0;
            for (uint32_t j = 0; j < nw; j++) {
                uint32_t v = bb_b1_nib_masks[(row[j >> 1] >> (4u * (j & 1u))) & 15u];
                if (4u * j + 4u > len) v &= 0xFFFFFFFFu >> (8u * (4u * j + 4u - len)); /* lanes past the row */
                mr[j] = v;
                for (uint32_t t = v & 0x01010101u; t; t &= t - 1u) npos++;
            }
            const int32_t ws = ch->wsum[c + r];
            k0[r] = ch->bias[c + r] - act->in_zp * ws - 128 * (2 * npos - (int32_t)len);
        }
        const int32_t *mult = ch->mult + c, *shift = ch->shift + c;
        for (uint32_t oy = 0; oy < p->out_h; oy++) {
            const int32_t y0 = (int32_t)(oy * p->sh) - (int32_t)p->pad_t;
            for (uint32_t ox = 0; ox < p->out_w; ox++) {
                const int32_t x0 = (int32_t)(ox * p->sw) - (int32_t)p->pad_l;
                const int8_t *col = bb_conv_column(p, in, in_bytes, len, y0, x0, (int8_t)act->in_zp, scratch);
                const int32_t sall = (int32_t)bb_b1s_column(col, len, xw);
                bb_b1s_sums(xw, m, nw, rows, sp);
                int8_t *o = out + (oy * p->out_w + ox) * p->out_c + c;
                for (uint32_t r = 0; r < rows; r++) {
                    int32_t v = bb_requant32_b1(k0[r] + 2 * sp[r] - sall, mult[r], shift[r]) + zp;
                    v = v < lo ? lo : v;
                    o[r] = (int8_t)(v > hi ? hi : v);
                }
            }
        }
    }
}

static bb_kstatus_t bb_conv_b1(const bb_conv_params_t *p, const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in,
                               const uint8_t *w, int8_t *out, int8_t *scratch)
{
    const uint32_t len = bb_conv_row_len(p), nw = (len + 3u) / 4u;
    if (len >= 1u && nw <= BB_B1S_MAX_WORDS && p->out_c <= BB_B1S_MAX_ROWS && p->out_c * nw <= BB_B1S_MASK_WORDS) {
        bb_conv_b1_swar(p, act, ch, in, w, out, scratch);
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
