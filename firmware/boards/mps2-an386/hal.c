/*
 * HAL for QEMU's mps2-an386 (ARM MPS2 FPGA board, AN386 image: Cortex-M4F at 25 MHz).
 * Peripherals: CMSDK APB UART0 (0x40004000, RX IRQ 0), SysTick. Model slots and the replay live
 * in code memory, which QEMU backs with RAM: slot writes are plain stores, erase is a fill.
 * Slots survive a RESET (QEMU does not clear RAM on a system reset) but not a QEMU restart.
 */
#include <string.h>

#include "bb_hal.h"
#include "bb_protocol.h"
#include "cortexm.h"

#define CLOCK_HZ 25000000u

#define REPLAY_ADDR 0x00100000u
#define REPLAY_BYTES 0x00100000u
#define SLOT0_ADDR 0x00200000u
#define SLOT_BYTES 0x00100000u
#define SLOT_PAGE 1024u

/* Launcher config word at __bb_config[0]: 0xBBCF00nn = "QEMU runs -icount shift=nn".
 * Absent (RAM powers up as zeros in QEMU) => the default shift below. */
#define CONFIG_MAGIC 0xBBCF0000u
extern volatile uint32_t __bb_config[];
#define DEFAULT_ICOUNT_SHIFT 5u

/* CMSDK APB UART */
#define UART0 0x40004000u
#define UART_DATA REG32(UART0 + 0x00u)
#define UART_STATE REG32(UART0 + 0x04u)
#define UART_CTRL REG32(UART0 + 0x08u)
#define UART_INT REG32(UART0 + 0x0Cu) /* read: status, write: clear */
#define UART_BAUDDIV REG32(UART0 + 0x10u)
#define STATE_TXFULL (1u << 0)
#define STATE_RXFULL (1u << 1)
#define CTRL_TXEN (1u << 0)
#define CTRL_RXEN (1u << 1)
#define CTRL_RXINTEN (1u << 3)
#define INT_RX (1u << 1)
#define UART0_RX_IRQ 0u

static uint8_t rx_storage[2048];
static bb_ring_t rx = {0, 0, sizeof rx_storage - 1u, rx_storage, 0};
static bb_board_info_t info;
static uint32_t ns_per_tick_q8; /* (1e9 / clock) in 1/256 ns, for the icount conversion */

static void uart0_rx_isr(void)
{
    /* Clear first, then drain: a byte landing after the drain re-raises the interrupt. */
    UART_INT = INT_RX;
    while (UART_STATE & STATE_RXFULL) ring_put_isr(&rx, (uint8_t)UART_DATA);
}

__attribute__((section(".vectors"), used)) static const bb_vector_t vectors[16 + 16] = {
    [0] = (bb_vector_t)0x20400000u, /* initial SP: top of SRAM */
    [1] = Reset_Handler,
    [2] = bb_fault_handler, /* NMI */
    [3] = bb_fault_handler, /* HardFault */
    [4] = bb_fault_handler, /* MemManage */
    [5] = bb_fault_handler, /* BusFault */
    [6] = bb_fault_handler, /* UsageFault */
    [11] = bb_fault_handler, /* SVCall */
    [14] = bb_fault_handler, /* PendSV */
    [15] = SysTick_Handler,
    [16 + UART0_RX_IRQ] = uart0_rx_isr,
};

void bb_board_early_init(void) {}

void bb_hal_init(void)
{
    uint32_t cfg = __bb_config[0];
    info.board = "qemu-mps2-an386";
    info.cpu = "cortex-m4";
    info.clock_hz = CLOCK_HZ;
    bb_meminfo(&info.ram_bytes, &info.ram_free, &info.flash_bytes, &info.flash_free);
    info.max_payload = BB_MAX_PAYLOAD;
    info.counter_kind = BB_COUNTER_INSTRUCTIONS;
    info.icount_shift = (uint8_t)(((cfg & 0xFFFFFF00u) == CONFIG_MAGIC && (cfg & 0xFFu) <= 10u) ? (cfg & 0xFFu)
                                                                                                  : DEFAULT_ICOUNT_SHIFT);
    info.max_stream_hz = 4000;
    ns_per_tick_q8 = (uint32_t)((1000000000ull << 8) / CLOCK_HZ);

    /* BAUDDIV >= 16 or QEMU's model refuses to transmit; 217 is 115200 baud at 25 MHz. */
    UART_BAUDDIV = CLOCK_HZ / 115200u;
    UART_CTRL = CTRL_TXEN | CTRL_RXEN | CTRL_RXINTEN;
    nvic_enable(UART0_RX_IRQ);
    bb_systick_init(CLOCK_HZ);
    cpu_irq_enable();
}

const bb_board_info_t *bb_hal_board_info(void) { return &info; }

size_t bb_hal_uart_read(uint8_t *dst, size_t max) { return bb_ring_read(&rx, dst, max); }

int bb_hal_uart_rx_pending(void) { return rx.head != rx.tail; }

/*
 * TXFULL stays set while the host holds the pty open but does not read it. Rather than spin
 * (burning a host core) until it does, give up on a byte after 20 ms of board time and drop
 * output until the transmitter drains: the host sees a broken frame, discards it at the next
 * delimiter and retries its request.
 */
static int tx_stalled;

void bb_hal_uart_write(const uint8_t *src, size_t n)
{
    while (n--) {
        uint8_t b = *src++;
        if (UART_STATE & STATE_TXFULL) {
            if (tx_stalled) continue; /* still stuck: drop */
            uint64_t t0 = bb_systick_ticks();
            while ((UART_STATE & STATE_TXFULL) && !tx_stalled)
                if (bb_systick_ticks() - t0 > CLOCK_HZ / 50u) tx_stalled = 1;
            if (tx_stalled) continue;
        }
        tx_stalled = 0;
        UART_DATA = b;
    }
}

void bb_hal_uart_flush(void)
{
    while (UART_STATE & STATE_TXFULL) {
    }
}


/* The profiling counter is board time itself: under -icount, SysTick ticks are instructions
 * times 2^shift ns / (1e9 / clock) — deterministic, unlike anything wall-clock. */
uint32_t bb_hal_counter(void) { return (uint32_t)bb_systick_ticks(); }

uint32_t bb_hal_counter_scale(uint32_t raw)
{
    return (uint32_t)((((uint64_t)raw * ns_per_tick_q8) >> 8) >> info.icount_shift);
}


const uint8_t *bb_hal_slot_base(unsigned slot) { return (const uint8_t *)(uintptr_t)(SLOT0_ADDR + slot * SLOT_BYTES); }
uint32_t bb_hal_slot_region_bytes(void) { return SLOT_BYTES; }
uint32_t bb_hal_slot_page_bytes(void) { return SLOT_PAGE; }
uint32_t bb_hal_slot_write_unit(void) { return 1u; }

int bb_hal_slot_erase(unsigned slot, uint32_t offset, uint32_t len)
{
    if (slot >= BB_SLOT_COUNT || offset > SLOT_BYTES || len > SLOT_BYTES - offset) return -1;
    memset((uint8_t *)(uintptr_t)(SLOT0_ADDR + slot * SLOT_BYTES + offset), 0xFF, len);
    return 0;
}

int bb_hal_slot_write(unsigned slot, uint32_t offset, const uint8_t *src, uint32_t len)
{
    if (slot >= BB_SLOT_COUNT || offset > SLOT_BYTES || len > SLOT_BYTES - offset) return -1;
    memcpy((uint8_t *)(uintptr_t)(SLOT0_ADDR + slot * SLOT_BYTES + offset), src, len);
    return 0;
}

void bb_hal_replay_region(const uint8_t **base, uint32_t *len)
{
    *base = (const uint8_t *)(uintptr_t)REPLAY_ADDR;
    *len = REPLAY_BYTES;
}

void bb_hal_reset(void)
{
    bb_hal_uart_flush();
    cpu_dsb();
    SCB_AIRCR = SCB_AIRCR_RESET;
    cpu_dsb();
    for (;;) {
    }
}
