/*
 * Max and average pooling (int8, channels last, 'valid'; 1-D pools are kh = 1).
 *
 * bb_pool_ref is the plain loop nest (the host reference's order of operations), kept as
 * bb_max_pool_s8_ref / bb_avg_pool_s8_ref for the kernel bench's cross-check. The entry points the
 * model runner calls give the same bytes faster:
 *  - Index arithmetic hoisted: one pointer per output position, window taps at fixed offsets
 *    (kx·c, ky·in_w·c), the 1×2 and 2×2 windows unrolled, outputs written in order.
 *  - Max: the requantisation is monotone in the accumulator (mult ≥ 0, which the blob check
 *    enforces), so requant(max(x) − in_zp) is computed once per output from the raw int8 maximum
 *    (the reference's start at −128 changes nothing: every x ≥ −128).
 *  - The identity requant (mult = 2^30, shift = 1: what the exporter writes when the pool keeps the
 *    input's scale) is (acc·2^30 + 2^29) >> 30 = acc for |acc| ≤ 255, so the output is
 *    clamp(max + out_zp − in_zp, act_min, act_max), no multiply.
 *  - Any other requant goes through bb_requant32_b1, bb_requant32's value without the 64-bit
 *    multiply on the M0 (|acc| ≤ 255 · kh · kw fits its 16-bit path for windows up to 128 taps).
 *  - Cortex-M4 with ≥ 4 channels: four channels at a time, the byte-wise signed maximum by SSUB8
 *    (GE flags) + SEL; the last group of a position overlaps the one before when the channel count
 *    is not a multiple of 4 (input and output never overlap, so recomputing a channel is harmless).
 *    The identity requant with out_zp = in_zp stays in SIMD (clamp by the same max/min), anything
 *    else finishes the group's new bytes one by one.
 *  - Other windows (max, ≥ 4 channels, no SIMD): the running maximum in the output bytes, tap by tap
 *    (max_taps); fewer channels keep the per-channel window loop.
 * The size build (standalone --build size) runs both pools on the loop nest (see there).
 */
#include "bb_kernel_opt.h"
#include "bb_kernels.h"
#include "bb_requant.h"
#if BB_KERNELS_DSP
#include "bb_simd.h"
#endif

#define BB_ALWAYS_INLINE inline __attribute__((always_inline))

static bb_kstatus_t bb_pool_ref(const bb_conv_params_t *p, const bb_act_params_t *act, int32_t mult, int32_t shift, const int8_t *in,
                                int8_t *out, int is_max)
{
    const uint32_t c_n = p->in_c;
    for (uint32_t oy = 0; oy < p->out_h; oy++) {
        for (uint32_t ox = 0; ox < p->out_w; ox++) {
            for (uint32_t c = 0; c < c_n; c++) {
                int32_t acc = is_max ? -128 : 0;
                for (uint32_t ky = 0; ky < p->kh; ky++) {
                    const int8_t *src = in + ((oy * p->sh + ky) * p->in_w + ox * p->sw) * c_n + c;
                    for (uint32_t kx = 0; kx < p->kw; kx++, src += c_n) {
                        const int32_t v = *src;
                        if (is_max) {
                            if (v > acc) acc = v;
                        } else {
                            acc += v - act->in_zp;
                        }
                    }
                }
                if (is_max) acc -= act->in_zp;
                out[(oy * p->out_w + ox) * c_n + c] = bb_requant_s8(acc, mult, shift, act->out_zp, act->act_min, act->act_max);
            }
        }
    }
    return BB_KOK;
}

bb_kstatus_t bb_max_pool_s8_ref(const bb_conv_params_t *p, const bb_act_params_t *act, int32_t mult, int32_t shift, const int8_t *in,
                                int8_t *out)
{
    return bb_pool_ref(p, act, mult, shift, in, out, 1);
}

bb_kstatus_t bb_avg_pool_s8_ref(const bb_conv_params_t *p, const bb_act_params_t *act, int32_t mult, int32_t shift, const int8_t *in,
                                int8_t *out)
{
    return bb_pool_ref(p, act, mult, shift, in, out, 0);
}

#ifdef BB_KERNELS_SIZE_OPT
/*
 * The size build (standalone --build size) runs both pools on the one loop nest: the gesture model's
 * M0 size image went 9,866 → 10,608 B with the fast pools (max 592 B + average 264 B against the loop
 * nest's ~390 B for both), over seed 000's ~10 kB budget; the speed builds keep them.
 */
bb_kstatus_t bb_max_pool_s8(const bb_conv_params_t *p, const bb_act_params_t *act, int32_t mult, int32_t shift, const int8_t *in,
                            int8_t *out) __attribute__((alias("bb_max_pool_s8_ref")));
bb_kstatus_t bb_avg_pool_s8(const bb_conv_params_t *p, const bb_act_params_t *act, int32_t mult, int32_t shift, const int8_t *in,
                            int8_t *out) __attribute__((alias("bb_avg_pool_s8_ref")));
#else
/* What every output of one call shares. */
typedef struct {
    const int8_t *in;
    int8_t *out;
    uint32_t c_n, row, step_x, step_y, out_w, out_h, kh, kw;
    int32_t mult, shift, in_zp, out_zp, lo, hi;
    int identity; /* mult = 2^30, shift = 1 */
} pool_job_t;

static pool_job_t pool_job(const bb_conv_params_t *p, const bb_act_params_t *act, int32_t mult, int32_t shift, const int8_t *in,
                           int8_t *out)
{
    const uint32_t c_n = p->in_c, row = (uint32_t)p->in_w * c_n;
    const pool_job_t j = {in,    out,        c_n,       row,       (uint32_t)p->sw * c_n, (uint32_t)p->sh * row, p->out_w, p->out_h,
                          p->kh, p->kw,      mult,      shift,     act->in_zp,            act->out_zp,           act->act_min,
                          act->act_max,      mult == (int32_t)0x40000000 && shift == 1};
    return j;
}

/* clamp(requant(acc) + out_zp): bb_requant_s8's value; acc = max − in_zp or the window sum − n·in_zp. */
static BB_ALWAYS_INLINE int8_t pool_finish(int32_t acc, const pool_job_t *j, int identity)
{
    int32_t r = (identity ? acc : bb_requant32_b1(acc, j->mult, j->shift)) + j->out_zp;
    if (r < j->lo) r = j->lo;
    if (r > j->hi) r = j->hi;
    return (int8_t)r;
}

/* Scalar max pool; kh, kw, identity constant where the caller makes them so (1×2, 2×2). */
static BB_ALWAYS_INLINE void max_scalar(const pool_job_t *j, uint32_t kh, uint32_t kw, int identity)
{
    const uint32_t c_n = j->c_n, row = j->row;
    const int32_t in_zp = j->in_zp;
    int8_t *o = j->out;
    for (uint32_t oy = 0; oy < j->out_h; oy++) {
        const int8_t *src = j->in + oy * j->step_y;
        for (uint32_t ox = 0; ox < j->out_w; ox++, src += j->step_x) {
            for (uint32_t c = 0; c < c_n; c++) {
                const int8_t *s = src + c;
                int32_t m = -128;
                for (uint32_t ky = 0; ky < kh; ky++, s += row) {
                    for (uint32_t kx = 0; kx < kw; kx++) {
                        const int32_t v = s[kx * c_n];
                        if (v > m) m = v;
                    }
                }
                *o++ = pool_finish(m - in_zp, j, identity);
            }
        }
    }
}

/*
 * Max pool, any window, one output position at a time: the running maximum kept in the position's
 * output bytes, tap by tap over the contiguous channels (a tight loop of loads and compares, where
 * a channel's own window loop spends more on its counters than on the taps), then finished; not at
 * all when the requant is the identity with out_zp = in_zp and no clamp inside int8.
 */
static void max_taps(const pool_job_t *j)
{
    const uint32_t c_n = j->c_n, row = j->row, kh = j->kh, kw = j->kw;
    const int identity = j->identity, plain = identity && j->in_zp == j->out_zp && j->lo == -128 && j->hi == 127;
    int8_t *o = j->out;
    for (uint32_t oy = 0; oy < j->out_h; oy++) {
        const int8_t *src = j->in + oy * j->step_y;
        for (uint32_t ox = 0; ox < j->out_w; ox++, src += j->step_x, o += c_n) {
            for (uint32_t c = 0; c < c_n; c++) o[c] = src[c];
            const int8_t *r = src;
            for (uint32_t ky = 0; ky < kh; ky++, r += row) {
                const int8_t *t = r;
                for (uint32_t kx = 0; kx < kw; kx++, t += c_n) {
                    if (t == src) continue;
                    for (uint32_t c = 0; c < c_n; c++) {
                        const int8_t v = t[c];
                        if (v > o[c]) o[c] = v;
                    }
                }
            }
            if (!plain)
                for (uint32_t c = 0; c < c_n; c++) o[c] = pool_finish((int32_t)o[c] - j->in_zp, j, identity);
        }
    }
}

/* Average pool: Σ x − n·in_zp (= Σ (x − in_zp), exactly) per channel. */
static BB_ALWAYS_INLINE void avg_scalar(const pool_job_t *j, uint32_t kh, uint32_t kw)
{
    const uint32_t c_n = j->c_n, row = j->row;
    const int32_t bias = -(int32_t)(kh * kw) * j->in_zp;
    int8_t *o = j->out;
    for (uint32_t oy = 0; oy < j->out_h; oy++) {
        const int8_t *src = j->in + oy * j->step_y;
        for (uint32_t ox = 0; ox < j->out_w; ox++, src += j->step_x) {
            for (uint32_t c = 0; c < c_n; c++) {
                const int8_t *s = src + c;
                int32_t acc = bias;
                for (uint32_t ky = 0; ky < kh; ky++, s += row) {
                    for (uint32_t kx = 0; kx < kw; kx++) acc += s[kx * c_n];
                }
                *o++ = pool_finish(acc, j, 0);
            }
        }
    }
}

#if BB_KERNELS_DSP
/* Byte-wise signed max / min of four int8 lanes: SSUB8 sets GE per lane where a ≥ b, SEL picks. */
static inline uint32_t bb_smax8(uint32_t a, uint32_t b)
{
    uint32_t r;
    __asm__("ssub8 %0, %1, %2\n\tsel %0, %1, %2" : "=&r"(r) : "r"(a), "r"(b) : "cc");
    return r;
}

static inline uint32_t bb_smin8(uint32_t a, uint32_t b)
{
    uint32_t r;
    __asm__("ssub8 %0, %1, %2\n\tsel %0, %2, %1" : "=&r"(r) : "r"(a), "r"(b) : "cc");
    return r;
}

static inline void bb_str_unaligned(int8_t *p, uint32_t v) { __builtin_memcpy(p, &v, 4); }

/*
 * Max pool four channels at a time (c_n ≥ 4). word = 1: identity requant with out_zp = in_zp, the
 * word is the output (clamped lane-wise when act_min/act_max cut into int8); word = 0: the four
 * maxima finish one by one (pool_finish), the overlapping last group only its new channels.
 */
static BB_ALWAYS_INLINE void max_simd(const pool_job_t *j, uint32_t kh, uint32_t kw, int word)
{
    const uint32_t c_n = j->c_n, row = j->row, last = c_n - 4u;
    const uint32_t lo4 = 0x01010101u * (uint8_t)j->lo, hi4 = 0x01010101u * (uint8_t)j->hi;
    const int clamp_lo = j->lo > -128, clamp_hi = j->hi < 127, identity = j->identity;
    int8_t *o = j->out;
    for (uint32_t oy = 0; oy < j->out_h; oy++) {
        const int8_t *src = j->in + oy * j->step_y;
        for (uint32_t ox = 0; ox < j->out_w; ox++, src += j->step_x, o += c_n) {
            for (uint32_t c = 0;; c += 4u) {
                uint32_t b = 0;
                if (c > last) { /* the position's last group overlaps the one before */
                    b = c - last;
                    c = last;
                }
                const int8_t *s = src + c;
                uint32_t m = bb_ldr_unaligned(s);
                for (uint32_t ky = 0; ky < kh; ky++, s += row) {
                    for (uint32_t kx = ky == 0u ? 1u : 0u; kx < kw; kx++) m = bb_smax8(m, bb_ldr_unaligned(s + kx * c_n));
                }
                if (word) {
                    if (clamp_lo) m = bb_smax8(m, lo4);
                    if (clamp_hi) m = bb_smin8(m, hi4);
                    bb_str_unaligned(o + c, m);
                } else {
                    for (; b < 4u; b++) o[c + b] = pool_finish((int32_t)(int8_t)(m >> (8u * b)) - j->in_zp, j, identity);
                }
                if (c == last) break;
            }
        }
    }
}

static void max_simd_any(const pool_job_t *j, int word)
{
    if (j->kh == 1u && j->kw == 2u) {
        if (word) max_simd(j, 1u, 2u, 1);
        else max_simd(j, 1u, 2u, 0);
    } else if (j->kh == 2u && j->kw == 2u) {
        if (word) max_simd(j, 2u, 2u, 1);
        else max_simd(j, 2u, 2u, 0);
    } else {
        if (word) max_simd(j, j->kh, j->kw, 1);
        else max_simd(j, j->kh, j->kw, 0);
    }
}
#endif

bb_kstatus_t bb_max_pool_s8(const bb_conv_params_t *p, const bb_act_params_t *act, int32_t mult, int32_t shift, const int8_t *in,
                            int8_t *out)
{
    const pool_job_t j = pool_job(p, act, mult, shift, in, out);
#if BB_KERNELS_DSP
    if (j.c_n >= 4u) {
        max_simd_any(&j, j.identity && j.in_zp == j.out_zp);
        return BB_KOK;
    }
#endif
    /* The unrolled windows with the identity requant a constant (a run-time flag costs the M0 5–9 instructions per output). */
    if (!BB_KERNELS_DSP && j.kh == 1u && j.kw == 2u) { /* the M4 comes here with < 4 channels only */
        if (j.identity) max_scalar(&j, 1u, 2u, 1);
        else max_scalar(&j, 1u, 2u, 0);
    } else if (!BB_KERNELS_DSP && j.kh == 2u && j.kw == 2u) {
        if (j.identity) max_scalar(&j, 2u, 2u, 1);
        else max_scalar(&j, 2u, 2u, 0);
    } else if (j.c_n < 4u) { /* too few channels to repay max_taps' passes per position */
        max_scalar(&j, j.kh, j.kw, j.identity);
    } else {
        max_taps(&j);
    }
    return BB_KOK;
}

bb_kstatus_t bb_avg_pool_s8(const bb_conv_params_t *p, const bb_act_params_t *act, int32_t mult, int32_t shift, const int8_t *in,
                            int8_t *out)
{
    const pool_job_t j = pool_job(p, act, mult, shift, in, out);
    if (j.kh == 1u && j.kw == 2u) avg_scalar(&j, 1u, 2u);
    else if (j.kh == 2u && j.kw == 2u) avg_scalar(&j, 2u, 2u);
    else avg_scalar(&j, j.kh, j.kw);
    return BB_KOK;
}
#endif /* BB_KERNELS_SIZE_OPT */
