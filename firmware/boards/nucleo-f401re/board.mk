# ST NUCLEO-F401RE: STM32F401RE, Cortex-M4F at 84 MHz (HSI + PLL), 512 KiB flash, 96 KiB RAM.
# Untested on hardware in this repository (builds only); see firmware/README.md.
BOARD_CFLAGS := -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -DBB_UART_BAUD=$(or $(BB_UART_BAUD),460800)
BOARD_MAX_PAYLOAD := 2048
BOARD_ARENA_BYTES := 65536
