#include "bb_kernel_opt.h"
#include "bb_fc_common.h"

bb_kstatus_t bb_fc_s8_ref(const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in, uint32_t in_len,
                          const uint8_t *w, uint32_t row_stride, uint32_t n_out, int8_t *out)
{
    return bb_fc_portable(act, ch, in, in_len, w, row_stride, n_out, out, bb_dot_s8);
}

#if BB_KERNELS_DSP
#include "bb_simd.h"

/*
 * Cortex-M4: four rows per pass share each activation word. Per 4 inputs: one LDR + two SXTB16
 * for x, then per row one LDR + two SXTB16 + two SMLAD, plus the loop test: 25 instructions per
 * 16 MACs. CMSIS-NN's arithmetic without its memcpy-based loads (which -ffreestanding stops GCC
 * from inlining). The inner loop is inline assembly because GCC spills the four row pointers.
 */
static void bb_s8_rows4(const int8_t *x, const int8_t *xend, const uint32_t *p0, const uint32_t *p1, const uint32_t *p2,
                        const uint32_t *p3, int32_t acc[4])
{
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    uint32_t xv, x13, v, t;
    if (x < xend) {
        __asm__ volatile(
            "1:\n\t"
            "ldr    %[xv], [%[x]], #4\n\t"
            "sxtb16 %[x13], %[xv], ror #8\n\t"
            "sxtb16 %[xv], %[xv]\n\t"
            "ldr    %[v], [%[p0]], #4\n\t"
            "sxtb16 %[t], %[v]\n\t"
            "smlad  %[a0], %[t], %[xv], %[a0]\n\t"
            "sxtb16 %[v], %[v], ror #8\n\t"
            "smlad  %[a0], %[v], %[x13], %[a0]\n\t"
            "ldr    %[v], [%[p1]], #4\n\t"
            "sxtb16 %[t], %[v]\n\t"
            "smlad  %[a1], %[t], %[xv], %[a1]\n\t"
            "sxtb16 %[v], %[v], ror #8\n\t"
            "smlad  %[a1], %[v], %[x13], %[a1]\n\t"
            "ldr    %[v], [%[p2]], #4\n\t"
            "sxtb16 %[t], %[v]\n\t"
            "smlad  %[a2], %[t], %[xv], %[a2]\n\t"
            "sxtb16 %[v], %[v], ror #8\n\t"
            "smlad  %[a2], %[v], %[x13], %[a2]\n\t"
            "ldr    %[v], [%[p3]], #4\n\t"
            "sxtb16 %[t], %[v]\n\t"
            "smlad  %[a3], %[t], %[xv], %[a3]\n\t"
            "sxtb16 %[v], %[v], ror #8\n\t"
            "smlad  %[a3], %[v], %[x13], %[a3]\n\t"
            "cmp    %[x], %[xend]\n\t"
            "bcc    1b\n\t"
            : [x] "+r"(x), [p0] "+r"(p0), [p1] "+r"(p1), [p2] "+r"(p2), [p3] "+r"(p3), [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2),
              [a3] "+r"(a3), [xv] "=&r"(xv), [x13] "=&r"(x13), [v] "=&r"(v), [t] "=&r"(t)
            : [xend] "r"(xend)
            : "cc", "memory");
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

bb_kstatus_t bb_fc_s8(const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in, uint32_t in_len,
                      const uint8_t *w, uint32_t row_stride, uint32_t n_out, int8_t *out)
{
    const uint32_t n4 = in_len & ~3u;
    const int8_t *xend = in + n4;
    uint32_t c = 0;
    for (; c + 4u <= n_out; c += 4u) {
        const uint8_t *r0 = w + c * row_stride;
        int32_t a[4];
        bb_s8_rows4(in, xend, (const uint32_t *)(const void *)r0, (const uint32_t *)(const void *)(r0 + row_stride),
                    (const uint32_t *)(const void *)(r0 + 2u * row_stride), (const uint32_t *)(const void *)(r0 + 3u * row_stride), a);
        /* The guard matters: GCC keeps the empty loops' setup (≈ 40 instructions per pass) otherwise. */
        if (n4 != in_len) {
            for (uint32_t r = 0; r < 4u; r++) {
                const int8_t *q = (const int8_t *)(r0 + r * row_stride);
                for (uint32_t i = n4; i < in_len; i++) a[r] += q[i] * in[i];
            }
        }
        bb_fc_finish(act, ch, c, a, 4u, out);
    }
    for (; c < n_out; c++) {
        const uint32_t *p0 = (const uint32_t *)(const void *)(w + c * row_stride);
        int32_t a0 = 0;
        for (const int8_t *x = in; x < xend; x += 4) {
            const uint32_t xv = bb_ldr_unaligned(x);
            const uint32_t v = *p0++;
            a0 = bb_smlad(bb_sxtb16(v), bb_sxtb16(xv), a0);
            a0 = bb_smlad(bb_sxtb16_ror8(v), bb_sxtb16_ror8(xv), a0);
        }
        const int8_t *q0 = (const int8_t *)(const void *)p0;
        for (uint32_t i = 0; i < in_len - n4; i++) a0 += q0[i] * xend[i];
        out[c] = bb_fc_out(act, ch, c, a0);
    }
    return BB_KOK;
}
#endif
