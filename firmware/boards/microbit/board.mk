# QEMU -M microbit: nRF51822, Cortex-M0 at 16 MHz, 256 KiB flash (NVMC), 16 KiB RAM.
BOARD_CFLAGS := -mcpu=cortex-m0 -mthumb -mfloat-abi=soft
BOARD_MAX_PAYLOAD := 1024
BOARD_ARENA_BYTES := 8192
