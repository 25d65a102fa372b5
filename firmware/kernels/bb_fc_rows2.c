#include "bb_kernel_opt.h"
#include "bb_fc_common.h"

/*
 * Fully-connected kernels for cores without the DSP extension (Cortex-M0; the host build runs
 * the same wrappers over C versions of the inner loops). Several rows per pass so each
 * activation is loaded and sign-extended once for several multiply-accumulates, each packed
 * weight word loaded once and its fields sign-extended with a shift pair (field to the top of
 * the register, arithmetic shift down). A row's partial last word runs against a copy of the
 * remaining activations padded with zeros: its fields beyond the row multiply zero. The _ref
 * kernels stay the reference; these give the same sums.
 *
 * Inner loops (Thumb-1 assembly on ARMv6-M: GCC keeps four accumulators and the row pointers
 * on the stack there; the sums live in r8–r11, reachable by ADD):
 *   bb_s8_rows4(xend, n, p0end, stride, acc[4]): acc[r] = Σ_{i<n} row_r[−n + i]·xend[−n + i], rows
 *     p0end + r·stride, n a positive multiple of 4. Per input: LDRSB x, then per row LDRSB +
 *     MULS + ADD, one index increment: 14 instructions per 4 MACs.
 *   bb_s2_rows2(x, xend, p0, p1, acc[2]): adds row sums over whole weight words (16 inputs
 *     each). Per input: LDRB + SXTB, per row LSLS + ASRS + MULS + ADD.
 * 4-bit weights have their own kernel, two MACs per MULS (bb_fc_s4_c.c).
 *   bb_b1_rows2(x, xend, p0, p1, acc[2]): adds Σ x over the set bits (32 inputs per word, in two
 *     passes of one 16-input body to halve its code); per input LDRB + SXTB, per row LSRS + BCC
 *     (+ ADD): Σ w·x = 2·Σset − Σx.
 */
#if defined(__arm__) && defined(__ARM_ARCH_6M__)
#define BB_T1 1
void bb_s8_rows4_t1(const int8_t *xend, int32_t neg_n, const uint8_t *p0end, uint32_t stride, int32_t *acc);
void bb_s2_rows2_t1(const int8_t *x, const int8_t *xend, const uint8_t *p0, const uint8_t *p1, int32_t *acc);
void bb_b1_rows2_t1(const int8_t *x, const int8_t *xend, const uint8_t *p0, const uint8_t *p1, int32_t *acc);
#define bb_s8_rows4(xe, n, p, s, a) bb_s8_rows4_t1((xe), -(int32_t)(n), (p), (s), (a))
#define bb_s2_rows2 bb_s2_rows2_t1
#define bb_b1_rows2 bb_b1_rows2_t1
__asm__(
    "    .syntax unified\n"
    "    .thumb\n"
    "    .section .text.bb_s8_rows4_t1,\"ax\",%progbits\n"
    "    .global bb_s8_rows4_t1\n"
    "    .type bb_s8_rows4_t1, %function\n"
    "    .thumb_func\n"
    "bb_s8_rows4_t1:\n"
    "    push {r4-r7, lr}\n"
    "    mov r4, r8\n"
    "    mov r5, r9\n"
    "    mov r6, r10\n"
    "    mov r7, r11\n"
    "    push {r4-r7}\n"
    "    movs r7, r3\n"
    "    adds r3, r2, r7\n"
    "    adds r4, r3, r7\n"
    "    adds r5, r4, r7\n"
    "    movs r6, #0\n"
    "    mov r8, r6\n"
    "    mov r9, r6\n"
    "    mov r10, r6\n"
    "    mov r11, r6\n"
    "1:\n"
    "    ldrsb r6, [r0, r1]\n"
    "    ldrsb r7, [r2, r1]\n"
    "    muls r7, r6, r7\n"
    "    add r8, r8, r7\n"
    "    ldrsb r7, [r3, r1]\n"
    "    muls r7, r6, r7\n"
    "    add r9, r9, r7\n"
    "    ldrsb r7, [r4, r1]\n"
    "    muls r7, r6, r7\n"
    "    add r10, r10, r7\n"
    "    ldrsb r7, [r5, r1]\n"
    "    muls r7, r6, r7\n"
    "    add r11, r11, r7\n"
    "    adds r1, #1\n"
    "    ldrsb r6, [r0, r1]\n"
    "    ldrsb r7, [r2, r1]\n"
    "    muls r7, r6, r7\n"
    "    add r8, r8, r7\n"
    "    ldrsb r7, [r3, r1]\n"
    "    muls r7, r6, r7\n"
    "    add r9, r9, r7\n"
    "    ldrsb r7, [r4, r1]\n"
    "    muls r7, r6, r7\n"
    "    add r10, r10, r7\n"
    "    ldrsb r7, [r5, r1]\n"
    "    muls r7, r6, r7\n"
    "    add r11, r11, r7\n"
    "    adds r1, #1\n"
    "    ldrsb r6, [r0, r1]\n"
    "    ldrsb r7, [r2, r1]\n"
    "    muls r7, r6, r7\n"
    "    add r8, r8, r7\n"
    "    ldrsb r7, [r3, r1]\n"
    "    muls r7, r6, r7\n"
    "    add r9, r9, r7\n"
    "    ldrsb r7, [r4, r1]\n"
    "    muls r7, r6, r7\n"
    "    add r10, r10, r7\n"
    "    ldrsb r7, [r5, r1]\n"
    "    muls r7, r6, r7\n"
    "    add r11, r11, r7\n"
    "    adds r1, #1\n"
    "    ldrsb r6, [r0, r1]\n"
    "    ldrsb r7, [r2, r1]\n"
    "    muls r7, r6, r7\n"
    "    add r8, r8, r7\n"
    "    ldrsb r7, [r3, r1]\n"
    "    muls r7, r6, r7\n"
    "    add r9, r9, r7\n"
    "    ldrsb r7, [r4, r1]\n"
    "    muls r7, r6, r7\n"
    "    add r10, r10, r7\n"
    "    ldrsb r7, [r5, r1]\n"
    "    muls r7, r6, r7\n"
    "    add r11, r11, r7\n"
    "    adds r1, #1\n"
    "    bne 1b\n"
    "    ldr r0, [sp, #36]\n"
    "    mov r1, r8\n"
    "    mov r2, r9\n"
    "    mov r3, r10\n"
    "    mov r4, r11\n"
    "    stm r0!, {r1-r4}\n"
    "    pop {r4-r7}\n"
    "    mov r8, r4\n"
    "    mov r9, r5\n"
    "    mov r10, r6\n"
    "    mov r11, r7\n"
    "    pop {r4-r7, pc}\n"
    "    .size bb_s8_rows4_t1, . - bb_s8_rows4_t1\n"
    "    .section .text.bb_s2_rows2_t1,\"ax\",%progbits\n"
    "    .global bb_s2_rows2_t1\n"
    "    .type bb_s2_rows2_t1, %function\n"
    "    .thumb_func\n"
    "bb_s2_rows2_t1:\n"
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
    "    ldrb r6, [r0, #0]\n"
    "    sxtb r6, r6\n"
    "    lsls r7, r4, #30\n"
    "    asrs r7, r7, #30\n"
    "    muls r7, r6, r7\n"
    "    add r8, r8, r7\n"
    "    lsls r7, r5, #30\n"
    "    asrs r7, r7, #30\n"
    "    muls r7, r6, r7\n"
    "    add r9, r9, r7\n"
    "    ldrb r6, [r0, #1]\n"
    "    sxtb r6, r6\n"
    "    lsls r7, r4, #28\n"
    "    asrs r7, r7, #30\n"
    "    muls r7, r6, r7\n"
    "    add r8, r8, r7\n"
    "    lsls r7, r5, #28\n"
    "    asrs r7, r7, #30\n"
    "    muls r7, r6, r7\n"
    "    add r9, r9, r7\n"
    "    ldrb r6, [r0, #2]\n"
    "    sxtb r6, r6\n"
    "    lsls r7, r4, #26\n"
    "    asrs r7, r7, #30\n"
    "    muls r7, r6, r7\n"
    "    add r8, r8, r7\n"
    "    lsls r7, r5, #26\n"
    "    asrs r7, r7, #30\n"
    "    muls r7, r6, r7\n"
    "    add r9, r9, r7\n"
    "    ldrb r6, [r0, #3]\n"
    "    sxtb r6, r6\n"
    "    lsls r7, r4, #24\n"
    "    asrs r7, r7, #30\n"
    "    muls r7, r6, r7\n"
    "    add r8, r8, r7\n"
    "    lsls r7, r5, #24\n"
    "    asrs r7, r7, #30\n"
    "    muls r7, r6, r7\n"
    "    add r9, r9, r7\n"
    "    ldrb r6, [r0, #4]\n"
    "    sxtb r6, r6\n"
    "    lsls r7, r4, #22\n"
    "    asrs r7, r7, #30\n"
    "    muls r7, r6, r7\n"
    "    add r8, r8, r7\n"
    "    lsls r7, r5, #22\n"
    "    asrs r7, r7, #30\n"
    "    muls r7, r6, r7\n"
    "    add r9, r9, r7\n"
    "    ldrb r6, [r0, #5]\n"
    "    sxtb r6, r6\n"
    "    lsls r7, r4, #20\n"
    "    asrs r7, r7, #30\n"
    "    muls r7, r6, r7\n"
    "    add r8, r8, r7\n"
    "    lsls r7, r5, #20\n"
    "    asrs r7, r7, #30\n"
    "    muls r7, r6, r7\n"
    "    add r9, r9, r7\n"
    "    ldrb r6, [r0, #6]\n"
    "    sxtb r6, r6\n"
    "    lsls r7, r4, #18\n"
    "    asrs r7, r7, #30\n"
    "    muls r7, r6, r7\n"
    "    add r8, r8, r7\n"
    "    lsls r7, r5, #18\n"
    "    asrs r7, r7, #30\n"
    "    muls r7, r6, r7\n"
    "    add r9, r9, r7\n"
    "    ldrb r6, [r0, #7]\n"
    "    sxtb r6, r6\n"
    "    lsls r7, r4, #16\n"
    "    asrs r7, r7, #30\n"
    "    muls r7, r6, r7\n"
    "    add r8, r8, r7\n"
    "    lsls r7, r5, #16\n"
    "    asrs r7, r7, #30\n"
    "    muls r7, r6, r7\n"
    "    add r9, r9, r7\n"
    "    ldrb r6, [r0, #8]\n"
    "    sxtb r6, r6\n"
    "    lsls r7, r4, #14\n"
    "    asrs r7, r7, #30\n"
    "    muls r7, r6, r7\n"
    "    add r8, r8, r7\n"
    "    lsls r7, r5, #14\n"
    "    asrs r7, r7, #30\n"
    "    muls r7, r6, r7\n"
    "    add r9, r9, r7\n"
    "    ldrb r6, [r0, #9]\n"
    "    sxtb r6, r6\n"
    "    lsls r7, r4, #12\n"
    "    asrs r7, r7, #30\n"
    "    muls r7, r6, r7\n"
    "    add r8, r8, r7\n"
    "    lsls r7, r5, #12\n"
    "    asrs r7, r7, #30\n"
    "    muls r7, r6, r7\n"
    "    add r9, r9, r7\n"
    "    ldrb r6, [r0, #10]\n"
    "    sxtb r6, r6\n"
    "    lsls r7, r4, #10\n"
    "    asrs r7, r7, #30\n"
    "    muls r7, r6, r7\n"
    "    add r8, r8, r7\n"
    "    lsls r7, r5, #10\n"
    "    asrs r7, r7, #30\n"
    "    muls r7, r6, r7\n"
    "    add r9, r9, r7\n"
    "    ldrb r6, [r0, #11]\n"
    "    sxtb r6, r6\n"
    "    lsls r7, r4, #8\n"
    "    asrs r7, r7, #30\n"
    "    muls r7, r6, r7\n"
    "    add r8, r8, r7\n"
    "    lsls r7, r5, #8\n"
    "    asrs r7, r7, #30\n"
    "    muls r7, r6, r7\n"
    "    add r9, r9, r7\n"
    "    ldrb r6, [r0, #12]\n"
    "    sxtb r6, r6\n"
    "    lsls r7, r4, #6\n"
    "    asrs r7, r7, #30\n"
    "    muls r7, r6, r7\n"
    "    add r8, r8, r7\n"
    "    lsls r7, r5, #6\n"
    "    asrs r7, r7, #30\n"
    "    muls r7, r6, r7\n"
    "    add r9, r9, r7\n"
    "    ldrb r6, [r0, #13]\n"
    "    sxtb r6, r6\n"
    "    lsls r7, r4, #4\n"
    "    asrs r7, r7, #30\n"
    "    muls r7, r6, r7\n"
    "    add r8, r8, r7\n"
    "    lsls r7, r5, #4\n"
    "    asrs r7, r7, #30\n"
    "    muls r7, r6, r7\n"
    "    add r9, r9, r7\n"
    "    ldrb r6, [r0, #14]\n"
    "    sxtb r6, r6\n"
    "    lsls r7, r4, #2\n"
    "    asrs r7, r7, #30\n"
    "    muls r7, r6, r7\n"
    "    add r8, r8, r7\n"
    "    lsls r7, r5, #2\n"
    "    asrs r7, r7, #30\n"
    "    muls r7, r6, r7\n"
    "    add r9, r9, r7\n"
    "    ldrb r6, [r0, #15]\n"
    "    sxtb r6, r6\n"
    "    asrs r7, r4, #30\n"
    "    muls r7, r6, r7\n"
    "    add r8, r8, r7\n"
    "    asrs r7, r5, #30\n"
    "    muls r7, r6, r7\n"
    "    add r9, r9, r7\n"
    "    adds r0, #16\n"
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
    "    .size bb_s2_rows2_t1, . - bb_s2_rows2_t1\n"
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
#else
#define BB_T1 0
static void bb_s8_rows4(const int8_t *xend, uint32_t n, const uint8_t *p0end, uint32_t stride, int32_t *acc)
{
    for (uint32_t r = 0; r < 4u; r++) {
        const int8_t *p = (const int8_t *)(p0end + r * stride) - n;
        int32_t a = 0;
        for (uint32_t i = 0; i < n; i++) a += p[i] * (xend - n)[i];
        acc[r] = a;
    }
}

/* Field j (width bits) of a word, sign-extended: the shift pair of the assembly. */
static inline int32_t bb_field(uint32_t v, uint32_t pos, uint32_t bits)
{
    return (int32_t)(v << (32u - bits - pos)) >> (32u - bits);
}

static void bb_packed_rows2(const int8_t *x, const int8_t *xend, const uint8_t *p0, const uint8_t *p1, int32_t *acc, uint32_t bits)
{
    const uint32_t per = 32u / bits;
    for (; x < xend; x += per, p0 += 4, p1 += 4) {
        const uint32_t v0 = bb_load_u32(p0), v1 = bb_load_u32(p1);
        for (uint32_t j = 0; j < per; j++) {
            const uint32_t pos = bits * j;
            if (bits == 1u) {
                acc[0] += (v0 >> pos & 1u) ? x[j] : 0;
                acc[1] += (v1 >> pos & 1u) ? x[j] : 0;
            } else {
                acc[0] += bb_field(v0, pos, bits) * x[j];
                acc[1] += bb_field(v1, pos, bits) * x[j];
            }
        }
    }
}
static void bb_s2_rows2(const int8_t *x, const int8_t *xend, const uint8_t *p0, const uint8_t *p1, int32_t *acc)
{
    bb_packed_rows2(x, xend, p0, p1, acc, 2u);
}
static void bb_b1_rows2(const int8_t *x, const int8_t *xend, const uint8_t *p0, const uint8_t *p1, int32_t *acc)
{
    bb_packed_rows2(x, xend, p0, p1, acc, 1u);
}
#endif

static inline int8_t bb_rq(const bb_act_params_t *act, const bb_chan_params_t *ch, uint32_t c, int32_t dot)
{
    return bb_requant_s8(ch->bias[c] - act->in_zp * ch->wsum[c] + dot, ch->mult[c], ch->shift[c], act->out_zp, act->act_min, act->act_max);
}

bb_kstatus_t bb_fc_s8_c(const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in, uint32_t in_len,
                        const uint8_t *w, uint32_t row_stride, uint32_t n_out, int8_t *out)
{
    const uint32_t n4 = in_len & ~3u;
    uint32_t c = 0;
    for (; c + 4u <= n_out; c += 4u) {
        const uint8_t *r0 = w + c * row_stride;
        int32_t a[4] = {0, 0, 0, 0};
        if (n4) bb_s8_rows4(in + n4, n4, r0 + n4, row_stride, a);
        if (in_len > n4) {
            for (uint32_t r = 0; r < 4u; r++) {
                const int8_t *q = (const int8_t *)(r0 + r * row_stride);
                for (uint32_t i = n4; i < in_len; i++) a[r] += q[i] * in[i];
            }
        }
        bb_fc_finish(act, ch, c, a, 4u, out);
    }
    for (; c < n_out; c++) out[c] = bb_rq(act, ch, c, bb_dot_s8(in, w + c * row_stride, in_len));
    return BB_KOK;
}

/* Row pairs (a last odd row paired with itself) over whole words, then the zero-padded tail. */
typedef void (*bb_rows2_fn)(const int8_t *x, const int8_t *xend, const uint8_t *p0, const uint8_t *p1, int32_t *acc);

/* The inner loop comes in as a pointer: a build with one weight width links only its own loop. */
static void bb_packed_fc(const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in, uint32_t in_len, const uint8_t *w,
                         uint32_t row_stride, uint32_t n_out, int8_t *out, uint32_t bits, int32_t xsum, bb_rows2_fn rows2)
{
    const uint32_t per = 32u / bits;
    const uint32_t nmain = in_len - in_len % per;
    const uint32_t wmain = nmain / per * 4u;
    int8_t tail[32] __attribute__((aligned(4))) = {0};
    for (uint32_t i = nmain; i < in_len; i++) tail[i - nmain] = in[i];
    for (uint32_t c = 0; c < n_out; c += 2u) {
        const uint8_t *p0 = w + c * row_stride;
        const uint8_t *p1 = c + 1u < n_out ? p0 + row_stride : p0;
        int32_t a[2] = {0, 0};
        if (nmain) rows2(in, in + nmain, p0, p1, a);
        if (in_len > nmain) rows2(tail, tail + per, p0 + wmain, p1 + wmain, a);
        if (bits == 1u) {
            a[0] = 2 * a[0] - xsum;
            a[1] = 2 * a[1] - xsum;
        }
        out[c] = bb_rq(act, ch, c, a[0]);
        if (c + 1u < n_out) out[c + 1u] = bb_rq(act, ch, c + 1u, a[1]);
    }
}

bb_kstatus_t bb_fc_s2_c(const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in, uint32_t in_len,
                        const uint8_t *w, uint32_t row_stride, uint32_t n_out, int8_t *out)
{
    bb_packed_fc(act, ch, in, in_len, w, row_stride, n_out, out, 2u, 0, bb_s2_rows2);
    return BB_KOK;
}

bb_kstatus_t bb_fc_b1_c(const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in, uint32_t in_len,
                        const uint8_t *w, uint32_t row_stride, uint32_t n_out, int8_t *out)
{
    int32_t xsum = 0;
    for (uint32_t i = 0; i < in_len; i++) xsum += in[i];
    bb_packed_fc(act, ch, in, in_len, w, row_stride, n_out, out, 1u, xsum, bb_b1_rows2);
    return BB_KOK;
}
