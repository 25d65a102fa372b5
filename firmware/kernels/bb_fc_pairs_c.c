#include "bb_kernel_opt.h"
#include "bb_fc_common.h"

#if !BB_KERNELS_DSP
/*
 * 4- and 2-bit weights on cores without the DSP extension (Cortex-M0, pure C like the host build;
 * -DBB_KERNELS_ASM=1 swaps in the Thumb-1 loops below): two multiply-accumulates per MULS, so these
 * widths are faster than int8 there, not only smaller. (Binary weights keep their own kernel:
 * bb_fc_b1_c.c says why.)
 *
 * Each width's fields become non-negative u: 4-bit w + 8 (XOR 0x88888888 on the two's-complement
 * nibbles), 2-bit w + 2 (XOR 0xAAAAAAAA). (v >> s) & m, with m one field at bit 0 and one at bit
 * 16, s = 0, b, 2b, … < 16, is W = u_lo + 2^16·u_hi for 16/b weight pairs per word: 4-bit (0, 2),
 * (4, 6), (1, 3), (5, 7) (weight j < 4 is the low nibble of byte j, j ≥ 4 the high one); 2-bit
 * (j, j + 8). The activations are packed once per layer call into one word per pair,
 * X = x_hi + 2^16·x_lo, so that mod 2^32
 *     X·W = x_hi·u_lo + 2^16·(x_lo·u_lo + x_hi·u_hi)      (the 2^32·x_lo·u_hi term falls off)
 * and the middle field is the pair's dot product. |x·u| ≤ 128·15 = 1920 (2-bit: 384): over 8 pairs
 * the low field stays within ±15360 and the middle within ±30720, so a sum started at 2^15 holds
 * both without carrying into the sign, and (sum >> 16) is exactly the middle field's total. The
 * loops add that to the row's sum every two 4-bit words or every 2-bit word (8 pairs each) and
 * restart at 2^15. Each row's sum starts at −8·Σx (4-bit) or −2·Σx (2-bit) and ends as Σ w·x.
 *
 * Per pair (the Thumb-1 loops): LSRS (MOVS) + ANDS + LDM (X) + MULS + ADDS; per word LDM + EORS; per
 * flush ASRS + ADD + MOV and the loop test: 4-bit 49 instructions per 16 MACs, 2-bit 47 per 16,
 * against 4 per MAC for int8 (LDRSB, LDRSB, MULS, ADD). GCC's code for the C twins is longer
 * (dense 256→64: 4.73 against 3.93 instructions/MAC) but still below int8 in C (5.47).
 *
 * Activations are packed in chunks of BB_PAIRS_CHUNK inputs (stack: 4 bytes per input pair) and the
 * rows run in blocks of BB_PAIRS_ROWS so that a chunk is packed once per block; a row's partial last
 * word multiplies zero-packed activations (the blob keeps padding fields zero anyway).
 */
#define BB_PAIRS_CHUNK 128u
#define BB_PAIRS_ROWS 16u

/* Speed builds specialise the packing and the pass per width; size builds share one copy. */
#ifdef BB_KERNELS_SIZE_OPT
#define BB_PAIRS_SPECIALISE static __attribute__((noinline))
#else
#define BB_PAIRS_SPECIALISE static inline __attribute__((always_inline))
#endif

/* acc[r] += Σ x·u over nw weight words of row r (rows p + r·(4·nw + skip)), for acc ≤ &acc[r] < acc_end. */
typedef void (*bb_pairs_rows_fn)(const uint32_t *xp, uint32_t nw, const uint8_t *p, uint32_t skip, int32_t *acc,
                                 int32_t *acc_end);

#if BB_KERNELS_THUMB1
void bb_s4p_rows_t1(const uint32_t *xp, uint32_t nw, const uint8_t *p, uint32_t skip, int32_t *acc, int32_t *acc_end);
void bb_s2p_rows_t1(const uint32_t *xp, uint32_t nw, const uint8_t *p, uint32_t skip, int32_t *acc, int32_t *acc_end);
#define bb_s4p_rows bb_s4p_rows_t1
#define bb_s2p_rows bb_s2p_rows_t1

#define BB_P(S)                     \
    "    lsrs r1, r0, #" S "\n"     \
    "    ands r1, r2\n"             \
    "    ldm r6!, {r4}\n"           \
    "    muls r1, r4, r1\n"         \
    "    adds r5, r5, r1\n"
#define BB_P0                       \
    "    movs r1, r0\n"             \
    "    ands r1, r2\n"             \
    "    ldm r6!, {r4}\n"           \
    "    muls r1, r4, r1\n"         \
    "    adds r5, r5, r1\n"
#define BB_LOAD_XOR "    ldm r7!, {r0}\n    eors r0, r3\n"
#define BB_WORD_S4 BB_LOAD_XOR BB_P0 BB_P("4") BB_P("8") BB_P("12")
#define BB_WORD_S2 BB_LOAD_XOR BB_P0 BB_P("2") BB_P("4") BB_P("6") BB_P("8") BB_P("10") BB_P("12") BB_P("14")
/*
 * r0 weight word, r1 scratch, r2 field mask, r3 XOR offset, r4 X, r5 running sum, r6 X pointer,
 * r7 weight pointer; r8 row sum, r9 2^15, r10 X end, r11 X start, r12 skip, lr where a row enters
 * its loop body (MOV PC). Stack after the pushes: [sp + 36] acc (advanced here), [sp + 40] acc_end.
 * ODD: bytes of one word of the two-word body (an odd count enters at the second word), or 0 for a
 * one-word body. XPW: bytes of X per weight word (4 per pair).
 */
#define BB_PAIRS_FN(NAME, MASK, XOR, XPW, ODD, BODY)    \
    "    .section .text." NAME ",\"ax\",%progbits\n"    \
    "    .global " NAME "\n"                            \
    "    .type " NAME ", %function\n"                   \
    "    .thumb_func\n" NAME ":\n"                      \
    "    push {r4-r7, lr}\n"                            \
    "    mov r4, r8\n"                                  \
    "    mov r5, r9\n"                                  \
    "    mov r6, r10\n"                                 \
    "    mov r7, r11\n"                                 \
    "    push {r4-r7}\n"                                \
    "    mov r12, r3\n"                                 \
    "    mov r11, r0\n"                                 \
    "    movs r4, #" XPW "\n"                           \
    "    muls r4, r1, r4\n"                             \
    "    adds r4, r0, r4\n"                             \
    "    mov r10, r4\n"                                 \
    "    adr r4, 2f\n"                                  \
    "    lsls r1, r1, #31\n"                            \
    "    beq 4f\n"                                      \
    "    adds r4, #" ODD "\n"                           \
    "4:\n"                                              \
    "    mov lr, r4\n"                                  \
    "    movs r7, r2\n"                                 \
    "    movs r4, #1\n"                                 \
    "    lsls r4, r4, #15\n"                            \
    "    mov r9, r4\n"                                  \
    "    ldr r2, 8f\n"                                  \
    "    ldr r3, 9f\n"                                  \
    "1:\n"                                              \
    "    mov r6, r11\n"                                 \
    "    mov r5, r9\n"                                  \
    "    ldr r1, [sp, #36]\n"                           \
    "    ldr r4, [r1]\n"                                \
    "    mov r8, r4\n"                                  \
    "    mov pc, lr\n"                                  \
    "    .balign 4\n"                                   \
    "2:\n" BODY                                         \
    "    asrs r1, r5, #16\n"                            \
    "    add r8, r8, r1\n"                              \
    "    mov r5, r9\n"                                  \
    "    cmp r6, r10\n"                                 \
    "    bne 2b\n"                                      \
    "    ldr r1, [sp, #36]\n"                           \
    "    mov r4, r8\n"                                  \
    "    stm r1!, {r4}\n"                               \
    "    str r1, [sp, #36]\n"                           \
    "    add r7, r7, r12\n"                             \
    "    ldr r4, [sp, #40]\n"                           \
    "    cmp r1, r4\n"                                  \
    "    bne 1b\n"                                      \
    "    pop {r4-r7}\n"                                 \
    "    mov r8, r4\n"                                  \
    "    mov r9, r5\n"                                  \
    "    mov r10, r6\n"                                 \
    "    mov r11, r7\n"                                 \
    "    pop {r4-r7, pc}\n"                             \
    "    .balign 4\n"                                   \
    "8:  .word " MASK "\n"                              \
    "9:  .word " XOR "\n"                               \
    "    .size " NAME ", . - " NAME "\n"

__asm__("    .syntax unified\n"
        "    .thumb\n" BB_PAIRS_FN("bb_s4p_rows_t1", "0x000F000F", "0x88888888", "16", "44", BB_WORD_S4 BB_WORD_S4)
            BB_PAIRS_FN("bb_s2p_rows_t1", "0x00030003", "0xAAAAAAAA", "32", "0", BB_WORD_S2) "    .text\n");
#else
/*
 * The assembly's arithmetic in C, one function per width with the word body unrolled (fields
 * `(v >> s) & mask`, s a constant): each flush adds the top half of a sum started at 2^15. 4-bit
 * flushes every two words, an odd count running one word first (as the assembly enters its body
 * halfway); 2-bit every word.
 */
#define BB_PAIR(S) a += ((v >> (S)) & 0x000F000Fu) * *x++;
static inline uint32_t bb_s4p_word(const uint8_t *p, const uint32_t **xp, uint32_t a)
{
    const uint32_t v = bb_load_u32(p) ^ 0x88888888u;
    const uint32_t *x = *xp;
    BB_PAIR(0) BB_PAIR(4) BB_PAIR(8) BB_PAIR(12)
    *xp = x;
    return a;
}
#undef BB_PAIR
static void bb_s4p_rows(const uint32_t *xp, uint32_t nw, const uint8_t *p, uint32_t skip, int32_t *acc, int32_t *acc_end)
{
    for (; acc < acc_end; acc++, p += skip) {
        const uint32_t *x = xp;
        int32_t sum = *acc;
        uint32_t k = nw;
        if (k & 1u) {
            sum += (int32_t)bb_s4p_word(p, &x, 0x8000u) >> 16;
            p += 4;
            k--;
        }
        for (; k; k -= 2u, p += 8) sum += (int32_t)bb_s4p_word(p + 4, &x, bb_s4p_word(p, &x, 0x8000u)) >> 16;
        *acc = sum;
    }
}
#define BB_PAIR(S) a += ((v >> (S)) & 0x00030003u) * *x++;
static void bb_s2p_rows(const uint32_t *xp, uint32_t nw, const uint8_t *p, uint32_t skip, int32_t *acc, int32_t *acc_end)
{
    for (; acc < acc_end; acc++, p += skip) {
        const uint32_t *x = xp;
        int32_t sum = *acc;
        for (const uint8_t *end = p + 4u * nw; p < end; p += 4) {
            const uint32_t v = bb_load_u32(p) ^ 0xAAAAAAAAu;
            uint32_t a = 0x8000u;
            BB_PAIR(0) BB_PAIR(2) BB_PAIR(4) BB_PAIR(6) BB_PAIR(8) BB_PAIR(10) BB_PAIR(12) BB_PAIR(14)
            sum += (int32_t)a >> 16;
        }
        *acc = sum;
    }
}
#undef BB_PAIR
#endif

static inline uint32_t bb_pairs_x(int32_t lo, int32_t hi) { return ((uint32_t)lo << 16) + (uint32_t)hi; }

/* The X words of one weight word's inputs v[0 .. 32/bits − 1]; returns their sum (mod 2^32). */
BB_PAIRS_SPECIALISE uint32_t bb_pairs_group(const int8_t *v, uint32_t *xp, uint32_t bits)
{
    uint32_t s = 0;
    if (bits == 4u) {
        xp[0] = bb_pairs_x(v[0], v[2]);
        xp[1] = bb_pairs_x(v[4], v[6]);
        xp[2] = bb_pairs_x(v[1], v[3]);
        xp[3] = bb_pairs_x(v[5], v[7]);
        return xp[0] + xp[1] + xp[2] + xp[3];
    }
    for (uint32_t j = 0; j < 8u; j++) s += xp[j] = bb_pairs_x(v[j], v[j + 8u]); /* 2-bit */
    return s;
}

/*
 * X words for n ≤ BB_PAIRS_CHUNK inputs (zeros past n), one per weight pair in the loops' shift
 * order; returns the number of weight words and adds Σx to *xsum. Σ of the X words is
 * Σx_hi + 2^16·Σx_lo with both sums within ±64·128, so one running sum started at 2^15 gives both.
 */
BB_PAIRS_SPECIALISE uint32_t bb_pairs_pack(const int8_t *x, uint32_t n, uint32_t *xp, int32_t *xsum,
                                                                   uint32_t bits)
{
    const uint32_t per = 32u / bits; /* inputs per weight word */
    uint32_t s = 0x8000u;
    const int8_t *end = x + n / per * per;
    for (; x < end; x += per, xp += per / 2u) s += bb_pairs_group(x, xp, bits);
    if (n % per) {
        int8_t t[16];
        for (uint32_t i = 0; i < per; i++) t[i] = i < n % per ? x[i] : 0;
        s += bb_pairs_group(t, xp, bits);
    }
    const int32_t lo = (int32_t)s >> 16;
    const int32_t sum = (int32_t)(s - 0x8000u - ((uint32_t)lo << 16)) + lo;
    *xsum += sum;
    return (n + per - 1u) / per;
}

BB_PAIRS_SPECIALISE void bb_pairs_fc(const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in,
                                                              uint32_t in_len, const uint8_t *w, uint32_t row_stride, uint32_t n_out,
                                                              int8_t *out, uint32_t bits, bb_pairs_rows_fn rows_fn)
{
    const int32_t off = bits == 4u ? 8 : 2; /* Σ x·u → Σ w·x: u = w + 8 (4-bit), w + 2 (2-bit) */
    uint32_t xp[BB_PAIRS_CHUNK / 2u];
    int32_t acc[BB_PAIRS_ROWS];
    int32_t xsum = 0;
    const int single = in_len <= BB_PAIRS_CHUNK;
    const uint32_t nw1 = single ? bb_pairs_pack(in, in_len, xp, &xsum, bits) : 0u;
    for (uint32_t c = 0; c < n_out; c += BB_PAIRS_ROWS) {
        const uint32_t rows = n_out - c < BB_PAIRS_ROWS ? n_out - c : BB_PAIRS_ROWS;
        /* One chunk: Σx is known before the rows run; else it is complete after the first block's chunks. */
        for (uint32_t r = 0; r < rows; r++) acc[r] = single ? -off * xsum : 0;
        for (uint32_t k = 0; k < in_len; k += BB_PAIRS_CHUNK) {
            uint32_t nw = nw1;
            if (!single) {
                int32_t part = 0;
                nw = bb_pairs_pack(in + k, in_len - k < BB_PAIRS_CHUNK ? in_len - k : BB_PAIRS_CHUNK, xp, &part, bits);
                if (c == 0u) xsum += part;
            }
            rows_fn(xp, nw, w + c * row_stride + k * bits / 8u, row_stride - 4u * nw, acc, acc + rows);
        }
        if (!single)
            for (uint32_t r = 0; r < rows; r++) acc[r] -= off * xsum;
        for (uint32_t r = 0; r < rows; r += 4u) bb_fc_finish(act, ch, c + r, acc + r, rows - r < 4u ? rows - r : 4u, out);
    }
}

#ifndef BB_KERNELS_SIZE_OPT
/*
 * dot[r] = Σ w_r·x straight from 4/2-bit rows (stride apart), len ≤ BB_GRU_PACKED_MAX_LEN: x packed
 * once into the pair words above (with Σx), then every row's loop (a GRU too large for
 * bb_gru_pairs' stack buffer runs this per step for x and for h).
 */
void bb_packed_matvec(const int8_t *x, uint32_t len, const uint8_t *w, uint32_t stride, uint32_t rows, uint32_t bits, int32_t *dot)
{
    uint32_t xp[BB_GRU_PACKED_MAX_LEN / 2u];
    int32_t xsum = 0;
    if (bits == 2u && len <= 8u) {
        /*
         * 2-bit rows of ≤ 8 inputs fill one field of each pair (j, j + 8): with the row's fields
         * 4–7 moved to bits 16–23 the four pairs (j, j + 4) hold all, half the MULS (rows of ≤ 4
         * inputs need no move).
         */
        for (uint32_t j = 0; j < 4u; j++) {
            const int32_t lo = j < len ? x[j] : 0, hi = j + 4u < len ? x[j + 4u] : 0;
            xp[j] = bb_pairs_x(lo, hi);
            xsum += lo + hi;
        }
        const int32_t k = -2 * xsum;
        const uint32_t keep = len <= 4u ? 0xFFFFFFFFu : 0xFFFFu, copy = len <= 4u ? 0u : 8u;
        const uint32_t x0 = xp[0], x1 = xp[1], x2 = xp[2], x3 = xp[3], m = 0x00030003u;
        for (int32_t *end = dot + rows; dot < end; dot++, w += stride) {
            const uint32_t u = bb_load_u32(w), v = ((u & keep) | ((u << copy) & ~keep)) ^ 0xAAAAAAAAu;
            const uint32_t a = 0x8000u + (v & m) * x0 + ((v >> 2) & m) * x1 + ((v >> 4) & m) * x2 + ((v >> 6) & m) * x3;
            *dot = k + ((int32_t)a >> 16);
        }
        return;
    }
    const uint32_t nw = bits == 4u ? bb_pairs_pack(x, len, xp, &xsum, 4u) : bb_pairs_pack(x, len, xp, &xsum, 2u);
    const int32_t k = (bits == 4u ? -8 : -2) * xsum;
    if (nw == 1u) {
        /*
         * Rows of one weight word (≤ 8 inputs, 2-bit ≤ 16: a small GRU's gate rows) in C, the row
         * loop's set-up being most of such a row in the loops above. 4-bit rows of ≤ 4 inputs skip
         * the pairs whose X words are zero (keeping (0, 2), (1, 3): shifts 0 and 8); 2-bit rows of
         * 9–16 inputs run all eight pairs (j, j + 8), shift 2j.
         */
        if (bits == 4u && len <= 4u) {
            for (int32_t *end = dot + rows; dot < end; dot++, w += stride) {
                const uint32_t v = bb_load_u32(w) ^ 0x88888888u, m = 0x000F000Fu;
                *dot = k + ((int32_t)(0x8000u + (v & m) * xp[0] + ((v >> 8) & m) * xp[2]) >> 16);
            }
        } else if (bits == 4u) {
            for (int32_t *end = dot + rows; dot < end; dot++, w += stride) {
                const uint32_t v = bb_load_u32(w) ^ 0x88888888u, m = 0x000F000Fu;
                *dot = k + ((int32_t)(0x8000u + (v & m) * xp[0] + ((v >> 4) & m) * xp[1] + ((v >> 8) & m) * xp[2] +
                                      ((v >> 12) & m) * xp[3]) >>
                            16);
            }
        } else {
            for (int32_t *end = dot + rows; dot < end; dot++, w += stride) {
                const uint32_t v = bb_load_u32(w) ^ 0xAAAAAAAAu, m = 0x00030003u;
                uint32_t a = 0x8000u + (v & m) * xp[0] + ((v >> 2) & m) * xp[1] + ((v >> 4) & m) * xp[2] + ((v >> 6) & m) * xp[3];
                a += ((v >> 8) & m) * xp[4] + ((v >> 10) & m) * xp[5] + ((v >> 12) & m) * xp[6] + ((v >> 14) & m) * xp[7];
                *dot = k + ((int32_t)a >> 16);
            }
        }
        return;
    }
    for (uint32_t r = 0; r < rows; r++) dot[r] = k;
    (bits == 4u ? bb_s4p_rows : bb_s2p_rows)(xp, nw, w, stride - 4u * nw, dot, dot + rows);
}
#endif

/*
 * One wrapper per width, so a build with one weight width links only its own loop. A small head (≤ 4
 * rows of ≤ 8 inputs) runs row by row on the dot product (bb_fc_short), as on the M4: the packing of
 * the activations and Σx cost more than such a head's MACs.
 */
bb_kstatus_t bb_fc_s4_c(const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in, uint32_t in_len,
                        const uint8_t *w, uint32_t row_stride, uint32_t n_out, int8_t *out)
{
    if (in_len <= 8u && n_out <= 4u) return bb_fc_short(act, ch, in, in_len, w, row_stride, n_out, out, bb_dot_s4); /* a small head */
    bb_pairs_fc(act, ch, in, in_len, w, row_stride, n_out, out, 4u, bb_s4p_rows);
    return BB_KOK;
}

bb_kstatus_t bb_fc_s2_c(const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in, uint32_t in_len,
                        const uint8_t *w, uint32_t row_stride, uint32_t n_out, int8_t *out)
{
    if (in_len <= 8u && n_out <= 4u) return bb_fc_short(act, ch, in, in_len, w, row_stride, n_out, out, bb_dot_s2); /* a small head */
    bb_pairs_fc(act, ch, in, in_len, w, row_stride, n_out, out, 2u, bb_s2p_rows);
    return BB_KOK;
}

#endif
