#include "bb_kernel_opt.h"
#include "bb_fc_common.h"

#if !BB_KERNELS_DSP
/*
 * Binary weights on cores without the DSP extension (Cortex-M0; the host build runs the same
 * wrapper over a C version of the inner loop): Σ w·x = 2·Σset − Σx, Σset the sum of the
 * activations whose weight bit is set. bb_b1_rows2(x, xend, p0, p1, acc[2]) adds Σset for two rows
 * over whole weight words (32 inputs per word, in two passes of one 16-input body to halve its
 * code): per input LDRB + SXTB, per row LSRS + BCC (+ ADD). A row's partial last word runs against
 * a copy of the remaining activations padded with zeros.
 *
 * Not the two-MACs-per-MULS kernel of the 4- and 2-bit widths (bb_fc_pairs_c.c): measured on seed
 * 000's gesture model (binary, rows of 5 to 18 inputs), that one was 390 B larger and 3 % slower —
 * packing the activations does not pay on rows that short, and this width is the one models pick
 * to fit ~10 kB. It is faster on long rows (dense 256→64: 3.68 vs 4.19 instructions/MAC).
 */
#if defined(__arm__) && defined(__ARM_ARCH_6M__)
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
#endif

static inline int8_t bb_rq(const bb_act_params_t *act, const bb_chan_params_t *ch, uint32_t c, int32_t dot)
{
    return bb_requant_s8(ch->bias[c] - act->in_zp * ch->wsum[c] + dot, ch->mult[c], ch->shift[c], act->out_zp, act->act_min, act->act_max);
}

/* Row pairs (a last odd row paired with itself) over whole words, then the zero-padded tail. */
bb_kstatus_t bb_fc_b1_c(const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in, uint32_t in_len,
                        const uint8_t *w, uint32_t row_stride, uint32_t n_out, int8_t *out)
{
    int32_t xsum = 0;
    for (uint32_t i = 0; i < in_len; i++) xsum += in[i];
    const uint32_t nmain = in_len & ~31u;
    const uint32_t wmain = nmain / 8u;
    int8_t tail[32] __attribute__((aligned(4))) = {0};
    for (uint32_t i = nmain; i < in_len; i++) tail[i - nmain] = in[i];
    for (uint32_t c = 0; c < n_out; c += 2u) {
        const uint8_t *p0 = w + c * row_stride;
        const uint8_t *p1 = c + 1u < n_out ? p0 + row_stride : p0;
        int32_t a[2] = {0, 0};
        if (nmain) bb_b1_rows2(in, in + nmain, p0, p1, a);
        if (in_len > nmain) bb_b1_rows2(tail, tail + 32, p0 + wmain, p1 + wmain, a);
        out[c] = bb_rq(act, ch, c, 2 * a[0] - xsum);
        if (c + 1u < n_out) out[c + 1u] = bb_rq(act, ch, c + 1u, 2 * a[1] - xsum);
    }
    return BB_KOK;
}
#endif
