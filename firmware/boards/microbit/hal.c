/*
 * HAL for QEMU's microbit (nRF51822: Cortex-M0 at 16 MHz, 256 KiB flash, 16 KiB RAM).
 * Peripherals: UART0 (0x40002000, IRQ 2), NVMC for the model slots, SysTick for time.
 * Model slots live in flash, so a committed model survives RESET and — if the launcher keeps
 * QEMU running — everything short of a QEMU restart (QEMU does not persist flash to disk).
 */
#include <string.h>

#include "bb_hal.h"
#include "bb_protocol.h"
#include "cortexm.h"

#define CLOCK_HZ 16000000u

#define REPLAY_ADDR 0x0000C000u
#define REPLAY_BYTES 0x0000C000u
#define SLOT0_ADDR 0x00018000u
#define SLOT_BYTES 0x00014000u
#define PAGE_BYTES 1024u

/* Launcher config word at __bb_config[0]: 0xBBCF00nn = "QEMU runs -icount shift=nn".
 * Absent (RAM powers up as zeros in QEMU) => the default shift below. */
#define CONFIG_MAGIC 0xBBCF0000u
extern volatile uint32_t __bb_config[];
#define DEFAULT_ICOUNT_SHIFT 6u

/* nRF51 UART */
#define UART0 0x40002000u
#define UART_STARTRX REG32(UART0 + 0x000u)
#define UART_STARTTX REG32(UART0 + 0x008u)
#define UART_RXDRDY REG32(UART0 + 0x108u)
#define UART_TXDRDY REG32(UART0 + 0x11Cu)
#define UART_ERROR REG32(UART0 + 0x124u)
#define UART_INTENSET REG32(UART0 + 0x304u)
#define UART_INTENCLR REG32(UART0 + 0x308u)
#define UART_ERRORSRC REG32(UART0 + 0x480u)
#define UART_ENABLE REG32(UART0 + 0x500u)
#define UART_PSELTXD REG32(UART0 + 0x50Cu)
#define UART_PSELRXD REG32(UART0 + 0x514u)
#define UART_RXD REG32(UART0 + 0x518u)
#define UART_TXD REG32(UART0 + 0x51Cu)
#define UART_BAUDRATE REG32(UART0 + 0x524u)
#define INT_RXDRDY (1u << 2)
#define BAUD_115200 0x01D7E000u
#define UART0_IRQ 2u
/* micro:bit edge connector wiring of the interface chip's serial */
#define PIN_TX 24u
#define PIN_RX 25u

/* NVMC */
#define NVMC 0x4001E000u
#define NVMC_READY REG32(NVMC + 0x400u)
#define NVMC_CONFIG REG32(NVMC + 0x504u)
#define NVMC_ERASEPAGE REG32(NVMC + 0x508u)
#define NVMC_REN 0u
#define NVMC_WEN 1u
#define NVMC_EEN 2u

static uint8_t rx_storage[256];
static bb_ring_t rx = {0, 0, sizeof rx_storage - 1u, rx_storage, 0};
static bb_board_info_t info;

/* Set by the ISR when the ring is full and it stopped taking bytes (RXDRDY interrupt off). */
static volatile int rx_held;

static void uart0_isr(void)
{
    /* Read RXD only while RXDRDY says a byte is there: the NVIC can re-enter this handler after
     * the loop below already drained the FIFO, and an extra read would return a stale byte.
     * Clearing the event before the read matters too: reading RXD re-raises RXDRDY while the
     * FIFO holds more, and a byte arriving after the last check raises the (level) IRQ again.
     *
     * The 256-byte ring is smaller than one 1 KB frame, and a pty (QEMU) delivers bytes as fast
     * as the receiver takes them. So when the ring is full the handler leaves the byte in the
     * UART's FIFO and masks the interrupt: the FIFO fills, the UART stops accepting, and the
     * sender waits (QEMU stops reading the pty) instead of the board dropping the frame.
     * bb_hal_uart_read unmasks it once the main loop has made room. */
    while (UART_RXDRDY) {
        if (ring_full(&rx)) {
            UART_INTENCLR = INT_RXDRDY;
            rx_held = 1;
            break;
        }
        UART_RXDRDY = 0;
        (void)UART_RXDRDY; /* the clear must land before RXD is read */
        ring_put_isr(&rx, (uint8_t)UART_RXD);
    }
    if (UART_ERROR) {
        UART_ERROR = 0;
        UART_ERRORSRC = UART_ERRORSRC; /* write-1-to-clear */
    }
}

__attribute__((section(".vectors"), used)) static const bb_vector_t vectors[16 + 32] = {
    [0] = (bb_vector_t)0x20004000u, /* initial SP: top of the 16 KiB RAM */
    [1] = Reset_Handler,
    [2] = bb_fault_handler, /* NMI */
    [3] = bb_fault_handler, /* HardFault */
    [11] = bb_fault_handler, /* SVCall */
    [14] = bb_fault_handler, /* PendSV */
    [15] = SysTick_Handler,
    [16 + UART0_IRQ] = uart0_isr,
};

void bb_board_early_init(void) {}

void bb_hal_init(void)
{
    uint32_t cfg = __bb_config[0];
    info.board = "qemu-microbit";
    info.cpu = "cortex-m0";
    info.clock_hz = CLOCK_HZ;
    bb_meminfo(&info.ram_bytes, &info.ram_free, &info.flash_bytes, &info.flash_free);
    info.max_payload = BB_MAX_PAYLOAD;
    info.counter_kind = BB_COUNTER_INSTRUCTIONS;
    info.icount_shift = (uint8_t)(((cfg & 0xFFFFFF00u) == CONFIG_MAGIC && (cfg & 0xFFu) <= 10u) ? (cfg & 0xFFu)
                                                                                                  : DEFAULT_ICOUNT_SHIFT);
    info.max_stream_hz = 2000;

    UART_PSELTXD = PIN_TX;
    UART_PSELRXD = PIN_RX;
    UART_BAUDRATE = BAUD_115200;
    UART_ENABLE = 4;
    UART_INTENSET = INT_RXDRDY;
    UART_STARTTX = 1;
    UART_STARTRX = 1;
    nvic_enable(UART0_IRQ);
    bb_systick_init(CLOCK_HZ);
    cpu_irq_enable();
}

const bb_board_info_t *bb_hal_board_info(void) { return &info; }

size_t bb_hal_uart_read(uint8_t *dst, size_t max)
{
    size_t n = bb_ring_read(&rx, dst, max);
    if (rx_held && n) {
        rx_held = 0;
        UART_INTENSET = INT_RXDRDY; /* RXDRDY is still set: the handler runs at once */
    }
    return n;
}

/* A held-back byte waits in the UART FIFO only while the ring is full, so the ring alone tells. */
int bb_hal_uart_rx_pending(void) { return rx.head != rx.tail; }

/*
 * TXDRDY does not come while the host holds the pty open but does not read it. Rather than spin
 * (burning a host core) until it does, give up after 20 ms of board time and drop output until
 * the transmitter drains: the host discards the broken frame at the next delimiter and retries.
 */
static int tx_stalled;
static int tx_busy;

void bb_hal_uart_write(const uint8_t *src, size_t n)
{
    while (n--) {
        uint8_t b = *src++;
        if (tx_busy && !UART_TXDRDY) {
            if (tx_stalled) continue; /* still stuck: drop */
            uint64_t t0 = bb_systick_ticks();
            while (!UART_TXDRDY && !tx_stalled)
                if (bb_systick_ticks() - t0 > CLOCK_HZ / 50u) tx_stalled = 1;
            if (tx_stalled) continue;
        }
        tx_stalled = 0;
        UART_TXDRDY = 0;
        UART_TXD = b;
        tx_busy = 1;
    }
}

void bb_hal_uart_flush(void)
{
    uint64_t t0 = bb_systick_ticks();
    while (tx_busy && !UART_TXDRDY && bb_systick_ticks() - t0 < CLOCK_HZ / 50u) {
    }
}


uint32_t bb_hal_counter(void) { return (uint32_t)bb_systick_ticks(); }

/* ticks -> instructions: one tick is 1e9/16e6 = 62.5 ns, one instruction 2^shift ns. */
uint32_t bb_hal_counter_scale(uint32_t raw) { return (uint32_t)(((uint64_t)raw * 125u / 2u) >> info.icount_shift); }


const uint8_t *bb_hal_slot_base(unsigned slot) { return (const uint8_t *)(uintptr_t)(SLOT0_ADDR + slot * SLOT_BYTES); }
uint32_t bb_hal_slot_region_bytes(void) { return SLOT_BYTES; }
uint32_t bb_hal_slot_page_bytes(void) { return PAGE_BYTES; }
uint32_t bb_hal_slot_write_unit(void) { return 4u; }

static void nvmc_wait(void)
{
    while (!(NVMC_READY & 1u)) {
    }
}

int bb_hal_slot_erase(unsigned slot, uint32_t offset, uint32_t len)
{
    if (slot >= BB_SLOT_COUNT || offset % PAGE_BYTES || len % PAGE_BYTES || offset > SLOT_BYTES ||
        len > SLOT_BYTES - offset)
        return -1;
    uint32_t base = SLOT0_ADDR + slot * SLOT_BYTES + offset;
    NVMC_CONFIG = NVMC_EEN;
    nvmc_wait();
    for (uint32_t a = base; a < base + len; a += PAGE_BYTES) {
        NVMC_ERASEPAGE = a;
        nvmc_wait();
    }
    NVMC_CONFIG = NVMC_REN;
    nvmc_wait();
    return 0;
}

int bb_hal_slot_write(unsigned slot, uint32_t offset, const uint8_t *src, uint32_t len)
{
    if (slot >= BB_SLOT_COUNT || offset > SLOT_BYTES || len > SLOT_BYTES - offset) return -1;
    uint32_t addr = SLOT0_ADDR + slot * SLOT_BYTES + offset;
    NVMC_CONFIG = NVMC_WEN;
    nvmc_wait();
    while (len) {
        /* The NVMC programs whole words. Bytes outside [src, src+len) are written as 0xFF, which
         * leaves flash unchanged (programming only clears bits), so unaligned edges are safe. */
        uint32_t word_addr = addr & ~3u, lane = addr & 3u, word = 0xFFFFFFFFu;
        while (lane < 4u && len) {
            word &= ~(0xFFu << (8u * lane));
            word |= (uint32_t)*src++ << (8u * lane);
            lane++;
            addr++;
            len--;
        }
        REG32(word_addr) = word;
        nvmc_wait();
    }
    NVMC_CONFIG = NVMC_REN;
    nvmc_wait();
    return 0;
}

void bb_hal_replay_region(const uint8_t **base, uint32_t *len)
{
    *base = (const uint8_t *)(uintptr_t)REPLAY_ADDR;
    *len = REPLAY_BYTES;
}

void bb_hal_reset(void)
{
    cpu_dsb();
    SCB_AIRCR = SCB_AIRCR_RESET;
    cpu_dsb();
    for (;;) {
    }
}
