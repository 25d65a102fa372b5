#include "bb_kernel_opt.h"
#include "bb_fc_common.h"

bb_kstatus_t bb_fc_s2_ref(const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in, uint32_t in_len,
                          const uint8_t *w, uint32_t row_stride, uint32_t n_out, int8_t *out)
{
    return bb_fc_portable(act, ch, in, in_len, w, row_stride, n_out, out, bb_dot_s2);
}

#if BB_KERNELS_DSP
#include "bb_simd.h"

/*
 * Byte b of ternary weights (4 fields) → two USADA8 mask words. A ternary w is the mean of two
 * binary weights a, b: +1 = (+1, +1), −1 = (−1, −1), 0 = (+1, −1); each becomes a mask lane
 * (0x00 for +1, 0xFF for −1) as in bb_fc_b1.c.
 */
#define F(b, j) (((b) >> (2u * (j))) & 3u)
#define MA(b, j) (F(b, j) == 3u ? 0xFFu : 0u)
#define MB(b, j) (F(b, j) == 1u ? 0u : 0xFFu)
#define WA(b) (MA(b, 0) | (MA(b, 1) << 8) | (MA(b, 2) << 16) | (MA(b, 3) << 24))
#define WB(b) (MB(b, 0) | (MB(b, 1) << 8) | (MB(b, 2) << 16) | (MB(b, 3) << 24))
#define E(b) {WA(b), WB(b)}
#define E4(b) E(b), E((b) + 1u), E((b) + 2u), E((b) + 3u)
#define E16(b) E4(b), E4((b) + 4u), E4((b) + 8u), E4((b) + 12u)
#define E64(b) E16(b), E16((b) + 16u), E16((b) + 32u), E16((b) + 48u)
__attribute__((used)) static const uint32_t bb_s2_masks[256][2] = {E64(0u), E64(64u), E64(128u), E64(192u)};

/*
 * Cortex-M4, ternary weights: Σ w·x = (Σ a·x + Σ b·x) / 2, each binary sum one USADA8 per four
 * inputs: A = Aa + Ab = Σ (a + b)·xu + 255·(n₋a + n₋b), and n₋a + n₋b = n − Σw, so
 * Σ w·x = (A − 255·(n − Σw)) / 2 − 128·Σw. Per 4 inputs: LDR + EOR for x, then per row LDRB +
 * ADD + LDRD (mask pair) + 2 USADA8. Four rows per pass (rows p0, p0 + stride, p2, p2 + stride;
 * the register-offset loads read the second row of each pair before the post-incremented load
 * moves the pointer): 22 instructions per 16 MACs, the loop unrolled twice (an odd number of
 * 4-input blocks enters at the second half). Inline assembly: the loop has 14 live values.
 * bb_s2_rows2 is the same for rows p0 and p0 + stride (stride 0: one row, computed twice).
 */
void bb_s2_rows2(const int8_t *x, const int8_t *xend, const uint8_t *p0, uint32_t stride, uint32_t *acc);
/*
 * bb_s2_blocks4(x, xend, p0, stride, nblk, acc, xt, keep): nblk passes of four rows (p0 + r·stride,
 * the next pass 4·stride on), each pass's USADA8 sums stored to acc[4·b + r], the row tail included
 * when keep ≠ 0 (the next weight byte & keep against the tail word xt). Short rows (the conv1d
 * layers) are dominated by what a pass costs besides its dot products, so the passes and the tail
 * run here, not in C.
 */
void bb_s2_blocks4(const int8_t *x, const int8_t *xend, const uint8_t *p0, uint32_t stride, uint32_t nblk, uint32_t *acc, uint32_t xt,
                   uint32_t keep);

#define BB_S2_ROW(LOAD, ACC)                    \
    "ldrb  r10, " LOAD "\n\t"                   \
    "add   r10, lr, r10, lsl #3\n\t"            \
    "ldrd  r11, r12, [r10]\n\t"                 \
    "usada8 " ACC ", r9, r11, " ACC "\n\t"      \
    "usada8 " ACC ", r9, r12, " ACC "\n\t"
#define BB_S2_X "ldr   r9, [r0], #4\n\teor   r9, r9, #0x80808080\n\t"
#define BB_S2_BODY4 BB_S2_X BB_S2_ROW("[r2, r3]", "r6") BB_S2_ROW("[r2], #1", "r5") BB_S2_ROW("[r4, r3]", "r8") BB_S2_ROW("[r4], #1", "r7")
#define BB_S2_BODY2 BB_S2_X BB_S2_ROW("[r2, r3]", "r6") BB_S2_ROW("[r2], #1", "r5")
#define BB_S2_FN(NAME, SETUP, BODY, STORE)                        \
    ".section .text." NAME ",\"ax\",%progbits\n\t"                \
    ".global " NAME "\n\t"                                        \
    ".type " NAME ", %function\n\t"                               \
    ".thumb_func\n" NAME ":\n\t"                                  \
    "push  {r4-r11, lr}\n\t"                                      \
    SETUP                                                         \
    "movs  r5, #0\n\t"                                            \
    "movs  r6, #0\n\t"                                            \
    "movs  r7, #0\n\t"                                            \
    "mov   r8, #0\n\t"                                            \
    "ldr   lr, =bb_s2_masks\n\t"                                  \
    "cmp   r0, r1\n\t"                                            \
    "bcs   3f\n\t"                                                \
    "sub   r10, r1, r0\n\t"                                       \
    "tst   r10, #4\n\t"                                           \
    "bne   2f\n"                                                  \
    "1:\n\t" BODY "2:\n\t" BODY                                   \
    "cmp   r0, r1\n\t"                                            \
    "bcc   1b\n"                                                  \
    "3:\n\t" STORE                                                \
    "pop   {r4-r11, pc}\n\t"                                      \
    ".ltorg\n\t"                                                  \
    ".size " NAME ", . - " NAME "\n\t"

/* A row's tail byte: (byte & keep) → mask pair → two USADA8 against the tail word in r9; keep in r1. */
#define BB_S2_TAIL(LOAD, ACC)                   \
    "ldrb  r10, " LOAD "\n\t"                   \
    "and   r10, r10, r1\n\t"                    \
    "add   r10, lr, r10, lsl #3\n\t"            \
    "ldrd  r11, r12, [r10]\n\t"                 \
    "usada8 " ACC ", r9, r11, " ACC "\n\t"      \
    "usada8 " ACC ", r9, r12, " ACC "\n\t"
/* Stack after push + sub: [sp] x, [sp + 4] xend, [sp + 8] this pass's p0; args from [sp + 48]. */
#define BB_S2_BLOCKS4                                              \
    ".section .text.bb_s2_blocks4,\"ax\",%progbits\n\t"            \
    ".global bb_s2_blocks4\n\t"                                    \
    ".type bb_s2_blocks4, %function\n\t"                           \
    ".thumb_func\n"                                                \
    "bb_s2_blocks4:\n\t"                                           \
    "push  {r4-r11, lr}\n\t"                                       \
    "sub   sp, #12\n\t"                                            \
    "strd  r0, r1, [sp]\n\t"                                       \
    "ldr   lr, =bb_s2_masks\n"                                     \
    "0:\n\t"                                                       \
    "str   r2, [sp, #8]\n\t"                                       \
    "add   r4, r2, r3, lsl #1\n\t"                                 \
    "movs  r5, #0\n\t"                                             \
    "movs  r6, #0\n\t"                                             \
    "movs  r7, #0\n\t"                                             \
    "mov   r8, #0\n\t"                                             \
    "ldrd  r0, r1, [sp]\n\t"                                       \
    "cmp   r0, r1\n\t"                                             \
    "bcs   3f\n\t"                                                 \
    "sub   r10, r1, r0\n\t"                                        \
    "tst   r10, #4\n\t"                                            \
    "bne   2f\n"                                                   \
    "1:\n\t" BB_S2_BODY4 "2:\n\t" BB_S2_BODY4                      \
    "cmp   r0, r1\n\t"                                             \
    "bcc   1b\n"                                                   \
    "3:\n\t"                                                       \
    "ldrd  r9, r1, [sp, #56]\n\t" /* xt, keep */                   \
    "cbz   r1, 4f\n\t"                                             \
    BB_S2_TAIL("[r2, r3]", "r6") BB_S2_TAIL("[r2]", "r5")          \
    BB_S2_TAIL("[r4, r3]", "r8") BB_S2_TAIL("[r4]", "r7")          \
    "4:\n\t"                                                       \
    "ldr   r12, [sp, #52]\n\t" /* acc */                           \
    "stmia r12!, {r5-r8}\n\t"                                      \
    "str   r12, [sp, #52]\n\t"                                     \
    "ldr   r2, [sp, #8]\n\t"                                       \
    "add   r2, r2, r3, lsl #2\n\t"                                 \
    "ldr   r12, [sp, #48]\n\t" /* nblk */                          \
    "subs  r12, r12, #1\n\t"                                       \
    "str   r12, [sp, #48]\n\t"                                     \
    "bne   0b\n\t"                                                 \
    "add   sp, #12\n\t"                                            \
    "pop   {r4-r11, pc}\n\t"                                       \
    ".ltorg\n\t"                                                   \
    ".size bb_s2_blocks4, . - bb_s2_blocks4\n\t"

__asm__(".syntax unified\n\t"
        ".thumb\n\t"
        BB_S2_BLOCKS4
        BB_S2_FN("bb_s2_rows2", "", BB_S2_BODY2, "ldr   r12, [sp, #36]\n\tstm   r12, {r5, r6}\n\t")
        ".text\n");

bb_kstatus_t bb_fc_s2(const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in, uint32_t in_len,
                      const uint8_t *w, uint32_t row_stride, uint32_t n_out, int8_t *out)
{
    if (in_len <= 8u && n_out <= 4u) return bb_fc_short(act, ch, in, in_len, w, row_stride, n_out, out, bb_dot_s2); /* a small head */
    const uint32_t n4 = in_len & ~3u;
    const uint32_t t = in_len - n4;
    /*
     * Tail (1–3 inputs): the row's next weight byte with its fields beyond the row cleared, so
     * they are weight 0 — a 0/0xFF mask pair, 255 per lane whatever the activation — against a
     * copy of the remaining activations: the sums then cover n4 + 4 inputs.
     */
    uint32_t xt = 0;
    for (uint32_t i = 0; i < t; i++) xt |= (uint32_t)(uint8_t)in[n4 + i] << (8u * i);
    xt ^= 0x80808080u;
    const uint32_t keep = (1u << (2u * t)) - 1u;
    const int32_t k = 255 * (int32_t)(t ? n4 + 4u : n4);
    uint32_t a[16];
    uint32_t c = 0;
    while (n_out - c >= 4u) {
        const uint32_t nb = (n_out - c) / 4u < 4u ? (n_out - c) / 4u : 4u;
        bb_s2_blocks4(in, in + n4, w + c * row_stride, row_stride, nb, a, xt, keep);
        /* (A − 255·(n − Σw))/2 − 128·Σw == (A − 255·n − Σw)/2, the numerator even. */
        bb_fc_finish_s2(act, ch, c, (const int32_t *)a, 4u * nb, out, k);
        c += 4u * nb;
    }
    if (c < n_out) {
        const uint8_t *r0 = w + c * row_stride;
        const uint32_t rows = n_out - c;
        for (uint32_t r = 0; r < rows; r += 2u) {
            /* Two rows at a time; a single last row is computed twice. */
            const uint8_t *p = r0 + r * row_stride;
            bb_s2_rows2(in, in + n4, p, rows - r >= 2u ? row_stride : 0u, a + r);
        }
        if (t) {
            for (uint32_t r = 0; r < rows; r++) {
                const uint32_t *m = bb_s2_masks[r0[r * row_stride + n4 / 4u] & keep];
                a[r] = bb_usada8(xt, m[1], bb_usada8(xt, m[0], a[r]));
            }
        }
        bb_fc_finish_s2(act, ch, c, (const int32_t *)a, rows, out, k);
    }
    return BB_KOK;
}
#endif
