#include "bb_kernel_opt.h"
#include "bb_fc_common.h"

#if !BB_KERNELS_DSP
/*
 * 4-bit weights on cores without the DSP extension (Cortex-M0; the host build runs the C twin of
 * the loop): two multiply-accumulates per MULS, so 4-bit is faster than int8 there, not only smaller.
 *
 * A weight word holds 8 nibbles, weight j < 4 in the low nibble of byte j, j ≥ 4 in the high one.
 * XOR 0x88888888 turns each two's-complement nibble w into u = w + 8 in [0, 15]; then
 * (v >> s) & 0x000F000F, s = 0, 4, 8, 12, is W = u_lo + 2^16·u_hi for the weight pairs
 * (0, 2), (4, 6), (1, 3), (5, 7). The activations are packed once per layer call into one word per
 * pair, X = x_hi + 2^16·x_lo, so that mod 2^32
 *     X·W = x_hi·u_lo + 2^16·(x_lo·u_lo + x_hi·u_hi)      (the 2^32·x_lo·u_hi term falls off)
 * and the middle field is the pair's dot product. |x·u| ≤ 128·15 = 1920: over two weight words
 * (8 pairs) the low field stays within ±15360 and the middle within ±30720, so a sum started at
 * 2^15 holds both without carrying into the sign, and (sum >> 16) is exactly the middle field's
 * total. Every two words the loop adds that to the row's sum and restarts at 2^15. At the end
 * Σ x·u = Σ x·w + 8·Σx, and 8·Σx is taken off each row's sum.
 *
 * Per 8 MACs: LDM + EORS for the weight word, then per pair LSRS (MOVS) + ANDS + LDM (X) + MULS +
 * ADDS; per two words ASRS + ADD + MOV for the middle field and the loop test. 49 instructions per
 * 16 MACs, against 4 per MAC for int8 (LDRSB, LDRSB, MULS, ADD).
 *
 * Activations are packed in chunks of BB_S4P_CHUNK inputs (stack: 4 bytes per input pair) and the
 * rows run in blocks of BB_S4P_ROWS so that a chunk is packed once per block; a row's partial last
 * word multiplies zero-packed activations (the blob keeps padding nibbles zero anyway).
 */
#define BB_S4P_CHUNK 128u
#define BB_S4P_ROWS 16u

/* acc[r] += Σ x·u over nw weight words of row r (rows p + r·(4·nw + skip)), for acc ≤ &acc[r] < acc_end. */
#if defined(__arm__) && defined(__ARM_ARCH_6M__)
void bb_s4p_rows_t1(const uint32_t *xp, uint32_t nw, const uint8_t *p, uint32_t skip, int32_t *acc, int32_t *acc_end);
#define bb_s4p_rows bb_s4p_rows_t1

#define BB_S4P_PAIR(S)              \
    "    lsrs r1, r0, #" S "\n"     \
    "    ands r1, r2\n"             \
    "    ldm r6!, {r4}\n"           \
    "    muls r1, r4, r1\n"         \
    "    adds r5, r5, r1\n"
#define BB_S4P_WORD                 \
    "    ldm r7!, {r0}\n"           \
    "    eors r0, r3\n"             \
    "    movs r1, r0\n"             \
    "    ands r1, r2\n"             \
    "    ldm r6!, {r4}\n"           \
    "    muls r1, r4, r1\n"         \
    "    adds r5, r5, r1\n"         \
    BB_S4P_PAIR("4") BB_S4P_PAIR("8") BB_S4P_PAIR("12")

/*
 * r0 weight word, r1 scratch, r2 0x000F000F, r3 0x88888888, r4 X, r5 two-word sum, r6 X pointer,
 * r7 weight pointer; r8 row sum, r9 2^15, r10 X end, r11 X start, r12 skip, lr where a row enters
 * the two-word body (MOV PC: its first word, or its second when nw is odd).
 * Stack after the pushes: [sp + 36] acc (advanced here), [sp + 40] acc_end.
 */
__asm__(
    "    .syntax unified\n"
    "    .thumb\n"
    "    .section .text.bb_s4p_rows_t1,\"ax\",%progbits\n"
    "    .global bb_s4p_rows_t1\n"
    "    .type bb_s4p_rows_t1, %function\n"
    "    .thumb_func\n"
    "bb_s4p_rows_t1:\n"
    "    push {r4-r7, lr}\n"
    "    mov r4, r8\n"
    "    mov r5, r9\n"
    "    mov r6, r10\n"
    "    mov r7, r11\n"
    "    push {r4-r7}\n"
    "    mov r12, r3\n"
    "    mov r11, r0\n"
    "    lsls r4, r1, #4\n"
    "    adds r4, r0, r4\n"
    "    mov r10, r4\n"
    "    adr r4, 2f\n"
    "    lsls r1, r1, #31\n"
    "    beq 4f\n"
    "    adds r4, #44\n" /* an odd count enters the body at its second word (22 instructions on) */
    "4:\n"
    "    mov lr, r4\n"
    "    movs r7, r2\n"
    "    movs r4, #1\n"
    "    lsls r4, r4, #15\n"
    "    mov r9, r4\n"
    "    ldr r2, 8f\n"
    "    ldr r3, 9f\n"
    "1:\n"
    "    mov r6, r11\n"
    "    mov r5, r9\n"
    "    ldr r1, [sp, #36]\n"
    "    ldr r4, [r1]\n"
    "    mov r8, r4\n"
    "    mov pc, lr\n"
    "    .balign 4\n"
    "2:\n"
    BB_S4P_WORD
    BB_S4P_WORD
    "    asrs r1, r5, #16\n"
    "    add r8, r8, r1\n"
    "    mov r5, r9\n"
    "    cmp r6, r10\n"
    "    bne 2b\n"
    "    ldr r1, [sp, #36]\n"
    "    mov r4, r8\n"
    "    stm r1!, {r4}\n"
    "    str r1, [sp, #36]\n"
    "    add r7, r7, r12\n"
    "    ldr r4, [sp, #40]\n"
    "    cmp r1, r4\n"
    "    bne 1b\n"
    "    pop {r4-r7}\n"
    "    mov r8, r4\n"
    "    mov r9, r5\n"
    "    mov r10, r6\n"
    "    mov r11, r7\n"
    "    pop {r4-r7, pc}\n"
    "    .balign 4\n"
    "8:  .word 0x000F000F\n"
    "9:  .word 0x88888888\n"
    "    .size bb_s4p_rows_t1, . - bb_s4p_rows_t1\n"
    "    .text\n");
#else
static void bb_s4p_rows(const uint32_t *xp, uint32_t nw, const uint8_t *p, uint32_t skip, int32_t *acc, int32_t *acc_end)
{
    for (; acc < acc_end; acc++, p += skip) {
        const uint32_t *x = xp;
        int32_t sum = *acc;
        /* An odd count runs one word first, as the assembly enters its two-word body halfway. */
        for (uint32_t k = 0, kn = nw & 1u ? 1u : 2u; k < nw; k += kn, kn = 2u) {
            uint32_t a = 0x8000u;
            for (uint32_t j = 0; j < kn; j++, p += 4) {
                const uint32_t v = bb_load_u32(p) ^ 0x88888888u;
                for (uint32_t s = 0; s < 16u; s += 4u) a += (v >> s & 0x000F000Fu) * *x++;
            }
            sum += (int32_t)a >> 16;
        }
        *acc = sum;
    }
}
#endif

static inline uint32_t bb_s4p_x(int32_t lo, int32_t hi) { return ((uint32_t)lo << 16) + (uint32_t)hi; }

/*
 * X words for n ≤ BB_S4P_CHUNK inputs (zeros past n), four per 8 inputs; returns the number of
 * weight words and puts Σx in *xsum. Σ of the X words is Σx_hi + 2^16·Σx_lo with both sums within
 * ±64·128, so one running sum started at 2^15 gives both halves.
 */
static uint32_t bb_s4p_pack(const int8_t *x, uint32_t n, uint32_t *xp, int32_t *xsum)
{
    uint32_t s = 0x8000u;
    const uint32_t nfull = n / 8u;
    for (const int8_t *end = x + 8u * nfull; x < end; x += 8, xp += 4) {
        const uint32_t a = bb_s4p_x(x[0], x[2]), b = bb_s4p_x(x[4], x[6]), c = bb_s4p_x(x[1], x[3]), d = bb_s4p_x(x[5], x[7]);
        xp[0] = a;
        xp[1] = b;
        xp[2] = c;
        xp[3] = d;
        s += a + b + c + d;
    }
    if (n % 8u) {
        int8_t t[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        for (uint32_t i = 0; i < n % 8u; i++) t[i] = x[i];
        const uint32_t a = bb_s4p_x(t[0], t[2]), b = bb_s4p_x(t[4], t[6]), c = bb_s4p_x(t[1], t[3]), d = bb_s4p_x(t[5], t[7]);
        xp[0] = a;
        xp[1] = b;
        xp[2] = c;
        xp[3] = d;
        s += a + b + c + d;
    }
    const int32_t lo = (int32_t)s >> 16;
    *xsum = (int32_t)(s - 0x8000u - ((uint32_t)lo << 16)) + lo;
    return (n + 7u) / 8u;
}

bb_kstatus_t bb_fc_s4_c(const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in, uint32_t in_len,
                        const uint8_t *w, uint32_t row_stride, uint32_t n_out, int8_t *out)
{
    uint32_t xp[BB_S4P_CHUNK / 2u];
    int32_t acc[BB_S4P_ROWS];
    int32_t xsum = 0, part = 0;
    const int single = in_len <= BB_S4P_CHUNK;
    const uint32_t nw1 = single ? bb_s4p_pack(in, in_len, xp, &xsum) : 0u;
    for (uint32_t c = 0; c < n_out; c += BB_S4P_ROWS) {
        const uint32_t rows = n_out - c < BB_S4P_ROWS ? n_out - c : BB_S4P_ROWS;
        /* One chunk: Σx is known before the rows run; else it is complete after the first block's chunks. */
        for (uint32_t r = 0; r < rows; r++) acc[r] = single ? -8 * xsum : 0;
        for (uint32_t k = 0; k < in_len; k += BB_S4P_CHUNK) {
            uint32_t nw = nw1;
            if (!single) {
                nw = bb_s4p_pack(in + k, in_len - k < BB_S4P_CHUNK ? in_len - k : BB_S4P_CHUNK, xp, &part);
                if (c == 0u) xsum += part;
            }
            bb_s4p_rows(xp, nw, w + c * row_stride + k / 2u, row_stride - 4u * nw, acc, acc + rows);
        }
        if (!single)
            for (uint32_t r = 0; r < rows; r++) acc[r] -= 8 * xsum;
        for (uint32_t r = 0; r < rows; r += 4u) bb_fc_finish(act, ch, c + r, acc + r, rows - r < 4u ? rows - r : 4u, out);
    }
    return BB_KOK;
}
#endif
