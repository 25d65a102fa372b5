# ST NUCLEO-G071RB: STM32G071RB, Cortex-M0+ at 64 MHz (HSI16 + PLL), 128 KiB flash, 36 KiB RAM.
# Untested on hardware in this repository (builds only); see firmware/README.md.
BOARD_CFLAGS := -mcpu=cortex-m0plus -mthumb -mfloat-abi=soft -DBB_UART_BAUD=$(or $(BB_UART_BAUD),460800)
BOARD_MAX_PAYLOAD := 1024
BOARD_ARENA_BYTES := 16384
