/*
 * Included first by every kernel file. The firmware is built -Os for size; the inner loops are
 * what inference time is made of, so the kernels ask for -O2 (loop unrolling, scheduling) on
 * their own functions. Code size of the kernels is reported separately (bench/kernels.ts).
 */
#ifndef BB_KERNEL_OPT_H
#define BB_KERNEL_OPT_H
#if defined(__GNUC__) && !defined(__clang__) && !defined(BB_KERNELS_SIZE_OPT)
#pragma GCC optimize("O2")
#endif
#endif
