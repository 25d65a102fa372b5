#include "bb_kernel_opt.h"
#include "bb_fc_common.h"

/*
 * The int8 fully-connected kernel for cores without the DSP extension (Cortex-M0; the host build
 * runs the same wrapper over a C version of the inner loop). Four rows per pass so each activation
 * is loaded and sign-extended once for four multiply-accumulates. The packed widths have their own
 * kernels, two MACs per MULS (bb_fc_pairs_c.c). The _ref kernels stay the reference; these give
 * the same sums.
 *
 * Inner loop (C; with -DBB_KERNELS_ASM=1 Thumb-1 assembly on ARMv6-M, where GCC keeps four
 * accumulators and the row pointers on the stack; the assembly's sums live in r8–r11, reachable by ADD):
 *   bb_s8_rows4(xend, n, p0end, stride, acc[4]): acc[r] = Σ_{i<n} row_r[−n + i]·xend[−n + i], rows
 *     p0end + r·stride, n a positive multiple of 4. Per input: LDRSB x, then per row LDRSB +
 *     MULS + ADD, one index increment: 14 instructions per 4 MACs.
 */
#if BB_KERNELS_THUMB1
#define BB_T1 1
void bb_s8_rows4_t1(const int8_t *xend, int32_t neg_n, const uint8_t *p0end, uint32_t stride, int32_t *acc);
#define bb_s8_rows4(xe, n, p, s, a) bb_s8_rows4_t1((xe), -(int32_t)(n), (p), (s), (a))
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
    "    .text\n"
);
#else
#define BB_T1 0
/* The assembly's loop in C: one activation load for four rows, a negative index counting up to 0. */
static void bb_s8_rows4(const int8_t *xend, uint32_t n, const uint8_t *p0end, uint32_t stride, int32_t *acc)
{
    const int8_t *p0 = (const int8_t *)p0end, *p1 = p0 + stride, *p2 = p1 + stride, *p3 = p2 + stride;
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    for (int32_t i = -(int32_t)n; i != 0; i++) {
        const int32_t x = xend[i];
        a0 += p0[i] * x;
        a1 += p1[i] * x;
        a2 += p2[i] * x;
        a3 += p3[i] * x;
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}
#endif

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
    for (; c < n_out; c++) out[c] = bb_fc_out(act, ch, c, bb_dot_s8(in, w + c * row_stride, in_len));
    return BB_KOK;
}
