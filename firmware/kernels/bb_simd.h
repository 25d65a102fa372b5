/* Internal: Cortex-M4 DSP helpers (only included when BB_KERNELS_DSP). */
#ifndef BB_SIMD_H
#define BB_SIMD_H

#include <arm_acle.h>
#include <stdint.h>

/* SXTB16 of the word rotated by 8: bytes 1 and 3 sign-extended into the two halfwords. GCC does not fold the rotate itself. */
static inline int32_t bb_sxtb16_ror8(uint32_t x)
{
    int32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}

static inline int32_t bb_sxtb16(uint32_t x) { return (int32_t)__sxtb16(x); }

static inline int32_t bb_smlad(int32_t a, int32_t b, int32_t acc) { return __smlad(a, b, acc); }

static inline uint32_t bb_usada8(uint32_t a, uint32_t b, uint32_t acc) { return __usada8(a, b, acc); }

/* Unaligned word load: a plain LDR on ARMv7-M (activations can sit at any byte offset). */
static inline uint32_t bb_ldr_unaligned(const int8_t *p)
{
    uint32_t v;
    __builtin_memcpy(&v, p, 4);
    return v;
}

/*
 * Binary/ternary weights → USADA8 operand masks, one 8-byte entry per weight byte: byte i of the
 * pair is 0x00 for weight +1 and 0xFF for −1 (binary: 8 weights per byte). Σ|xu − m| over the
 * lanes then equals Σ_{+1} xu + Σ_{−1} (255 − xu), with xu = x + 128 (x ^ 0x80).
 */
extern const uint32_t bb_b1_masks[256][2];

#endif
