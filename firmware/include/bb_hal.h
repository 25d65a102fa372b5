/*
 * Board HAL: the whole surface a board port implements (boards/<board>/hal.c).
 * The portable core (firmware/core) calls only these functions, which is what lets the same core
 * run on QEMU boards, real boards and the host test build (host/hal_host.c).
 * Keep it thin: registers in, bytes and ticks out; no protocol knowledge below this line.
 */
#ifndef BB_HAL_H
#define BB_HAL_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *board;          /* "qemu-mps2-an386", "qemu-microbit", "nucleo-f401re", ... */
    const char *cpu;            /* "cortex-m4", "cortex-m0", "cortex-m0plus" */
    uint32_t clock_hz;          /* core clock (nominal on virtual boards) */
    uint32_t ram_bytes;         /* total SRAM */
    uint32_t ram_free;          /* SRAM not taken by .data/.bss (arena included) and the stack */
    uint32_t flash_bytes;       /* total code memory */
    uint32_t flash_free;        /* code memory not taken by the firmware image */
    uint16_t max_payload;       /* protocol max_payload this board accepts and sends */
    uint8_t counter_kind;       /* BB_COUNTER_* of bb_hal_counter() after bb_hal_counter_scale() */
    uint8_t icount_shift;       /* QEMU -icount shift the counter conversion assumes; 0 on real boards */
    uint32_t max_stream_hz;     /* highest STREAM_START rate accepted */
} bb_board_info_t;

/* Bring up clocks, UART (RX interrupt on), time base, then enable interrupts. */
void bb_hal_init(void);
const bb_board_info_t *bb_hal_board_info(void);

/* --- UART ---------------------------------------------------------------------------------- */
/* Non-blocking: move up to `max` received bytes out of the RX ring. */
size_t bb_hal_uart_read(uint8_t *dst, size_t max);
/* True if the RX ring holds data (called with interrupts masked, right before sleeping). */
int bb_hal_uart_rx_pending(void);
/* Blocking write; returns when every byte is in the transmitter. */
void bb_hal_uart_write(const uint8_t *src, size_t n);
/* Wait until the last byte has left the wire (before a reset). */
void bb_hal_uart_flush(void);

/* --- Time ------------------------------------------------------------------------------------ */
/* Monotonic board time in ticks of info.clock_hz (64-bit: never wraps in practice). */
uint64_t bb_hal_ticks(void);
/*
 * Ask for a wake-up at least every `ticks` clock ticks (0 = the idle default, a few per second).
 * Takes effect at the next tick-timer period boundary.
 */
void bb_hal_set_wake_period(uint32_t ticks);
/* Profiling counter, raw and wrapping at 32 bits (DWT cycles, SysTick ticks, a TIMER...). */
uint32_t bb_hal_counter(void);
/* Convert a raw counter difference to the unit named by info.counter_kind. */
uint32_t bb_hal_counter_scale(uint32_t raw_delta);

/* --- Sleep ----------------------------------------------------------------------------------- */
/*
 * Race-free idle: the core masks interrupts, checks for work, and only then sleeps. WFI wakes on
 * a pending interrupt even while PRIMASK masks it, so an interrupt that arrives between the
 * check and the WFI is not lost; unmasking then runs its handler.
 */
void bb_hal_irq_mask(void);
void bb_hal_irq_unmask(void);
void bb_hal_wait_for_interrupt(void);

/* --- Model slots ----------------------------------------------------------------------------- */
#define BB_SLOT_COUNT 2u
/* Memory-mapped base of slot `slot` (readable in place: kernels run weights from here). */
const uint8_t *bb_hal_slot_base(unsigned slot);
/* Bytes per slot region (the slot header included). */
uint32_t bb_hal_slot_region_bytes(void);
/* Erase granularity (flash page size; 1 for RAM slots, where erase is a fill with 0xFF). */
uint32_t bb_hal_slot_page_bytes(void);
/* Erase the pages covering [offset, offset+len) of a slot to 0xFF. Returns 0 on success. */
int bb_hal_slot_erase(unsigned slot, uint32_t offset, uint32_t len);
/*
 * Flash programming unit in bytes (a power of two <= 16: 1 for RAM, 4 for nRF51 words, 8 for
 * STM32G0 ECC double words). The core only ever calls bb_hal_slot_write with unit-aligned
 * offsets and lengths, and programs each unit once per erase.
 */
uint32_t bb_hal_slot_write_unit(void);
/* Program bytes into an erased area (flash semantics: bits only go 1 -> 0). Returns 0 on success. */
int bb_hal_slot_write(unsigned slot, uint32_t offset, const uint8_t *src, uint32_t len);

/* --- Sensor source --------------------------------------------------------------------------- */
/* The replay region (virtual boards: preloaded by QEMU's loader); NULL/0 when the board has none. */
void bb_hal_replay_region(const uint8_t **base, uint32_t *len);

/* --- Stack --------------------------------------------------------------------------------- */
/* Stack size and the most of it used since reset (painted-stack watermark), in bytes. */
void bb_hal_stack_usage(uint32_t *stack_bytes, uint32_t *hwm_bytes);

/* --- System ---------------------------------------------------------------------------------- */
/* Flush the UART and reset the chip (SYSRESETREQ). Does not return on boards. */
void bb_hal_reset(void);

#endif /* BB_HAL_H */
