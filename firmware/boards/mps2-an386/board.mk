# QEMU -M mps2-an386: Cortex-M4F, 25 MHz, 4 MiB code RAM at 0x0, 4 MiB SRAM at 0x20000000.
BOARD_CFLAGS := -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16
BOARD_MAX_PAYLOAD := 2048
BOARD_ARENA_BYTES := 524288
