/* Internal helpers shared by the kernels: the requantisation step and aligned word loads. */
#ifndef BB_REQUANT_H
#define BB_REQUANT_H

#include <stdint.h>

/*
 * acc · mult · 2^(shift − 31), rounded half up: (acc·mult + 2^(30 − shift)) >> (31 − shift).
 * Exact in int64 (|acc·mult| < 2^62); >> on a negative int64 is an arithmetic shift with GCC.
 */
static inline int64_t bb_requant(int32_t acc, int32_t mult, int32_t shift)
{
    const int64_t prod = (int64_t)acc * (int64_t)mult;
    return (prod + ((int64_t)1 << (30 - shift))) >> (31 - shift);
}

/*
 * The same value, cheaper when total = 31 − shift ≥ 32 (M < 0.5, the usual case): with
 * prod = hi·2^32 + lo, (prod + 2^(total−1)) >> total = (hi + 2^(total−33)) >> (total − 32) for
 * total > 32, and hi + (lo >> 31) for total = 32. |prod| < 2^62 keeps hi + 2^(total−33) inside
 * int32. One SMULL on the M4 instead of a 64-bit shift sequence; identical results.
 */
static inline int32_t bb_requant32(int32_t acc, int32_t mult, int32_t shift)
{
    const int64_t prod = (int64_t)acc * (int64_t)mult;
    const int32_t hi = (int32_t)(prod >> 32);
    if (__builtin_expect(shift < -1, 1)) { /* M < 0.5: almost every layer; laid out as the fall-through */
        /*
         * t = total − 32 ∈ [1, 30]: (hi + 2^(t−1)) >> t == ((hi >> (t−1)) + 1) >> 1 (write
         * hi = q·2^(t−1) + r, 0 ≤ r < 2^(t−1): both are ⌊(q + 1)/2⌋), which needs no 1 << (t−1).
         */
        return ((hi >> (-2 - shift)) + 1) >> 1;
    }
    if (shift == -1) return hi + (int32_t)((uint32_t)prod >> 31);
    const int64_t r = bb_requant(acc, mult, shift);
    /* Saturate far outside int8 but with room for the zero point that follows. */
    return r > 0x7FFFFF00 ? 0x7FFFFF00 : r < -0x7FFFFF00 ? -0x7FFFFF00 : (int32_t)r;
}

/*
 * The binary kernels' requantiser: the same value as bb_requant32, from hi and lo of the product.
 * Binary layers' per-channel scales give multipliers of 0.25 and more (shift ≥ −1), which
 * bb_requant32 takes through int64 shifts (two libgcc calls on the M0); here shift ∈ [0, 30] has a
 * 32-bit path too: with u = 30 − shift the value is ((prod >> u) + 1) >> 1, the 64-bit shift is two
 * 32-bit ones (lo_v, hi_v), and when prod >> u fits int32 (hi_v is lo_v's sign) the result is
 * (v >> 1) + (v & 1), at most 2^30 in magnitude, so no saturation applies. Anything else (u = 0, a
 * value past int32) calls the exact path out of line. A separate function from bb_requant32 so the
 * int8/4/2-bit kernels' code (and their fitted latency) stays as it was.
 */
int32_t bb_requant32_exact(int32_t acc, int32_t mult, int32_t shift); /* bb_requant saturated like bb_requant32 (bb_requant.c) */

static inline int32_t bb_requant32_hl(int32_t hi, uint32_t lo, int32_t acc, int32_t mult, int32_t shift)
{
    if (__builtin_expect(shift < -1, 1)) return ((hi >> (-2 - shift)) + 1) >> 1;
    if (shift == -1) return hi + (int32_t)(lo >> 31);
    const uint32_t u = (uint32_t)(30 - shift);
    if (__builtin_expect(u != 0u, 1)) {
        const int32_t lo_v = (int32_t)((lo >> u) | ((uint32_t)hi << (32u - u)));
        if (hi >> u == lo_v >> 31) return (lo_v >> 1) + (lo_v & 1);
    }
    return bb_requant32_exact(acc, mult, shift);
}

/*
 * The same for |acc| < 2^15 (the caller checks: −32768 ≤ acc ≤ 32767), without the 64-bit
 * product. The Cortex-M0's MULS keeps the low 32 bits only, so GCC calls __aeabi_lmul (a 64 × 64
 * multiply, ~45 instructions) for acc·mult; with mult = mh·2^16 + ml (mh < 2^15, ml < 2^16) both
 * acc·mh (< 2^30) and acc·ml (< 2^31) fit int32, and prod = (acc·mh)·2^16 + acc·ml is put together
 * with one carry. Binary layers' accumulators are this small (|Σ w·x| ≤ 128 per input).
 */
static inline int32_t bb_requant32_s16(int32_t acc, int32_t mult, int32_t shift)
{
    const int32_t p1 = acc * (mult >> 16);
    const int32_t p0 = acc * (mult & 0xFFFF);
    const uint32_t l1 = (uint32_t)p1 << 16;
    const uint32_t lo = l1 + (uint32_t)p0;
    const int32_t hi = (p1 >> 16) + (p0 >> 31) + (int32_t)(lo < l1);
    return bb_requant32_hl(hi, lo, acc, mult, shift);
}

/* −32768 ≤ v ≤ 32767: the range bb_requant32_s16 takes. */
static inline int bb_fits_s16(int32_t v) { return (uint32_t)v + 32768u < 65536u; }

/* bb_requant32_hl over the full product, out of line (bb_requant.c): the M0's rare large accumulators. */
int32_t bb_requant32_wide(int32_t acc, int32_t mult, int32_t shift);

/*
 * bb_requant32 for the binary kernels: on ARMv6-M (no SMULL) the 16-bit form whenever the
 * accumulator allows, else the full product out of line; on ARMv7-M one SMULL. The host build
 * takes the ARMv6-M branch, so the host tests run it.
 */
#ifdef BB_KERNELS_SIZE_OPT
/* The size build: one out-of-line copy (bb_requant.c) where -Os left one per kernel file. */
int32_t bb_requant32_b1(int32_t acc, int32_t mult, int32_t shift);
#define BB_REQUANT32_B1_LINKAGE
#else
#define BB_REQUANT32_B1_LINKAGE static inline
#endif
#if !defined(BB_KERNELS_SIZE_OPT) || defined(BB_REQUANT32_B1_DEFINE)
BB_REQUANT32_B1_LINKAGE int32_t bb_requant32_b1(int32_t acc, int32_t mult, int32_t shift)
{
#if defined(__ARM_ARCH_6M__) || !defined(__arm__)
    return bb_fits_s16(acc) ? bb_requant32_s16(acc, mult, shift) : bb_requant32_wide(acc, mult, shift);
#else
    const int64_t prod = (int64_t)acc * (int64_t)mult;
    return bb_requant32_hl((int32_t)(prod >> 32), (uint32_t)prod, acc, mult, shift);
#endif
}
#endif

static inline int8_t bb_requant_s8(int32_t acc, int32_t mult, int32_t shift, int32_t out_zp, int32_t act_min, int32_t act_max)
{
    int32_t r = bb_requant32(acc, mult, shift);
    r += out_zp;
    if (r < act_min) r = act_min;
    if (r > act_max) r = act_max;
    return (int8_t)r;
}

/* Word load from a pointer the blob guarantees 4-byte aligned (via void*: no cast-align warning). */
static inline uint32_t bb_load_u32(const uint8_t *p)
{
    return *(const uint32_t *)(const void *)p;
}

/* Unaligned little-endian word load (activations: any address). Byte loads: safe on Cortex-M0. */
static inline uint32_t bb_load_u32_unaligned(const int8_t *p)
{
    uint32_t v;
    __builtin_memcpy(&v, p, 4);
    return v;
}

/* Weight i of a packed row (see bb_kernels.h for the packing). */
static inline int32_t bb_weight_at(const uint8_t *row, uint32_t i, uint32_t bits)
{
    switch (bits) {
    case 8:
        return (int8_t)row[i];
    case 4: {
        const uint32_t j = i & 7u;
        const uint8_t b = row[(i >> 3) * 4u + (j & 3u)];
        const uint32_t nib = j < 4u ? (b & 0xFu) : (uint32_t)(b >> 4);
        return ((int32_t)(nib ^ 8u)) - 8;
    }
    case 2: {
        const uint32_t bit = 2u * (i & 15u);
        const uint32_t f = (uint32_t)(row[(i >> 4) * 4u + (bit >> 3)] >> (bit & 7u)) & 3u;
        return ((int32_t)(f ^ 2u)) - 2;
    }
    default:
        return (row[(i >> 5) * 4u + ((i & 31u) >> 3)] >> (i & 7u)) & 1u ? 1 : -1;
    }
}

#endif /* BB_REQUANT_H */
