#include "bb_kernel_opt.h"
#include "bb_fc_common.h"

#if !BB_KERNELS_DSP
/*
 * Binary weights on cores without the DSP extension (Cortex-M0, pure C; the Thumb-1 loops with
 * -DBB_KERNELS_ASM=1): Σ w·x = 2·Σset − Σx, Σset the sum of the
 * activations whose weight bit is set. bb_b1_rows2(x, xend, p0, p1, acc[2]) adds Σset for two rows
 * over whole weight words (32 inputs per word, in two passes of one 16-input body to halve its
 * code): per input LDRB + SXTB, per row LSRS + BCC (+ ADD). A row's partial last word runs against
 * a copy of the remaining activations padded with zeros.
 *
 * Not the two-MACs-per-MULS kernel of the 4- and 2-bit widths (bb_fc_pairs_c.c): measured on seed
 * 000's gesture model (binary, rows of 5 to 18 inputs), that one was 390 B larger and 3 % slower —
 * packing the activations does not pay on rows that short, and this width is the one models pick
 * to fit ~10 kB. It is faster on long rows (dense 256→64: 3.68 vs 4.19 instructions/MAC).
 * Speed builds run layers of ≥ 4 rows and > 8 inputs on subset-sum tables instead (bb_fc_b1_tab,
 * below: dense 256→64 2.79, conv 1×62×16 4.96 instructions/MAC; 2.71 and 4.56 since their outputs
 * are requantised in 16 bits, bb_requant32_b1), and rows of ≤ 8 inputs on bb_fc_b1_short.
 */
#if BB_KERNELS_THUMB1
void bb_b1_rows2_t1(const int8_t *x, const int8_t *xend, const uint8_t *p0, const uint8_t *p1, int32_t *acc);
#define bb_b1_rows2 bb_b1_rows2_t1
__asm__(
    "    .syntax unified\n"
    "    .thumb\n"
    "    .section .text.bb_b1_rows2_t1,\"ax\",%progbits\n"
    "    .global bb_b1_rows2_t1\n"
    "    .type bb_b1_rows2_t1, %function\n"
    "    .thumb_func\n"
    "bb_b1_rows2_t1:\n"
    "    push {r4-r7, lr}\n"
    "    mov r4, r8\n"
    "    mov r5, r9\n"
    "    mov r6, r10\n"
    "    mov r7, r11\n"
    "    push {r4-r7}\n"
    "    mov r10, r1\n"
    "    movs r1, r2\n"
    "    movs r2, r3\n"
    "    movs r6, #0\n"
    "    mov r8, r6\n"
    "    mov r9, r6\n"
    "1:\n"
    "    ldm r1!, {r4}\n"
    "    ldm r2!, {r5}\n"
    "    movs r3, #2\n"
    "3:\n"
    "    ldrb r6, [r0, #0]\n"
    "    sxtb r6, r6\n"
    "    lsrs r4, r4, #1\n"
    "    bcc 5f\n"
    "    add r8, r8, r6\n"
    "5:\n"
    "    lsrs r5, r5, #1\n"
    "    bcc 5f\n"
    "    add r9, r9, r6\n"
    "5:\n"
    "    ldrb r6, [r0, #1]\n"
    "    sxtb r6, r6\n"
    "    lsrs r4, r4, #1\n"
    "    bcc 5f\n"
    "    add r8, r8, r6\n"
    "5:\n"
    "    lsrs r5, r5, #1\n"
    "    bcc 5f\n"
    "    add r9, r9, r6\n"
    "5:\n"
    "    ldrb r6, [r0, #2]\n"
    "    sxtb r6, r6\n"
    "    lsrs r4, r4, #1\n"
    "    bcc 5f\n"
    "    add r8, r8, r6\n"
    "5:\n"
    "    lsrs r5, r5, #1\n"
    "    bcc 5f\n"
    "    add r9, r9, r6\n"
    "5:\n"
    "    ldrb r6, [r0, #3]\n"
    "    sxtb r6, r6\n"
    "    lsrs r4, r4, #1\n"
    "    bcc 5f\n"
    "    add r8, r8, r6\n"
    "5:\n"
    "    lsrs r5, r5, #1\n"
    "    bcc 5f\n"
    "    add r9, r9, r6\n"
    "5:\n"
    "    ldrb r6, [r0, #4]\n"
    "    sxtb r6, r6\n"
    "    lsrs r4, r4, #1\n"
    "    bcc 5f\n"
    "    add r8, r8, r6\n"
    "5:\n"
    "    lsrs r5, r5, #1\n"
    "    bcc 5f\n"
    "    add r9, r9, r6\n"
    "5:\n"
    "    ldrb r6, [r0, #5]\n"
    "    sxtb r6, r6\n"
    "    lsrs r4, r4, #1\n"
    "    bcc 5f\n"
    "    add r8, r8, r6\n"
    "5:\n"
    "    lsrs r5, r5, #1\n"
    "    bcc 5f\n"
    "    add r9, r9, r6\n"
    "5:\n"
    "    ldrb r6, [r0, #6]\n"
    "    sxtb r6, r6\n"
    "    lsrs r4, r4, #1\n"
    "    bcc 5f\n"
    "    add r8, r8, r6\n"
    "5:\n"
    "    lsrs r5, r5, #1\n"
    "    bcc 5f\n"
    "    add r9, r9, r6\n"
    "5:\n"
    "    ldrb r6, [r0, #7]\n"
    "    sxtb r6, r6\n"
    "    lsrs r4, r4, #1\n"
    "    bcc 5f\n"
    "    add r8, r8, r6\n"
    "5:\n"
    "    lsrs r5, r5, #1\n"
    "    bcc 5f\n"
    "    add r9, r9, r6\n"
    "5:\n"
    "    ldrb r6, [r0, #8]\n"
    "    sxtb r6, r6\n"
    "    lsrs r4, r4, #1\n"
    "    bcc 5f\n"
    "    add r8, r8, r6\n"
    "5:\n"
    "    lsrs r5, r5, #1\n"
    "    bcc 5f\n"
    "    add r9, r9, r6\n"
    "5:\n"
    "    ldrb r6, [r0, #9]\n"
    "    sxtb r6, r6\n"
    "    lsrs r4, r4, #1\n"
    "    bcc 5f\n"
    "    add r8, r8, r6\n"
    "5:\n"
    "    lsrs r5, r5, #1\n"
    "    bcc 5f\n"
    "    add r9, r9, r6\n"
    "5:\n"
    "    ldrb r6, [r0, #10]\n"
    "    sxtb r6, r6\n"
    "    lsrs r4, r4, #1\n"
    "    bcc 5f\n"
    "    add r8, r8, r6\n"
    "5:\n"
    "    lsrs r5, r5, #1\n"
    "    bcc 5f\n"
    "    add r9, r9, r6\n"
    "5:\n"
    "    ldrb r6, [r0, #11]\n"
    "    sxtb r6, r6\n"
    "    lsrs r4, r4, #1\n"
    "    bcc 5f\n"
    "    add r8, r8, r6\n"
    "5:\n"
    "    lsrs r5, r5, #1\n"
    "    bcc 5f\n"
    "    add r9, r9, r6\n"
    "5:\n"
    "    ldrb r6, [r0, #12]\n"
    "    sxtb r6, r6\n"
    "    lsrs r4, r4, #1\n"
    "    bcc 5f\n"
    "    add r8, r8, r6\n"
    "5:\n"
    "    lsrs r5, r5, #1\n"
    "    bcc 5f\n"
    "    add r9, r9, r6\n"
    "5:\n"
    "    ldrb r6, [r0, #13]\n"
    "    sxtb r6, r6\n"
    "    lsrs r4, r4, #1\n"
    "    bcc 5f\n"
    "    add r8, r8, r6\n"
    "5:\n"
    "    lsrs r5, r5, #1\n"
    "    bcc 5f\n"
    "    add r9, r9, r6\n"
    "5:\n"
    "    ldrb r6, [r0, #14]\n"
    "    sxtb r6, r6\n"
    "    lsrs r4, r4, #1\n"
    "    bcc 5f\n"
    "    add r8, r8, r6\n"
    "5:\n"
    "    lsrs r5, r5, #1\n"
    "    bcc 5f\n"
    "    add r9, r9, r6\n"
    "5:\n"
    "    ldrb r6, [r0, #15]\n"
    "    sxtb r6, r6\n"
    "    lsrs r4, r4, #1\n"
    "    bcc 5f\n"
    "    add r8, r8, r6\n"
    "5:\n"
    "    lsrs r5, r5, #1\n"
    "    bcc 5f\n"
    "    add r9, r9, r6\n"
    "5:\n"
    "    adds r0, #16\n"
    "    subs r3, #1\n"
    "    beq 4f\n"
    "    b 3b\n"
    "4:\n"
    "    cmp r0, r10\n"
    "    beq 2f\n"
    "    b 1b\n"
    "2:\n"
    "    ldr r0, [sp, #36]\n"
    "    ldm r0!, {r1, r2}\n"
    "    subs r0, #8\n"
    "    add r1, r1, r8\n"
    "    add r2, r2, r9\n"
    "    stm r0!, {r1, r2}\n"
    "    pop {r4-r7}\n"
    "    mov r8, r4\n"
    "    mov r9, r5\n"
    "    mov r10, r6\n"
    "    mov r11, r7\n"
    "    pop {r4-r7, pc}\n"
    "    .size bb_b1_rows2_t1, . - bb_b1_rows2_t1\n"
    "    .text\n"
);
#ifndef BB_KERNELS_SIZE_OPT
void bb_b1_rows4_t1(const int8_t *x, const int8_t *xend, const uint8_t *p0, uint32_t stride, int32_t *acc, uint32_t trips);
#define bb_b1_rows4 bb_b1_rows4_t1
/*
 * Four rows: r4, r5, r7, r6 the rows' weight words (shifted out a bit per input), r8–r11 their
 * sums, r0 x, r1 the activation, r2 p0, r3 passes left, r12 stride, lr xend; [sp + 36] acc,
 * [sp + 40] trips (8-input passes per word: 4, or fewer for a row's tail word).
 */
__asm__(
    "    .syntax unified\n"
    "    .thumb\n"
    "    .section .text.bb_b1_rows4_t1,\"ax\",%progbits\n"
    "    .global bb_b1_rows4_t1\n"
    "    .type bb_b1_rows4_t1, %function\n"
    "    .thumb_func\n"
    "bb_b1_rows4_t1:\n"
    "    push {r4-r7, lr}\n"
    "    mov r4, r8\n"
    "    mov r5, r9\n"
    "    mov r6, r10\n"
    "    mov r7, r11\n"
    "    push {r4-r7}\n"
    "    mov r12, r3\n"
    "    mov lr, r1\n"
    "    movs r4, #0\n"
    "    mov r8, r4\n"
    "    mov r9, r4\n"
    "    mov r10, r4\n"
    "    mov r11, r4\n"
    "1:\n"
    "    mov r3, r12\n"
    "    ldr r4, [r2]\n"
    "    ldr r5, [r2, r3]\n"
    "    adds r6, r2, r3\n"
    "    ldr r7, [r6, r3]\n"
    "    adds r6, r6, r3\n"
    "    adds r6, r6, r3\n"
    "    ldr r6, [r6]\n"
    "    adds r2, #4\n"
    "    ldr r3, [sp, #40]\n"
    "3:\n"
    "    ldrb r1, [r0, #0]\n"
    "    sxtb r1, r1\n"
    "    lsrs r4, r4, #1\n"
    "    bcc 5f\n"
    "    add r8, r8, r1\n"
    "5:\n"
    "    lsrs r5, r5, #1\n"
    "    bcc 5f\n"
    "    add r9, r9, r1\n"
    "5:\n"
    "    lsrs r7, r7, #1\n"
    "    bcc 5f\n"
    "    add r10, r10, r1\n"
    "5:\n"
    "    lsrs r6, r6, #1\n"
    "    bcc 5f\n"
    "    add r11, r11, r1\n"
    "5:\n"
    "    ldrb r1, [r0, #1]\n"
    "    sxtb r1, r1\n"
    "    lsrs r4, r4, #1\n"
    "    bcc 5f\n"
    "    add r8, r8, r1\n"
    "5:\n"
    "    lsrs r5, r5, #1\n"
    "    bcc 5f\n"
    "    add r9, r9, r1\n"
    "5:\n"
    "    lsrs r7, r7, #1\n"
    "    bcc 5f\n"
    "    add r10, r10, r1\n"
    "5:\n"
    "    lsrs r6, r6, #1\n"
    "    bcc 5f\n"
    "    add r11, r11, r1\n"
    "5:\n"
    "    ldrb r1, [r0, #2]\n"
    "    sxtb r1, r1\n"
    "    lsrs r4, r4, #1\n"
    "    bcc 5f\n"
    "    add r8, r8, r1\n"
    "5:\n"
    "    lsrs r5, r5, #1\n"
    "    bcc 5f\n"
    "    add r9, r9, r1\n"
    "5:\n"
    "    lsrs r7, r7, #1\n"
    "    bcc 5f\n"
    "    add r10, r10, r1\n"
    "5:\n"
    "    lsrs r6, r6, #1\n"
    "    bcc 5f\n"
    "    add r11, r11, r1\n"
    "5:\n"
    "    ldrb r1, [r0, #3]\n"
    "    sxtb r1, r1\n"
    "    lsrs r4, r4, #1\n"
    "    bcc 5f\n"
    "    add r8, r8, r1\n"
    "5:\n"
    "    lsrs r5, r5, #1\n"
    "    bcc 5f\n"
    "    add r9, r9, r1\n"
    "5:\n"
    "    lsrs r7, r7, #1\n"
    "    bcc 5f\n"
    "    add r10, r10, r1\n"
    "5:\n"
    "    lsrs r6, r6, #1\n"
    "    bcc 5f\n"
    "    add r11, r11, r1\n"
    "5:\n"
    "    ldrb r1, [r0, #4]\n"
    "    sxtb r1, r1\n"
    "    lsrs r4, r4, #1\n"
    "    bcc 5f\n"
    "    add r8, r8, r1\n"
    "5:\n"
    "    lsrs r5, r5, #1\n"
    "    bcc 5f\n"
    "    add r9, r9, r1\n"
    "5:\n"
    "    lsrs r7, r7, #1\n"
    "    bcc 5f\n"
    "    add r10, r10, r1\n"
    "5:\n"
    "    lsrs r6, r6, #1\n"
    "    bcc 5f\n"
    "    add r11, r11, r1\n"
    "5:\n"
    "    ldrb r1, [r0, #5]\n"
    "    sxtb r1, r1\n"
    "    lsrs r4, r4, #1\n"
    "    bcc 5f\n"
    "    add r8, r8, r1\n"
    "5:\n"
    "    lsrs r5, r5, #1\n"
    "    bcc 5f\n"
    "    add r9, r9, r1\n"
    "5:\n"
    "    lsrs r7, r7, #1\n"
    "    bcc 5f\n"
    "    add r10, r10, r1\n"
    "5:\n"
    "    lsrs r6, r6, #1\n"
    "    bcc 5f\n"
    "    add r11, r11, r1\n"
    "5:\n"
    "    ldrb r1, [r0, #6]\n"
    "    sxtb r1, r1\n"
    "    lsrs r4, r4, #1\n"
    "    bcc 5f\n"
    "    add r8, r8, r1\n"
    "5:\n"
    "    lsrs r5, r5, #1\n"
    "    bcc 5f\n"
    "    add r9, r9, r1\n"
    "5:\n"
    "    lsrs r7, r7, #1\n"
    "    bcc 5f\n"
    "    add r10, r10, r1\n"
    "5:\n"
    "    lsrs r6, r6, #1\n"
    "    bcc 5f\n"
    "    add r11, r11, r1\n"
    "5:\n"
    "    ldrb r1, [r0, #7]\n"
    "    sxtb r1, r1\n"
    "    lsrs r4, r4, #1\n"
    "    bcc 5f\n"
    "    add r8, r8, r1\n"
    "5:\n"
    "    lsrs r5, r5, #1\n"
    "    bcc 5f\n"
    "    add r9, r9, r1\n"
    "5:\n"
    "    lsrs r7, r7, #1\n"
    "    bcc 5f\n"
    "    add r10, r10, r1\n"
    "5:\n"
    "    lsrs r6, r6, #1\n"
    "    bcc 5f\n"
    "    add r11, r11, r1\n"
    "5:\n"
    "    adds r0, #8\n"
    "    subs r3, #1\n"
    "    bne 3b\n"
    "    cmp r0, lr\n"
    "    bne 1b\n"
    "    ldr r0, [sp, #36]\n"
    "    ldm r0!, {r1-r4}\n"
    "    add r1, r8\n"
    "    add r2, r9\n"
    "    add r3, r10\n"
    "    add r4, r11\n"
    "    subs r0, #16\n"
    "    stm r0!, {r1-r4}\n"
    "    pop {r4-r7}\n"
    "    mov r8, r4\n"
    "    mov r9, r5\n"
    "    mov r10, r6\n"
    "    mov r11, r7\n"
    "    pop {r4-r7, pc}\n"
    "    .size bb_b1_rows4_t1, . - bb_b1_rows4_t1\n"
    "    .text\n"
);
#endif
#else
static void bb_b1_rows2(const int8_t *x, const int8_t *xend, const uint8_t *p0, const uint8_t *p1, int32_t *acc)
{
    for (; x < xend; x += 32, p0 += 4, p1 += 4) {
        const uint32_t v0 = bb_load_u32(p0), v1 = bb_load_u32(p1);
        for (uint32_t j = 0; j < 32u; j++) {
            acc[0] += (v0 >> j & 1u) ? x[j] : 0;
            acc[1] += (v1 >> j & 1u) ? x[j] : 0;
        }
    }
}
#ifndef BB_KERNELS_SIZE_OPT
/* The assembly's passes: `trips` passes of 8 inputs per weight word. */
static void bb_b1_rows4(const int8_t *x, const int8_t *xend, const uint8_t *p0, uint32_t stride, int32_t *acc, uint32_t trips)
{
    for (; x < xend; x += 8u * trips, p0 += 4)
        for (uint32_t r = 0; r < 4u; r++) {
            const uint32_t v = bb_load_u32(p0 + r * stride);
            for (uint32_t j = 0; j < 8u * trips; j++) acc[r] += (v >> j & 1u) ? x[j] : 0;
        }
}
#endif
#endif
#endif /* !BB_KERNELS_DSP */

#ifndef BB_KERNELS_SIZE_OPT
/*
 * Speed builds, four or more rows: subset-sum tables. For each group of 4 activations the 16 sums
 * T[v] = Σ_i (bit i of v ? x_i : −x_i) (int16, |T| ≤ 512) are built once per call, and every row
 * then adds one entry per group: the group's 4 weight bits are the index, and the sum is Σ w·x
 * itself. Building costs ~51 instructions a group (bb_b1_tab_build); a pair of rows then costs 24
 * per weight byte (bb_b1_tab_rows2: per row LDRB, two nibble indices, two LDRSH, two ADDs), 1.5
 * per MAC against ~3 for the bit-serial loop. The tables of up to BB_B1_TAB_GROUPS groups (48
 * inputs, 384 B of stack) are built per chunk of the row; the sums of a block of up to
 * BB_B1_TAB_ROWS rows carry over the chunks. Inputs past in_len count as 0, so the spare weight
 * bits of the last group (any value) add nothing. Stack: the serial firmware's high-water mark on
 * the 2 KiB-stack M0 boards went 1,144 → 1,468 B (random binary models on virtual:m0); 64-input
 * chunks (512 B) were 6 % faster on dense 256→64 and left too little margin. Size builds keep the
 * bit-serial loop.
 */
#define BB_B1_TAB_GROUPS 12u
#define BB_B1_TAB_ROWS 32u

#if BB_KERNELS_THUMB1
/* Tables of `groups` whole groups of 4 activations at x into t (16 int16 per group). */
void bb_b1_tab_build_t1(const int8_t *x, uint32_t groups, int16_t *t);
/* acc[0] += Σ_k T_2k[lo(w0[k])] + T_2k+1[hi(w0[k])], acc[1] the same for w0 + stride; k < nbytes ≥ 1. */
void bb_b1_tab_rows2_t1(const int16_t *t, const uint8_t *w0, uint32_t stride, uint32_t nbytes, int32_t *acc);
#define bb_b1_tab_build bb_b1_tab_build_t1
#define bb_b1_tab_rows2 bb_b1_tab_rows2_t1
/*
 * Build: r0 x, r2 t, r8 the end of x; per group r3–r6 the four activations, then 2x each (a, b, c, d),
 * r7 the running base value (t0 = −Σx, then t2 = t0 + b), r3 t1 = t0 + a, then t3 = t1 + b; each base
 * value v is stored with v + d, v + c and v + c + d (bit 3, bit 2, bits 2 and 3 set).
 */
#define BB_TAB_EMIT(V, I)                                                  \
    "    strh " V ", [r2, #" #I "]\n"                                      \
    "    adds r1, " V ", r6\n"                                             \
    "    strh r1, [r2, #" #I " + 16]\n"                                    \
    "    adds r1, " V ", r5\n"                                             \
    "    strh r1, [r2, #" #I " + 8]\n"                                     \
    "    adds r1, r1, r6\n"                                                \
    "    strh r1, [r2, #" #I " + 24]\n"
__asm__(
    "    .syntax unified\n"
    "    .thumb\n"
    "    .section .text.bb_b1_tab_build_t1,\"ax\",%progbits\n"
    "    .global bb_b1_tab_build_t1\n"
    "    .type bb_b1_tab_build_t1, %function\n"
    "    .thumb_func\n"
    "bb_b1_tab_build_t1:\n"
    "    push {r4-r7, lr}\n"
    "    mov r4, r8\n"
    "    push {r4}\n"
    "    lsls r1, r1, #2\n"
    "    adds r1, r0, r1\n"
    "    mov r8, r1\n"
    "1:\n"
    "    ldrb r3, [r0, #0]\n"
    "    sxtb r3, r3\n"
    "    ldrb r4, [r0, #1]\n"
    "    sxtb r4, r4\n"
    "    ldrb r5, [r0, #2]\n"
    "    sxtb r5, r5\n"
    "    ldrb r6, [r0, #3]\n"
    "    sxtb r6, r6\n"
    "    adds r0, r0, #4\n"
    "    adds r7, r3, r4\n"
    "    adds r7, r7, r5\n"
    "    adds r7, r7, r6\n"
    "    rsbs r7, r7, #0\n"
    "    lsls r3, r3, #1\n"
    "    lsls r4, r4, #1\n"
    "    lsls r5, r5, #1\n"
    "    lsls r6, r6, #1\n"
    BB_TAB_EMIT("r7", 0)
    "    adds r3, r3, r7\n"
    BB_TAB_EMIT("r3", 2)
    "    adds r7, r7, r4\n"
    BB_TAB_EMIT("r7", 4)
    "    adds r3, r3, r4\n"
    BB_TAB_EMIT("r3", 6)
    "    adds r2, r2, #32\n"
    "    cmp r0, r8\n"
    "    bcc 1b\n"
    "    pop {r4}\n"
    "    mov r8, r4\n"
    "    pop {r4-r7, pc}\n"
    "    .size bb_b1_tab_build_t1, . - bb_b1_tab_build_t1\n"
    "    .text\n"
);
#undef BB_TAB_EMIT
/*
 * Rows: r0 t (advances 64 B per weight byte), r1 w0, r2 stride, r7 = 30 (the low nibble's index
 * mask, ×2 for int16), r8/r9 the two sums, r10 the end of w0.
 */
#define BB_TAB_ROW(LOAD, ACC)                                              \
    "    ldrb r3, " LOAD "\n"                                              \
    "    lsls r4, r3, #1\n"                                                \
    "    ands r4, r7\n"                                                    \
    "    ldrsh r5, [r0, r4]\n"                                             \
    "    add " ACC ", r5\n"                                                \
    "    lsrs r3, r3, #4\n"                                                \
    "    lsls r3, r3, #1\n"                                                \
    "    adds r3, #32\n"                                                   \
    "    ldrsh r5, [r0, r3]\n"                                             \
    "    add " ACC ", r5\n"
__asm__(
    "    .syntax unified\n"
    "    .thumb\n"
    "    .section .text.bb_b1_tab_rows2_t1,\"ax\",%progbits\n"
    "    .global bb_b1_tab_rows2_t1\n"
    "    .type bb_b1_tab_rows2_t1, %function\n"
    "    .thumb_func\n"
    "bb_b1_tab_rows2_t1:\n"
    "    push {r4-r7, lr}\n"
    "    mov r4, r8\n"
    "    mov r5, r9\n"
    "    mov r6, r10\n"
    "    push {r4-r6}\n"
    "    adds r3, r1, r3\n"
    "    mov r10, r3\n"
    "    movs r7, #30\n"
    "    movs r3, #0\n"
    "    mov r8, r3\n"
    "    mov r9, r3\n"
    "1:\n"
    BB_TAB_ROW("[r1, r2]", "r9")
    BB_TAB_ROW("[r1]", "r8")
    "    adds r1, r1, #1\n"
    "    adds r0, #64\n"
    "    cmp r1, r10\n"
    "    bcc 1b\n"
    "    ldr r3, [sp, #32]\n"
    "    ldm r3!, {r4, r5}\n"
    "    add r4, r8\n"
    "    add r5, r9\n"
    "    subs r3, r3, #8\n"
    "    stm r3!, {r4, r5}\n"
    "    pop {r4-r6}\n"
    "    mov r8, r4\n"
    "    mov r9, r5\n"
    "    mov r10, r6\n"
    "    pop {r4-r7, pc}\n"
    "    .size bb_b1_tab_rows2_t1, . - bb_b1_tab_rows2_t1\n"
    "    .text\n"
);
#undef BB_TAB_ROW
#else
/* The same in C (host build, other cores). */
/* Each base value v (bits 2 and 3 clear) stored with v + c, v + d, v + c + d, as the assembly does. */
#define BB_TAB_EMIT(V, I)                    \
    t[I] = (int16_t)(V);                     \
    t[(I) + 8] = (int16_t)((V) + d);         \
    t[(I) + 4] = (int16_t)((V) + c);         \
    t[(I) + 12] = (int16_t)((V) + c + d);
static void bb_b1_tab_build(const int8_t *x, uint32_t groups, int16_t *t)
{
    for (const int8_t *end = x + 4u * groups; x < end; x += 4, t += 16) {
        const int32_t a = 2 * x[0], b = 2 * x[1], c = 2 * x[2], d = 2 * x[3];
        const int32_t t0 = -(x[0] + x[1] + x[2] + x[3]), t1 = t0 + a;
        BB_TAB_EMIT(t0, 0)
        BB_TAB_EMIT(t1, 1)
        BB_TAB_EMIT(t0 + b, 2)
        BB_TAB_EMIT(t1 + b, 3)
    }
}
#undef BB_TAB_EMIT

#if !BB_KERNELS_DSP
static void bb_b1_tab_rows2(const int16_t *t, const uint8_t *w0, uint32_t stride, uint32_t nbytes, int32_t *acc)
{
    for (uint32_t k = 0; k < nbytes; k++, t += 32) {
        const uint32_t b0 = w0[k], b1 = w0[k + stride];
        acc[0] += t[b0 & 15u] + t[16u + (b0 >> 4)];
        acc[1] += t[b1 & 15u] + t[16u + (b1 >> 4)];
    }
}
#endif
#endif

/* Tables of x[0..n), n ≤ 4·BB_B1_TAB_GROUPS: whole groups, the partial last one, a zero group to an even count. */
static inline __attribute__((always_inline)) void bb_b1_tables(const int8_t *x, uint32_t n, int16_t *t)
{
    const uint32_t whole = n / 4u, groups = (n + 7u) / 8u * 2u;
    if (whole) bb_b1_tab_build(x, whole, t);
    int8_t pad[4] = {0, 0, 0, 0};
    for (uint32_t i = 4u * whole; i < n; i++) pad[i - 4u * whole] = x[i];
    for (uint32_t g = whole; g < groups; g++, pad[0] = pad[1] = pad[2] = pad[3] = 0) bb_b1_tab_build(pad, 1, t + 16u * g);
}

/*
 * dot[r] = Σ_i w_r[i]·x[i] for r < rows (raw: no zero point, no requantisation), on subset-sum tables
 * built once per chunk of x and shared by every row: the GRU's per-step products (bb_gru_b1), where
 * one short x meets 3·units rows. A row byte costs two table reads; a row of ≤ 8 inputs, one byte.
 * Both cores: the GRU's rows are too short for the M4's USADA8 loops to pay for their setup.
 */
void bb_b1_matvec(const int8_t *x, uint32_t n, const uint8_t *w, uint32_t stride, uint32_t rows, int32_t *dot)
{
    int16_t t[BB_B1_TAB_GROUPS * 16u];
    if (n > 8u && n <= 16u) {
        /*
         * Rows of 9–16 inputs (a GRU of 9–16 inputs or units): one 16-bit load and four table reads
         * a row, stored straight, where the byte loop below spent ~31 instructions a row (the M4's
         * GRU 29 × 9 of 16 units ran 271,333 instructions against the 2-bit GRU's 250,826). The
         * four tables (the fourth all zero for ≤ 12 inputs) read bits 0–15 of the row's first word.
         */
        bb_b1_tables(x, n, t);
        for (int32_t *end = dot + rows; dot < end; dot++, w += stride) {
            const uint32_t b = (uint32_t)w[0] | (uint32_t)w[1] << 8;
            *dot = t[b & 15u] + t[16u + ((b >> 4) & 15u)] + t[32u + ((b >> 8) & 15u)] + t[48u + (b >> 12)];
        }
        return;
    }
    for (uint32_t r = 0; r < rows; r++) dot[r] = 0;
    for (uint32_t i0 = 0; i0 < n; i0 += 4u * BB_B1_TAB_GROUPS) {
        const uint32_t m = n - i0 < 4u * BB_B1_TAB_GROUPS ? n - i0 : 4u * BB_B1_TAB_GROUPS;
        const uint32_t nbytes = (m + 7u) / 8u;
        bb_b1_tables(x + i0, m, t);
        const uint8_t *wb = w + i0 / 8u;
        if (nbytes == 1u) {
            for (uint32_t r = 0; r < rows; r++, wb += stride) {
                const uint32_t b = *wb;
                dot[r] += t[b & 15u] + t[16u + (b >> 4)];
            }
        } else {
            for (uint32_t r = 0; r < rows; r++, wb += stride) {
                int32_t s = 0;
                const int16_t *tk = t;
                for (uint32_t k = 0; k < nbytes; k++, tk += 32) {
                    const uint32_t b = wb[k];
                    s += tk[b & 15u] + tk[16u + (b >> 4)];
                }
                dot[r] += s;
            }
        }
    }
}

/* bb_fc_out through bb_requant32_b1: the binary rows' accumulators are small. */
static inline int8_t bb_b1_fc_out(const bb_act_params_t *act, const bb_chan_params_t *ch, uint32_t c, int32_t dot)
{
    int32_t v = bb_requant32_b1(ch->bias[c] - act->in_zp * ch->wsum[c] + dot, ch->mult[c], ch->shift[c]) + act->out_zp;
    v = v < act->act_min ? act->act_min : v;
    return (int8_t)(v > act->act_max ? act->act_max : v);
}

/*
 * Rows of at most 8 inputs (speed builds, both cores): one weight byte per row. With 8 or more rows,
 * one table pair for the layer and two reads per row; with fewer, Σx once and per row the activations
 * whose bit is set (the loop ends at the row's last set bit): Σ w·x = 2·Σset − Σx. The M4's USADA8
 * loop and the M0's bit-serial loop over a zero-padded 32-input word both spent more on their setup
 * than on rows this short (the gesture model's 5 → 2 dense: 520 / 1,066 instructions against int8's
 * 285 / 478; 332 / 487 here).
 */
void bb_fc_b1_short(const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in, uint32_t in_len, const uint8_t *w,
                    uint32_t row_stride, uint32_t n_out, int8_t *out)
{
    if (n_out >= 8u) {
        int16_t t[32];
        bb_b1_tables(in, in_len, t);
        for (uint32_t c = 0; c < n_out; c++, w += row_stride) {
            const uint32_t b = *w;
            out[c] = bb_b1_fc_out(act, ch, c, t[b & 15u] + t[16u + (b >> 4)]);
        }
        return;
    }
    int32_t xs = 0;
    for (uint32_t i = 0; i < in_len; i++) xs += in[i];
    const uint32_t valid = (1u << in_len) - 1u; /* the row's bits; spare bits of the byte are not weights */
    for (uint32_t c = 0; c < n_out; c++, w += row_stride) {
        int32_t sp = 0;
        for (uint32_t b = *w & valid, i = 0; b; b >>= 1, i++)
            if (b & 1u) sp += in[i];
        out[c] = bb_b1_fc_out(act, ch, c, 2 * sp - xs);
    }
}

/*
 * Few rows (< 4 on the M0) of 9–32 inputs: Σx once, then per row the activations whose bit is set,
 * one weight word a row and the loop ending at the row's last set bit (Σ w·x = 2·Σset − Σx), as
 * bb_fc_b1_short does for rows of ≤ 8. The M0's bit-serial row pairs ran each row pair over a whole
 * zero-padded 32-input word (dense 9→3: 1,544 instructions against the 2-bit layer's 1,040).
 */
void bb_fc_b1_few(const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in, uint32_t in_len, const uint8_t *w,
                  uint32_t row_stride, uint32_t n_out, int8_t *out)
{
    int32_t xs = 0;
    for (uint32_t i = 0; i < in_len; i++) xs += in[i];
    const uint32_t valid = in_len < 32u ? (1u << in_len) - 1u : 0xFFFFFFFFu; /* the row's bits; the word's spare bits are not weights */
    for (uint32_t c = 0; c < n_out; c++, w += row_stride) {
        int32_t sp = 0;
        const int8_t *x = in;
        for (uint32_t b = bb_load_u32(w) & valid; b; b >>= 1, x++)
            if (b & 1u) sp += *x;
        out[c] = bb_b1_fc_out(act, ch, c, 2 * sp - xs);
    }
}

#if !BB_KERNELS_DSP
static void bb_fc_b1_tab(const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in, uint32_t in_len, const uint8_t *w,
                         uint32_t row_stride, uint32_t n_out, int8_t *out)
{
    int16_t t[BB_B1_TAB_GROUPS * 16u];
    for (uint32_t c = 0; c < n_out; c += BB_B1_TAB_ROWS) {
        const uint32_t rows = n_out - c < BB_B1_TAB_ROWS ? n_out - c : BB_B1_TAB_ROWS;
        int32_t a[BB_B1_TAB_ROWS + 1u]; /* + 1: an odd last row runs paired with itself */
        for (uint32_t r = 0; r <= rows; r++) a[r] = 0;
        for (uint32_t i0 = 0; i0 < in_len; i0 += 4u * BB_B1_TAB_GROUPS) {
            const uint32_t n = in_len - i0 < 4u * BB_B1_TAB_GROUPS ? in_len - i0 : 4u * BB_B1_TAB_GROUPS;
            bb_b1_tables(in + i0, n, t);
            const uint8_t *wb = w + c * row_stride + i0 / 8u;
            for (uint32_t r = 0; r < rows; r += 2u, wb += 2u * row_stride)
                bb_b1_tab_rows2(t, wb, r + 1u < rows ? row_stride : 0u, (n + 7u) / 8u, a + r);
        }
        for (uint32_t r = 0; r < rows; r++) out[c + r] = bb_b1_fc_out(act, ch, c + r, a[r]);
    }
}
#endif /* !BB_KERNELS_DSP */
#endif /* !BB_KERNELS_SIZE_OPT */

#if !BB_KERNELS_DSP
/* Row pairs (a last odd row paired with itself) over whole words, then the zero-padded tail. */
bb_kstatus_t bb_fc_b1_c(const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in, uint32_t in_len,
                        const uint8_t *w, uint32_t row_stride, uint32_t n_out, int8_t *out)
{
#ifndef BB_KERNELS_SIZE_OPT
    if (in_len <= 8u) {
        bb_fc_b1_short(act, ch, in, in_len, w, row_stride, n_out, out);
        return BB_KOK;
    }
    if (n_out >= 4u) {
        bb_fc_b1_tab(act, ch, in, in_len, w, row_stride, n_out, out);
        return BB_KOK;
    }
    if (in_len <= 32u) {
        bb_fc_b1_few(act, ch, in, in_len, w, row_stride, n_out, out);
        return BB_KOK;
    }
#endif
    int32_t xsum = 0;
    for (uint32_t i = 0; i < in_len; i++) xsum += in[i];
    const uint32_t nmain = in_len & ~31u;
    const uint32_t wmain = nmain / 8u;
    int8_t tail[32] __attribute__((aligned(4))) = {0};
    for (uint32_t i = nmain; i < in_len; i++) tail[i - nmain] = in[i];
    uint32_t c = 0;
#ifndef BB_KERNELS_SIZE_OPT
    /*
     * Speed builds: four rows per pass (the activation loaded once per four rows: LDRB + SXTB, then
     * per row LSRS + BCC (+ ADD)), and the tail word runs only the 8-input passes it needs.
     */
    const uint32_t tail_trips = (in_len - nmain + 7u) / 8u;
    for (; n_out - c >= 4u; c += 4u) {
        const uint8_t *p0 = w + c * row_stride;
        int32_t a[4] = {0, 0, 0, 0};
        if (nmain) bb_b1_rows4(in, in + nmain, p0, row_stride, a, 4u);
        if (tail_trips) bb_b1_rows4(tail, tail + 8u * tail_trips, p0 + wmain, row_stride, a, tail_trips);
        for (uint32_t r = 0; r < 4u; r++) a[r] = 2 * a[r] - xsum;
        bb_fc_finish(act, ch, c, a, 4u, out);
    }
#endif
    for (; c < n_out; c += 2u) {
        const uint8_t *p0 = w + c * row_stride;
        const uint8_t *p1 = c + 1u < n_out ? p0 + row_stride : p0;
        int32_t a[2] = {0, 0};
        if (nmain) bb_b1_rows2(in, in + nmain, p0, p1, a);
        if (in_len > nmain) bb_b1_rows2(tail, tail + 32, p0 + wmain, p1 + wmain, a);
        out[c] = bb_fc_out(act, ch, c, 2 * a[0] - xsum);
        if (c + 1u < n_out) out[c + 1u] = bb_fc_out(act, ch, c + 1u, 2 * a[1] - xsum);
    }
    return BB_KOK;
}
#endif
