# Kernel build options (included by firmware/Makefile).
#  - BB_ENGINE_CFLAGS: pass e.g. "-DBB_ENGINE_KERNELS=0x19u -DBB_ENGINE_WBITS=0x01u" to build only the
#    kernels and weight widths one model needs (bench/kernels.ts measures that build's size).
#  - The Cortex-M4 SIMD kernels are selected automatically on cores with the DSP extension
#    (bb_kernels.h); -DBB_KERNELS_DSP=0 forces the portable ones.
KERNEL_CFLAGS += $(BB_ENGINE_CFLAGS)
