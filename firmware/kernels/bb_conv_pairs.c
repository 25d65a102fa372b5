#include "bb_kernel_opt.h"
#include "bb_fc_common.h"
#if BB_KERNELS_DSP
#include "bb_simd.h"
#endif

/* Size builds (BB_KERNELS_SIZE_OPT) keep bb_conv_generic over the fully connected kernels. */
#ifndef BB_KERNELS_SIZE_OPT
/*
 * 4- and 2-bit convolutions with short rows (speed builds, both cores): the weights expanded once
 * per layer into 16-bit pairs on the stack, each output position a pass of pair products.
 *
 * bb_conv_generic runs every output position as a fully connected layer: for packed weights the
 * fc kernels re-derive each weight from its nibble (or 2-bit field) at every position, and pay a
 * per-call set-up (the M4's zero-padded row tail, the M0's activation packing and Σx) that rows of
 * 18 inputs cannot amortise. Seed 000's gesture conv (6 channels, k3 over 6 inputs) ran more
 * instructions at 4 bits than at 8 on both cores (M4 40,813 against 36,534; M0 101,260 against
 * 89,528). A convolution reuses every row at every position, so here each row becomes 16-bit pair
 * words once (row length padded to 4 with zero weights, which the column's padding lanes multiply):
 *
 *  - Cortex-M4: word 2j holds weights (4j, 4j + 2) as int16 lanes, word 2j + 1 (4j + 1, 4j + 3), the
 *    lanes SXTB16 and SXTB16 ROR 8 give of the activation word 4j..4j + 3. The column becomes those
 *    lane words once per position; per 4 inputs and 4 rows then two loads of activations, eight of
 *    weights (the four rows interleaved by word) and eight SMLAD: 21 instructions per 16 MACs with
 *    the loop test, against the int8 kernel's 25 (it sign-extends every weight word at every
 *    position). A last group of 1–2 rows runs two rows.
 *  - Cortex-M0 (and the host build): word k holds W = w[2k] + 2^16·w[2k + 1] (int32 arithmetic), the
 *    column word X = x[2k + 1] + 2^16·x[2k]; mod 2^32, X·W = x[2k + 1]·w[2k] + 2^16·(x[2k]·w[2k] +
 *    x[2k + 1]·w[2k + 1]), so one MULS makes two MACs (bb_fc_pairs_c.c's trick, with signed weights:
 *    no Σx correction). |x·w| ≤ 128·8 = 1024 (2-bit: 256): over 8 words the low field stays within
 *    ±8192 and the middle within ±16384, so a sum started at 2^15 holds both without carry into the
 *    sign and (sum >> 16) is the middle field's total exactly; the loop adds it to the row's sum every
 *    8 words. Two rows per pass (interleaved by word) share each X load: LDR X + 2 × (LDR W, MULS,
 *    ADDS) per 4 MACs.
 *
 * The sums start at bias − in_zp·Σw and are Σ w·x exactly; bb_requant32_b1 gives bb_requant32's value
 * (on the M0 from two MULS instead of __aeabi_lmul while the sum fits int16): bit-identical to
 * bb_conv_generic over bb_fc_s4_ref / bb_fc_s2_ref. Weights are read within the row only (a word's
 * nibbles or 2-bit fields, four at a time), so the rows' padding bits do not matter. Rows of up to
 * BB_CP_MAX_LEN inputs; the layer's rows within BB_CP_W_WORDS words, or blocks of ≥ 8 rows that fit
 * (bb_cp_block_rows).
 * Stack: 512 B (M4) / 256 B (M0) of weights, 128 B of column, 128 B of sums; the M0 serial
 * firmware's high-water mark on the gesture model is 1,124 B at W8A8, 1,436–1,492 B at W4A8 of its 2 KiB.
 */
#define BB_CP_MAX_LEN BB_PAIRS_MAX_LEN /* row inputs, padded to 4 */
/* Expanded weights of the layer: 512 B on the M4, 256 B on the M0 (2 KiB of stack; the gesture conv's 6 rows take 60 words). */
#if BB_KERNELS_DSP
#define BB_CP_W_WORDS 128u
#else
#define BB_CP_W_WORDS 64u
#endif
#if BB_KERNELS_DSP
#define BB_CP_GROUP 4u /* rows interleaved by word */
#else
#define BB_CP_GROUP 2u
#endif
#define BB_CP_MAX_ROWS 16u

/*
 * Groups of BB_CP_GROUP rows; on the M4 a last group of 1–2 rows is a group of 2 (of 3, a group of 4
 * with a zero row), the M0's last odd row pairs with a zero row. Returns the rows expanded.
 */
static uint32_t bb_cp_rows(uint32_t out_c, uint32_t *full, uint32_t *last)
{
    const uint32_t f = out_c / BB_CP_GROUP * BB_CP_GROUP, rem = out_c - f;
    *full = f;
    *last = rem == 0u ? 0u : BB_KERNELS_DSP && rem <= 2u ? 2u : BB_CP_GROUP;
    return f + *last;
}

/*
 * Rows per block: the whole layer when its rows fit BB_CP_W_WORDS (each position then reads and
 * packs its column once), else blocks of whole groups, at least BB_CP_MIN_BLOCK rows each (each block
 * reads and packs the column again: short rows, cheap to pack, shared by enough rows). 0: the layer
 * keeps bb_conv_generic, whose fc kernels share one column among all rows (in blocks of 2 rows this
 * kernel ran the bench's conv 1×62×16, k3, 16 filters, rows of 48, at 8.85 instructions per MAC on
 * the M0, where the fc kernel takes 6.92 and int8 7.62).
 */
#define BB_CP_MIN_BLOCK 8u
static uint32_t bb_cp_block_rows(const bb_conv_params_t *p)
{
    const uint32_t lenp = (bb_conv_row_len(p) + 3u) & ~3u, nw = lenp / 2u;
    if (lenp < 4u || lenp > BB_CP_MAX_LEN) return 0u;
    uint32_t full, last;
    if (p->out_c <= BB_CP_MAX_ROWS && bb_cp_rows(p->out_c, &full, &last) * nw <= BB_CP_W_WORDS) return p->out_c;
    uint32_t b = BB_CP_W_WORDS / nw / BB_CP_GROUP * BB_CP_GROUP;
    if (b > BB_CP_MAX_ROWS) b = BB_CP_MAX_ROWS;
    return b >= BB_CP_MIN_BLOCK ? b : 0u;
}

int bb_conv_pairs_fits(const bb_conv_params_t *p) { return bb_cp_block_rows(p) != 0u; }

/* Weights v[0..3] (inputs i..i + 3 of a row) into lane r of the group of gs rows at g. */
static inline __attribute__((always_inline)) void bb_cp_store(uint32_t *g, uint32_t i, uint32_t gs, uint32_t r, const int32_t *v)
{
#if BB_KERNELS_DSP
    g[(i / 2u) * gs + r] = ((uint32_t)v[0] & 0xFFFFu) | ((uint32_t)v[2] << 16);
    g[(i / 2u + 1u) * gs + r] = ((uint32_t)v[1] & 0xFFFFu) | ((uint32_t)v[3] << 16);
#else
    g[(i / 2u) * gs + r] = (uint32_t)v[0] + ((uint32_t)v[1] << 16);
    g[(i / 2u + 1u) * gs + r] = (uint32_t)v[2] + ((uint32_t)v[3] << 16);
#endif
}

/*
 * Binary weights (bit set +1, clear −1: bb_dot_b1's levels; the scale is the row's multiplier) of one
 * nibble as the two pair words bb_cp_store makes of weights 4j..4j + 3: on the M4 int16 lanes
 * (w0, w2) and (w1, w3), elsewhere w0 + 2^16·w1 and w2 + 2^16·w3 in int32 arithmetic.
 */
#if BB_KERNELS_DSP
#define BB_B1_LANE(n, k) (((n) >> (k) & 1u) ? 1u : 0xFFFFu)
#define BB_B1_PAIR(n) {BB_B1_LANE(n, 0) | BB_B1_LANE(n, 2) << 16, BB_B1_LANE(n, 1) | BB_B1_LANE(n, 3) << 16}
#else
#define BB_B1_WORD(n, k) ((((n) >> (k) & 1u) ? 1u : 0xFFFFFFFFu) + (((n) >> ((k) + 1) & 1u) ? 0x10000u : 0xFFFF0000u))
#define BB_B1_PAIR(n) {BB_B1_WORD(n, 0), BB_B1_WORD(n, 2)}
#endif
static const uint32_t bb_b1_pair_lut[16][2] = {
    BB_B1_PAIR(0u),  BB_B1_PAIR(1u),  BB_B1_PAIR(2u),  BB_B1_PAIR(3u),  BB_B1_PAIR(4u),  BB_B1_PAIR(5u),  BB_B1_PAIR(6u),  BB_B1_PAIR(7u),
    BB_B1_PAIR(8u),  BB_B1_PAIR(9u),  BB_B1_PAIR(10u), BB_B1_PAIR(11u), BB_B1_PAIR(12u), BB_B1_PAIR(13u), BB_B1_PAIR(14u), BB_B1_PAIR(15u),
};
#undef BB_B1_PAIR

/*
 * A binary row into nw pair words, gs words apart (the row's lane of a group of gs rows interleaved by
 * word, bb_cp_store's layout; 1 for the GRU's rows one after another): each whole group of 4 weights
 * two table words; a last group of 1–3 weights with the lanes past the row zeroed (the row's padding
 * bits are not read as weights).
 * bb_cp_expand's per-weight path took ~100 instructions a group (the gesture GRU's 60 groups: ~1,500
 * more than its 2-bit expansion per call).
 */
static inline __attribute__((always_inline)) void bb_b1_pairs_row(const uint8_t *row, uint32_t len, uint32_t *o, uint32_t gs)
{
    const uint32_t whole = len / 4u, rem = len - 4u * whole;
    for (uint32_t k = 0; k < whole; k++, o += 2u * gs) {
        const uint32_t *e = bb_b1_pair_lut[(bb_load_u32(row + (k >> 3) * 4u) >> (4u * (k & 7u))) & 15u];
        o[0] = e[0];
        o[gs] = e[1];
    }
    if (rem) {
        const uint32_t n = (bb_load_u32(row + (whole >> 3) * 4u) >> (4u * (whole & 7u))) & 15u;
#if BB_KERNELS_DSP
        o[0] = rem > 2u ? bb_b1_pair_lut[n][0] : bb_b1_pair_lut[n][0] & 0xFFFFu;
        o[gs] = rem > 1u ? bb_b1_pair_lut[n][1] & 0xFFFFu : 0u;
#else
        o[0] = rem > 1u ? bb_b1_pair_lut[n][0] : (n & 1u) ? 1u : 0xFFFFFFFFu;
        o[gs] = rem > 2u ? ((n & 4u) ? 1u : 0xFFFFFFFFu) : 0u;
#endif
    }
}

/*
 * A row's weights (len of them, then zeros up to lenp) into lane r of the group of gs rows at g. 4- and
 * 2-bit rows four at a time from one word (weights i..i + 3 are the low or high nibbles of a word's
 * bytes, or its 2-bit fields 2·(i % 16) …); lanes past len are zeroed.
 */
static void bb_cp_expand(const uint8_t *row, uint32_t len, uint32_t lenp, uint32_t bits, uint32_t *g, uint32_t r, uint32_t gs)
{
    int32_t v[4];
    if (len < 4u || (bits != 4u && bits != 2u)) {
        for (uint32_t i = 0; i < lenp; i += 4u) {
            for (uint32_t l = 0; l < 4u; l++) v[l] = i + l < len ? bb_weight_at(row, i + l, bits) : 0;
            bb_cp_store(g, i, gs, r, v);
        }
        return;
    }
    for (uint32_t i = 0; i < lenp; i += 4u) {
        if (bits == 4u) {
            const uint32_t wd = bb_load_u32(row + (i >> 3) * 4u) >> (i & 4u);
            for (uint32_t l = 0; l < 4u; l++) v[l] = (int32_t)(wd << (28u - 8u * l)) >> 28;
        } else {
            const uint32_t wd = bb_load_u32(row + (i >> 4) * 4u) >> (2u * (i & 15u));
            for (uint32_t l = 0; l < 4u; l++) v[l] = (int32_t)(wd << (30u - 2u * l)) >> 30;
        }
        if (i + 4u > len)
            for (uint32_t l = len - i; l < 4u; l++) v[l] = 0;
        bb_cp_store(g, i, gs, r, v);
    }
}

/* x[0..len) → pair words xw[0 .. lenp / 2) (lanes past len zero): without reading past x[len − 1]. */
static void bb_cp_pack(const int8_t *x, uint32_t len, uint32_t *xw)
{
    const uint32_t full = len / 4u;
#if BB_KERNELS_DSP
    for (uint32_t j = 0; j < full; j++, xw += 2) {
        const uint32_t v = bb_ldr_unaligned(x + 4u * j);
        xw[0] = (uint32_t)bb_sxtb16(v);
        xw[1] = (uint32_t)bb_sxtb16_ror8(v);
    }
    if (len > 4u * full) {
        uint32_t v = 0;
        for (uint32_t i = 4u * full; i < len; i++) v |= (uint32_t)(uint8_t)x[i] << (8u * (i - 4u * full));
        xw[0] = (uint32_t)bb_sxtb16(v);
        xw[1] = (uint32_t)bb_sxtb16_ror8(v);
    }
#else
    for (uint32_t j = 0; j < 2u * full; j++) xw[j] = (uint32_t)(int32_t)x[2u * j + 1u] + ((uint32_t)(int32_t)x[2u * j] << 16);
    if (len > 4u * full) {
        const uint32_t i = 4u * full, t = len - i;
        xw[2u * full] = (t > 1u ? (uint32_t)(int32_t)x[i + 1u] : 0u) + ((uint32_t)(int32_t)x[i] << 16);
        xw[2u * full + 1u] = t > 2u ? (uint32_t)(int32_t)x[i + 2u] << 16 : 0u;
    }
#endif
}

/* The column's lenp entries as nw = lenp / 2 pair words (the layout above). */
static inline __attribute__((always_inline)) void bb_cp_column(const int8_t *col, uint32_t lenp, uint32_t *xw)
{
#if BB_KERNELS_DSP
    for (const int8_t *end = col + lenp; col < end; col += 4, xw += 2) {
        const uint32_t v = bb_ldr_unaligned(col);
        xw[0] = (uint32_t)bb_sxtb16(v);
        xw[1] = (uint32_t)bb_sxtb16_ror8(v);
    }
#else
    for (const int8_t *end = col + lenp; col < end; col += 2, xw++) xw[0] = (uint32_t)(int32_t)col[1] + ((uint32_t)(int32_t)col[0] << 16);
#endif
}

/*
 * d[r] = k[r] + Σ w·x for the rows of the group at g (n = 4 or 2 rows interleaved by word; the M0
 * runs groups of 2 only), nw pair words.
 */
static inline __attribute__((always_inline)) void bb_cp_group(const uint32_t *xw, const uint32_t *g, uint32_t nw, const int32_t *k,
                                                               int32_t *d, const uint32_t n)
{
#if BB_KERNELS_DSP
    const uint32_t *xe = xw + nw;
    if (n == 4u) {
        int32_t a0 = k[0], a1 = k[1], a2 = k[2], a3 = k[3];
        for (; xw < xe; xw += 2, g += 8) {
            const uint32_t x0 = xw[0], x1 = xw[1];
            a0 = bb_smlad((int32_t)g[0], (int32_t)x0, a0);
            a1 = bb_smlad((int32_t)g[1], (int32_t)x0, a1);
            a2 = bb_smlad((int32_t)g[2], (int32_t)x0, a2);
            a3 = bb_smlad((int32_t)g[3], (int32_t)x0, a3);
            a0 = bb_smlad((int32_t)g[4], (int32_t)x1, a0);
            a1 = bb_smlad((int32_t)g[5], (int32_t)x1, a1);
            a2 = bb_smlad((int32_t)g[6], (int32_t)x1, a2);
            a3 = bb_smlad((int32_t)g[7], (int32_t)x1, a3);
        }
        d[0] = a0;
        d[1] = a1;
        d[2] = a2;
        d[3] = a3;
    } else {
        int32_t a0 = k[0], a1 = k[1];
        for (; xw < xe; xw += 2, g += 4) {
            const uint32_t x0 = xw[0], x1 = xw[1];
            a0 = bb_smlad((int32_t)g[0], (int32_t)x0, a0);
            a1 = bb_smlad((int32_t)g[1], (int32_t)x0, a1);
            a0 = bb_smlad((int32_t)g[2], (int32_t)x1, a0);
            a1 = bb_smlad((int32_t)g[3], (int32_t)x1, a1);
        }
        d[0] = a0;
        d[1] = a1;
    }
#else
    (void)n;
    int32_t a0 = k[0], a1 = k[1];
    const uint32_t *xe = xw + nw;
    while (xw < xe) {
        const uint32_t *ce = xe - xw > 8 ? xw + 8 : xe;
        uint32_t s0 = 0x8000u, s1 = 0x8000u;
        do {
            const uint32_t x = *xw++;
            s0 += x * g[0];
            s1 += x * g[1];
            g += 2;
        } while (xw < ce);
        a0 += (int32_t)s0 >> 16;
        a1 += (int32_t)s1 >> 16;
    }
    d[0] = a0;
    d[1] = a1;
#endif
}

/* Σ w·x over nw pair words of one row (the GRU's gate rows, bb_pairs_matvec). */
static inline __attribute__((always_inline)) int32_t bb_cp_dot1(const uint32_t *xw, const uint32_t *g, uint32_t nw)
{
    const uint32_t *xe = xw + nw;
#if BB_KERNELS_DSP
    int32_t a = 0;
    for (; xw < xe; xw += 2, g += 2) {
        a = bb_smlad((int32_t)g[0], (int32_t)xw[0], a);
        a = bb_smlad((int32_t)g[1], (int32_t)xw[1], a);
    }
    return a;
#else
    int32_t a = 0;
    while (xw < xe) {
        const uint32_t *ce = xe - xw > 8 ? xw + 8 : xe;
        uint32_t s = 0x8000u;
        do s += *xw++ * *g++;
        while (xw < ce);
        a += (int32_t)s >> 16;
    }
    return a;
#endif
}

uint32_t bb_pairs_expand(const uint8_t *w, uint32_t stride, uint32_t rows, uint32_t len, uint32_t bits, uint32_t *out)
{
    const uint32_t lenp = (len + 3u) & ~3u, nw = lenp / 2u;
    if (bits == 1u) {
        for (uint32_t r = 0; r < rows; r++) bb_b1_pairs_row(w + r * stride, len, out + r * nw, 1u);
        return nw;
    }
    for (uint32_t r = 0; r < rows; r++) bb_cp_expand(w + r * stride, len, lenp, bits, out + r * nw, 0u, 1u);
    return nw;
}

/* Σ w·x of one row of 4 pair words (rows of 5–8 inputs: a GRU's short gate rows), x in registers. */
static inline __attribute__((always_inline)) int32_t bb_cp_dot4(uint32_t x0, uint32_t x1, uint32_t x2, uint32_t x3, const uint32_t *g)
{
#if BB_KERNELS_DSP
    return bb_smlad((int32_t)g[3], (int32_t)x3, bb_smlad((int32_t)g[2], (int32_t)x2, bb_smlad((int32_t)g[1], (int32_t)x1, bb_smlad((int32_t)g[0], (int32_t)x0, 0))));
#else
    return (int32_t)(0x8000u + x0 * g[0] + x1 * g[1] + x2 * g[2] + x3 * g[3]) >> 16;
#endif
}

void bb_pairs_matvec(const int8_t *x, uint32_t len, const uint32_t *wp, uint32_t rows, int32_t *dot)
{
    const uint32_t nw = ((len + 3u) & ~3u) / 2u;
    uint32_t xw[BB_PAIRS_MATVEC_MAX_LEN / 2u];
    bb_cp_pack(x, len, xw);
    if (nw == 4u) {
        const uint32_t x0 = xw[0], x1 = xw[1], x2 = xw[2], x3 = xw[3];
        for (int32_t *end = dot + rows; dot < end; dot++, wp += 4) *dot = bb_cp_dot4(x0, x1, x2, x3, wp);
    } else if (nw == 2u) {
        const uint32_t x0 = xw[0], x1 = xw[1];
#if BB_KERNELS_DSP
        for (int32_t *end = dot + rows; dot < end; dot++, wp += 2) *dot = bb_smlad((int32_t)wp[1], (int32_t)x1, bb_smlad((int32_t)wp[0], (int32_t)x0, 0));
#else
        for (int32_t *end = dot + rows; dot < end; dot++, wp += 2) *dot = (int32_t)(0x8000u + x0 * wp[0] + x1 * wp[1]) >> 16;
#endif
    } else {
        for (uint32_t r = 0; r < rows; r++, wp += nw) dot[r] = bb_cp_dot1(xw, wp, nw);
    }
}

/* Output channels c .. c + rows − 1 (one block) at every position. */
static inline __attribute__((always_inline)) void bb_cp_block(const bb_conv_params_t *p, const bb_act_params_t *act,
                                                               const bb_chan_params_t *ch, const int8_t *in, const uint8_t *w,
                                                               int8_t *out, int8_t *scratch, uint32_t bits, uint32_t c, uint32_t rows)
{
    const uint32_t len = bb_conv_row_len(p), lenp = (len + 3u) & ~3u, nw = lenp / 2u;
    const uint32_t in_bytes = (uint32_t)p->in_h * p->in_w * p->in_c;
    const int32_t zp = act->out_zp, lo = act->act_min, hi = act->act_max;
    uint32_t wx[BB_CP_W_WORDS];
    uint32_t xw[BB_CP_MAX_LEN / 2u];
    int32_t k0[BB_CP_MAX_ROWS], d[BB_CP_MAX_ROWS];
    uint32_t full, last;
    const uint32_t nx = bb_cp_rows(rows, &full, &last);
    for (uint32_t r = 0; r < nx; r++) {
        const uint32_t gs = r < full ? BB_CP_GROUP : last; /* the row's group size */
        uint32_t *g = wx + (r < full ? r / BB_CP_GROUP * BB_CP_GROUP : full) * nw;
        const uint32_t lane = r < full ? r % BB_CP_GROUP : r - full;
        if (BB_KERNELS_DSP && bits == 1u && r < rows) bb_b1_pairs_row(w + (c + r) * p->row_stride, len, g + lane, gs); /* binary (the M4 only): ±1 from a nibble table */
        else bb_cp_expand(r < rows ? w + (c + r) * p->row_stride : w, r < rows ? len : 0u, lenp, bits, g, lane, gs); /* zero rows past the block */
        k0[r] = r < rows ? ch->bias[c + r] - act->in_zp * ch->wsum[c + r] : 0;
    }
    const int32_t *mult = ch->mult + c, *shift = ch->shift + c;
    int8_t *o = out + c;
    for (uint32_t oy = 0; oy < p->out_h; oy++) {
        const int32_t y0 = (int32_t)(oy * p->sh) - (int32_t)p->pad_t;
        for (uint32_t ox = 0; ox < p->out_w; ox++, o += p->out_c) {
            const int32_t x0 = (int32_t)(ox * p->sw) - (int32_t)p->pad_l;
            /* lenp entries: the receptive field, then lanes whose weights are zero. */
            bb_cp_column(bb_conv_column(p, in, in_bytes, lenp, y0, x0, (int8_t)act->in_zp, scratch), lenp, xw);
            for (uint32_t r = 0; r < full; r += BB_CP_GROUP) bb_cp_group(xw, wx + r * nw, nw, k0 + r, d + r, BB_CP_GROUP);
            if (last) bb_cp_group(xw, wx + full * nw, nw, k0 + full, d + full, last);
            /* bb_requant32's value (bb_requant32_b1: on the M0 two MULS instead of __aeabi_lmul while |acc| < 2^15). */
            for (uint32_t r = 0; r < rows; r++) {
                int32_t v = bb_requant32_b1(d[r], mult[r], shift[r]) + zp;
                v = v < lo ? lo : v;
                o[r] = (int8_t)(v > hi ? hi : v);
            }
        }
    }
}

/*
 * The layer in one block (a copy of the position loop with c = 0 and rows = out_c: GCC keeps more in
 * registers) or in blocks. Out of line, each with its own stack arrays: bb_conv_pairs itself holds
 * none (with one copy inlined there, its frame and the callee's both held them: 2 KiB on the M0).
 */
static __attribute__((noinline)) void bb_cp_one(const bb_conv_params_t *p, const bb_act_params_t *act, const bb_chan_params_t *ch,
                                                const int8_t *in, const uint8_t *w, int8_t *out, int8_t *scratch, uint32_t bits)
{
    bb_cp_block(p, act, ch, in, w, out, scratch, bits, 0u, p->out_c);
}

static __attribute__((noinline)) void bb_cp_blocks(const bb_conv_params_t *p, const bb_act_params_t *act, const bb_chan_params_t *ch,
                                                   const int8_t *in, const uint8_t *w, int8_t *out, int8_t *scratch, uint32_t bits,
                                                   uint32_t bmax)
{
    for (uint32_t c = 0; c < p->out_c; c += bmax)
        bb_cp_block(p, act, ch, in, w, out, scratch, bits, c, p->out_c - c < bmax ? p->out_c - c : bmax);
}

bb_kstatus_t bb_conv_pairs(const bb_conv_params_t *p, const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in,
                           const uint8_t *w, int8_t *out, int8_t *scratch, uint32_t bits)
{
    const uint32_t bmax = bb_cp_block_rows(p);
    if (!bmax) return BB_KERR_ARG;
    if (bmax >= p->out_c) {
        bb_cp_one(p, act, ch, in, w, out, scratch, bits);
        return BB_KOK;
    }
    bb_cp_blocks(p, act, ch, in, w, out, scratch, bits, bmax);
    return BB_KOK;
}
#endif
