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
 * Cortex-M4, 8 weights per word, no sign-extension instructions on the weight side. With
 * m = 0xF000F000, (v << 12) & m, (v << 4) & m, (v << 8) & m and v & m each put two nibbles in the
 * top four bits of the two halfword lanes — weights (0, 2), (1, 3), (4, 6) and (5, 7) — so SMLAD
 * reads them as signed 4096·w against SXTB16 lanes of the activations. One AND with a shifted
 * register operand per lane pair: per 8 inputs per row LDR + 4 AND + 4 SMLAD; four rows per pass
 * share the activation lanes (LDR + 2 SXTB16 per 4 inputs). The rows' words are loaded once per
 * half so that only two activation lanes are live: 48 instructions per 32 MACs against the s8
 * path's 50. The 4096 scale bounds a chunk: |4096·w·x| ≤ 2^22, so 256 + 8 inputs never overflow
 * int32 and each chunk's sum is shifted down (exactly: its low 12 bits are zero) before the next.
 * A row's tail (in_len not a multiple of 8) runs from an 8-byte copy of the remaining activations
 * padded with zeros: the word's nibbles beyond the row multiply zero. A tail of at most 4 inputs
 * runs only the first half (weights 0–3, the low nibbles).
 *
 * bb_s4_blocks4(x, xend, p0, stride, nblk, acc, xtail, tail): nblk passes of four rows (p0 + r·stride,
 * the next pass 4·stride on), the pass's sums stored to acc[4·b + r]; xtail the zero-padded tail or 0,
 * tail 1 (≤ 4 inputs) or 2. Short rows (the conv1d layers: fan-in 27, 48) are dominated by what
 * a pass costs besides its dot products, so the passes loop here, not in C.
 * bb_s4_rows2(x, xend, p0, stride, acc, xtail): adds the sums of rows p0, p0 + stride.
 */
void bb_s4_blocks4(const int8_t *x, const int8_t *xend, const uint8_t *p0, uint32_t stride, uint32_t nblk, int32_t *acc,
                   const int8_t *xtail, uint32_t tail);
void bb_s4_rows2(const int8_t *x, const int8_t *xend, const uint8_t *p0, uint32_t stride, int32_t *acc, const int8_t *xtail);

#define BB_S4_LANES(V, SA, SB, ACC, XL0, XL1) \
    "and   r12, lr, " V ", lsl #" SA "\n\t"  \
    "smlad " ACC ", r12, " XL0 ", " ACC "\n\t" \
    "and   r12, lr, " V SB "\n\t"            \
    "smlad " ACC ", r12, " XL1 ", " ACC "\n\t"
/* The first half of 8 inputs (weights 0–3) for four rows; the second (4–7) advances the row pointers. */
#define BB_S4_HALF1                                                                \
    "ldr   r10, [r0], #4\n\t"                                                      \
    "sxtb16 r9, r10\n\t"                                                           \
    "sxtb16 r10, r10, ror #8\n\t"                                                  \
    "ldr   r11, [r2]\n\t" BB_S4_LANES("r11", "12", ", lsl #4", "r5", "r9", "r10")  \
    "ldr   r11, [r2, r3]\n\t" BB_S4_LANES("r11", "12", ", lsl #4", "r6", "r9", "r10") \
    "ldr   r11, [r4]\n\t" BB_S4_LANES("r11", "12", ", lsl #4", "r7", "r9", "r10")  \
    "ldr   r11, [r4, r3]\n\t" BB_S4_LANES("r11", "12", ", lsl #4", "r8", "r9", "r10")
#define BB_S4_HALF2                                                                \
    "ldr   r10, [r0], #4\n\t"                                                      \
    "sxtb16 r9, r10\n\t"                                                           \
    "sxtb16 r10, r10, ror #8\n\t"                                                  \
    "ldr   r11, [r2, r3]\n\t" BB_S4_LANES("r11", "8", "", "r6", "r9", "r10")       \
    "ldr   r11, [r2], #4\n\t" BB_S4_LANES("r11", "8", "", "r5", "r9", "r10")       \
    "ldr   r11, [r4, r3]\n\t" BB_S4_LANES("r11", "8", "", "r8", "r9", "r10")       \
    "ldr   r11, [r4], #4\n\t" BB_S4_LANES("r11", "8", "", "r7", "r9", "r10")

/* Stack after push + sub: [sp] x, [sp + 4] xend, [sp + 8] this pass's p0; args from [sp + 48]. */
__asm__(
    ".syntax unified\n\t"
    ".thumb\n\t"
    ".section .text.bb_s4_blocks4,\"ax\",%progbits\n\t"
    ".global bb_s4_blocks4\n\t"
    ".type bb_s4_blocks4, %function\n\t"
    ".thumb_func\n"
    "bb_s4_blocks4:\n\t"
    "push  {r4-r11, lr}\n\t"
    "sub   sp, #12\n\t"
    "strd  r0, r1, [sp]\n\t"
    "mov   lr, #0xF000F000\n"
    "0:\n\t"
    "str   r2, [sp, #8]\n\t"
    "add   r4, r2, r3, lsl #1\n\t"
    "movs  r5, #0\n\t"
    "movs  r6, #0\n\t"
    "movs  r7, #0\n\t"
    "mov   r8, #0\n\t"
    "ldrd  r0, r1, [sp]\n\t"
    "cmp   r0, r1\n\t"
    "bcs   2f\n"
    "1:\n\t" BB_S4_HALF1 BB_S4_HALF2
    "cmp   r0, r1\n\t"
    "bcc   1b\n"
    "2:\n\t"
    "ldr   r0, [sp, #56]\n\t" /* xtail */
    "cmp   r0, #0\n\t"
    "beq   4f\n\t" BB_S4_HALF1
    "ldr   r12, [sp, #60]\n\t" /* tail: 1 = first half only */
    "cmp   r12, #1\n\t"
    "beq   4f\n\t" BB_S4_HALF2
    "4:\n\t"
    "ldr   r12, [sp, #52]\n\t" /* acc */
    "asrs  r5, r5, #12\n\t"
    "asrs  r6, r6, #12\n\t"
    "asrs  r7, r7, #12\n\t"
    "asr   r8, r8, #12\n\t"
    "stmia r12!, {r5-r8}\n\t"
    "str   r12, [sp, #52]\n\t"
    "ldr   r2, [sp, #8]\n\t"
    "add   r2, r2, r3, lsl #2\n\t"
    "ldr   r12, [sp, #48]\n\t" /* nblk */
    "subs  r12, r12, #1\n\t"
    "str   r12, [sp, #48]\n\t"
    "bne   0b\n\t"
    "add   sp, #12\n\t"
    "pop   {r4-r11, pc}\n\t"
    ".size bb_s4_blocks4, . - bb_s4_blocks4\n\t"

    ".section .text.bb_s4_rows2,\"ax\",%progbits\n\t"
    ".global bb_s4_rows2\n\t"
    ".type bb_s4_rows2, %function\n\t"
    ".thumb_func\n"
    "bb_s4_rows2:\n\t"
    "push  {r4-r11, lr}\n\t"
    "movs  r5, #0\n\t"
    "movs  r6, #0\n\t"
    "mov   lr, #0xF000F000\n\t"
    "cmp   r0, r1\n\t"
    "bcs   2f\n"
    "1:\n\t"
    "ldr   r10, [r0], #4\n\t"
    "sxtb16 r9, r10\n\t"
    "sxtb16 r10, r10, ror #8\n\t"
    "ldr   r7, [r0], #4\n\t"
    "sxtb16 r8, r7\n\t"
    "sxtb16 r7, r7, ror #8\n\t"
    "ldr   r11, [r2, r3]\n\t" BB_S4_LANES("r11", "12", ", lsl #4", "r6", "r9", "r10") BB_S4_LANES("r11", "8", "", "r6", "r8", "r7")
    "ldr   r11, [r2], #4\n\t" BB_S4_LANES("r11", "12", ", lsl #4", "r5", "r9", "r10") BB_S4_LANES("r11", "8", "", "r5", "r8", "r7")
    "cmp   r0, r1\n\t"
    "bcc   1b\n"
    "2:\n\t"
    "ldr   r0, [sp, #40]\n\t" /* xtail */
    "cbz   r0, 3f\n\t"
    "movs  r12, #0\n\t"
    "str   r12, [sp, #40]\n\t"
    "add   r1, r0, #8\n\t"
    "b     1b\n"
    "3:\n\t"
    "ldr   r12, [sp, #36]\n\t" /* acc */
    "ldm   r12, {r0, r1}\n\t"
    "add   r0, r0, r5, asr #12\n\t"
    "add   r1, r1, r6, asr #12\n\t"
    "stm   r12, {r0, r1}\n\t"
    "pop   {r4-r11, pc}\n\t"
    ".size bb_s4_rows2, . - bb_s4_rows2\n\t"
    ".text\n");

/*
 * A small layer of 9–16 inputs and ≤ 4 rows (two weight words a row): x as the eight SMLAD lane words
 * once (bb_packed_matvec's layout), each row 2 LDR + 8 × (AND + SMLAD), without the passes' set-up
 * and zero-padded tail (dense 16 → 4: 438 instructions against int8's 418 on the passes).
 */
static bb_kstatus_t bb_fc_s4_short16(const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in, uint32_t in_len,
                                     const uint8_t *w, uint32_t row_stride, uint32_t n_out, int8_t *out)
{
    const uint32_t a0 = bb_ldr_unaligned(in), a1 = bb_ldr_unaligned(in + 4);
    uint32_t b0 = 0, b1 = 0;
    if (in_len == 16u) {
        b0 = bb_ldr_unaligned(in + 8);
        b1 = bb_ldr_unaligned(in + 12);
    } else {
        for (uint32_t i = 8u; i < in_len; i++) {
            const uint32_t v = (uint32_t)(uint8_t)in[i] << (8u * (i & 3u));
            if (i < 12u) b0 |= v;
            else b1 |= v;
        }
    }
    const int32_t x0 = bb_sxtb16(a0), x1 = bb_sxtb16_ror8(a0), x2 = bb_sxtb16(a1), x3 = bb_sxtb16_ror8(a1);
    const int32_t x4 = bb_sxtb16(b0), x5 = bb_sxtb16_ror8(b0), x6 = bb_sxtb16(b1), x7 = bb_sxtb16_ror8(b1);
    uint32_t m = 0xF000F000u;
    __asm__("" : "+r"(m)); /* in a register: AND with a shifted operand, not LSL + AND #imm */
    int32_t d[4];
    for (uint32_t r = 0; r < n_out; r++, w += row_stride) {
        const uint32_t v = bb_load_u32(w), u = bb_load_u32(w + 4);
        int32_t a = bb_smlad((int32_t)((v << 12) & m), x0, 0);
        a = bb_smlad((int32_t)((v << 4) & m), x1, a);
        a = bb_smlad((int32_t)((v << 8) & m), x2, a);
        a = bb_smlad((int32_t)(v & m), x3, a);
        a = bb_smlad((int32_t)((u << 12) & m), x4, a);
        a = bb_smlad((int32_t)((u << 4) & m), x5, a);
        a = bb_smlad((int32_t)((u << 8) & m), x6, a);
        d[r] = bb_smlad((int32_t)(u & m), x7, a) >> 12;
    }
    bb_fc_finish(act, ch, 0u, d, n_out, out);
    return BB_KOK;
}

#define BB_S4_CHUNK 256u
#define BB_S4_BLOCKS 4u /* passes per call: 16 sums on the stack */

bb_kstatus_t bb_fc_s4(const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in, uint32_t in_len,
                      const uint8_t *w, uint32_t row_stride, uint32_t n_out, int8_t *out)
{
    if (in_len <= 8u && n_out <= 4u) return bb_fc_short(act, ch, in, in_len, w, row_stride, n_out, out, bb_dot_s4); /* a small head */
    if (in_len <= 16u && n_out <= 4u) return bb_fc_s4_short16(act, ch, in, in_len, w, row_stride, n_out, out);
    const uint32_t n8 = in_len & ~7u;
    /* The row's last partial word runs against the remaining activations padded with zeros. */
    int8_t tailbuf[8] __attribute__((aligned(4))) = {0};
    const int8_t *xtail = 0;
    const uint32_t tail = in_len - n8 == 0u ? 0u : in_len - n8 <= 4u ? 1u : 2u;
    if (tail) {
        for (uint32_t i = n8; i < in_len; i++) tailbuf[i - n8] = in[i];
        xtail = tailbuf;
    }
    int32_t a[4u * BB_S4_BLOCKS];
    uint32_t c = 0;
    if (n8 <= BB_S4_CHUNK) {
        while (n_out - c >= 4u) {
            const uint32_t nb = (n_out - c) / 4u < BB_S4_BLOCKS ? (n_out - c) / 4u : BB_S4_BLOCKS;
            bb_s4_blocks4(in, in + n8, w + c * row_stride, row_stride, nb, a, xtail, tail);
            bb_fc_finish(act, ch, c, a, 4u * nb, out);
            c += 4u * nb;
        }
    } else {
        for (; n_out - c >= 4u; c += 4u) {
            const uint8_t *r0 = w + c * row_stride;
            int32_t s[4] = {0, 0, 0, 0};
            for (uint32_t k = 0; k < n8 || k == 0u;) {
                const uint32_t kend = n8 - k > BB_S4_CHUNK ? k + BB_S4_CHUNK : n8;
                bb_s4_blocks4(in + k, in + kend, r0 + k / 2u, row_stride, 1u, a, kend == n8 ? xtail : 0, tail);
                for (uint32_t r = 0; r < 4u; r++) s[r] += a[r];
                k = kend;
            }
            bb_fc_finish(act, ch, c, s, 4u, out);
        }
    }
    while (c < n_out) {
        /* Two rows at a time; a single last row is computed twice. */
        const uint32_t rows = n_out - c >= 2u ? 2u : 1u;
        const uint8_t *r0 = w + c * row_stride;
        int32_t s[2] = {0, 0};
        for (uint32_t k = 0;;) {
            const uint32_t kend = n8 - k > BB_S4_CHUNK ? k + BB_S4_CHUNK : n8;
            bb_s4_rows2(in + k, in + kend, r0 + k / 2u, rows == 2u ? row_stride : 0u, s, kend == n8 ? xtail : 0);
            if (kend == n8) break;
            k = kend;
        }
        bb_fc_finish(act, ch, c, s, rows, out);
        c += rows;
    }
    return BB_KOK;
}
#endif
