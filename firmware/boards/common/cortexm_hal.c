/*
 * The parts of the HAL contract (include/bb_hal.h) that are the same on every Cortex-M board:
 * board time and the wake-up period from SysTick (systick.c), interrupt masking, and sleeping in
 * WFI. Each board's hal.c keeps only what differs: UART, counter, clock, memory and sensors.
 */
#include "bb_hal.h"
#include "cortexm.h"

uint64_t bb_hal_ticks(void) { return bb_systick_ticks(); }
void bb_hal_set_wake_period(uint32_t ticks) { bb_systick_set_period(ticks); }
void bb_hal_irq_mask(void) { cpu_irq_disable(); }
void bb_hal_irq_unmask(void) { cpu_irq_enable(); }
void bb_hal_wait_for_interrupt(void) { cpu_wfi(); }
