/*
 * HAL for ST NUCLEO-F401RE (STM32F401RE, Cortex-M4F). Register-level, no ST HAL.
 *   clock    HSI 16 MHz -> PLL -> 84 MHz core, APB1 42 MHz
 *   UART     USART2 on PA2/PA3 (AF7) = the ST-LINK virtual COM port, BB_UART_BAUD 8N1
 *   counter  DWT CYCCNT (core cycles)
 *   slots    flash sectors 5 and 6 (128 KiB each): erasing one takes ~1-2 s, during which the CPU
 *            stalls on flash reads; the host's timeout and same-seq retry cover it.
 * Written from the reference manual (RM0368); not yet run on hardware.
 */
#include "bb_hal.h"
#include "bb_protocol.h"
#include "cortexm.h"

#define CLOCK_HZ 84000000u
#define PCLK1_HZ 42000000u

#define SLOT0_ADDR 0x08020000u
#define SLOT_BYTES 0x00020000u
#define SLOT0_SECTOR 5u
#define REPLAY_ADDR 0x08060000u
#define REPLAY_BYTES 0x00020000u

#define RCC 0x40023800u
#define RCC_CR REG32(RCC + 0x00u)
#define RCC_PLLCFGR REG32(RCC + 0x04u)
#define RCC_CFGR REG32(RCC + 0x08u)
#define RCC_AHB1ENR REG32(RCC + 0x30u)
#define RCC_APB1ENR REG32(RCC + 0x40u)
#define PWR_CR REG32(0x40007000u)

#define FLASH_ACR REG32(0x40023C00u)
#define FLASH_KEYR REG32(0x40023C04u)
#define FLASH_SR REG32(0x40023C0Cu)
#define FLASH_CR REG32(0x40023C10u)
#define FLASH_SR_BSY (1u << 16)
#define FLASH_SR_ERRORS 0xF2u /* PGSERR PGPERR PGAERR WRPERR OPERR */
#define FLASH_CR_PG (1u << 0)
#define FLASH_CR_SER (1u << 1)
#define FLASH_CR_STRT (1u << 16)
#define FLASH_CR_LOCK (1u << 31)
#define FLASH_ACR_DCEN (1u << 10)
#define FLASH_ACR_DCRST (1u << 12)

#define GPIOA 0x40020000u
#define GPIOA_MODER REG32(GPIOA + 0x00u)
#define GPIOA_AFRL REG32(GPIOA + 0x20u)

#define USART2 0x40004400u
#define USART_SR REG32(USART2 + 0x00u)
#define USART_DR REG32(USART2 + 0x04u)
#define USART_BRR REG32(USART2 + 0x08u)
#define USART_CR1 REG32(USART2 + 0x0Cu)
#define SR_ORE (1u << 3)
#define SR_RXNE (1u << 5)
#define SR_TC (1u << 6)
#define SR_TXE (1u << 7)
#define USART2_IRQ 38u

static uint8_t rx_storage[2048];
static bb_ring_t rx = {0, 0, sizeof rx_storage - 1u, rx_storage, 0};
static bb_board_info_t info;

static void usart2_isr(void)
{
    /* Reading SR then DR clears RXNE and ORE together; loop until both are gone. */
    uint32_t sr;
    while ((sr = USART_SR) & (SR_RXNE | SR_ORE)) {
        uint8_t b = (uint8_t)USART_DR;
        if (sr & SR_RXNE) ring_put_isr(&rx, b);
    }
}

__attribute__((section(".vectors"), used)) static const bb_vector_t vectors[16 + 86] = {
    [0] = (bb_vector_t)0x20018000u, /* initial SP: top of the 96 KiB RAM */
    [1] = Reset_Handler,
    [2] = bb_fault_handler,
    [3] = bb_fault_handler,
    [4] = bb_fault_handler,
    [5] = bb_fault_handler,
    [6] = bb_fault_handler,
    [11] = bb_fault_handler,
    [14] = bb_fault_handler,
    [15] = SysTick_Handler,
    [16 + USART2_IRQ] = usart2_isr,
};

/* Runs before .data/.bss exist: registers only. */
void bb_board_early_init(void)
{
    RCC_APB1ENR |= 1u << 28; /* PWREN */
    PWR_CR = (PWR_CR & ~(3u << 14)) | (2u << 14); /* regulator scale 2: up to 84 MHz */
    FLASH_ACR = 2u | (1u << 8) | (1u << 9) | FLASH_ACR_DCEN; /* 2 wait states, prefetch, caches */
    /* PLL from HSI: 16 MHz / M16 * N336 / P4 = 84 MHz, Q7 = 48 MHz */
    RCC_PLLCFGR = 16u | (336u << 6) | (1u << 16) | (7u << 24);
    RCC_CR |= 1u << 24; /* PLLON */
    while (!(RCC_CR & (1u << 25))) {
    }
    RCC_CFGR = (4u << 10) | 2u; /* APB1 = HCLK / 2, SYSCLK = PLL */
    while (((RCC_CFGR >> 2) & 3u) != 2u) {
    }
}

void bb_hal_init(void)
{
    info.board = "nucleo-f401re";
    info.cpu = "cortex-m4";
    info.clock_hz = CLOCK_HZ;
    bb_meminfo(&info.ram_bytes, &info.ram_free, &info.flash_bytes, &info.flash_free);
    info.max_payload = BB_MAX_PAYLOAD;
    info.counter_kind = BB_COUNTER_CYCLES;
    info.icount_shift = 0;
    info.max_stream_hz = 4000;

    RCC_AHB1ENR |= 1u << 0;  /* GPIOA */
    RCC_APB1ENR |= 1u << 17; /* USART2 */
    GPIOA_MODER = (GPIOA_MODER & ~(0xFu << 4)) | (0xAu << 4);    /* PA2, PA3: alternate function */
    GPIOA_AFRL = (GPIOA_AFRL & ~(0xFFu << 8)) | (0x77u << 8);    /* AF7 = USART2 */
    USART_BRR = (PCLK1_HZ + BB_UART_BAUD / 2u) / BB_UART_BAUD;   /* oversampling by 16 */
    USART_CR1 = (1u << 13) | (1u << 5) | (1u << 3) | (1u << 2);  /* UE, RXNEIE, TE, RE */
    nvic_enable(USART2_IRQ);

    DEMCR |= DEMCR_TRCENA;
    DWT_CYCCNT = 0;
    DWT_CTRL |= 1u;

    bb_systick_init(CLOCK_HZ);
    cpu_irq_enable();
}

const bb_board_info_t *bb_hal_board_info(void) { return &info; }
size_t bb_hal_uart_read(uint8_t *dst, size_t max) { return bb_ring_read(&rx, dst, max); }
int bb_hal_uart_rx_pending(void) { return rx.head != rx.tail; }

void bb_hal_uart_write(const uint8_t *src, size_t n)
{
    while (n--) {
        while (!(USART_SR & SR_TXE)) {
        }
        USART_DR = *src++;
    }
}

void bb_hal_uart_flush(void)
{
    while (!(USART_SR & SR_TC)) {
    }
}

uint32_t bb_hal_counter(void) { return DWT_CYCCNT; }
uint32_t bb_hal_counter_scale(uint32_t raw) { return raw; }

const uint8_t *bb_hal_slot_base(unsigned slot) { return (const uint8_t *)(uintptr_t)(SLOT0_ADDR + slot * SLOT_BYTES); }
uint32_t bb_hal_slot_region_bytes(void) { return SLOT_BYTES; }
uint32_t bb_hal_slot_page_bytes(void) { return SLOT_BYTES; } /* one sector per slot */
uint32_t bb_hal_slot_write_unit(void) { return 1u; }          /* no ECC: byte programming */

static int flash_wait(void)
{
    while (FLASH_SR & FLASH_SR_BSY) {
    }
    return (FLASH_SR & FLASH_SR_ERRORS) ? -1 : 0;
}

static void flash_unlock(void)
{
    if (FLASH_CR & FLASH_CR_LOCK) {
        FLASH_KEYR = 0x45670123u;
        FLASH_KEYR = 0xCDEF89ABu;
    }
    FLASH_SR = FLASH_SR_ERRORS | 1u; /* clear stale error and EOP flags */
}

static void flash_lock(void)
{
    FLASH_CR = FLASH_CR_LOCK;
    /* The ART data cache may hold lines read before the update. */
    FLASH_ACR &= ~FLASH_ACR_DCEN;
    FLASH_ACR |= FLASH_ACR_DCRST;
    FLASH_ACR &= ~FLASH_ACR_DCRST;
    FLASH_ACR |= FLASH_ACR_DCEN;
}

int bb_hal_slot_erase(unsigned slot, uint32_t offset, uint32_t len)
{
    if (slot >= BB_SLOT_COUNT || offset != 0 || len != SLOT_BYTES) return -1;
    flash_unlock();
    int rc = flash_wait();
    FLASH_CR = FLASH_CR_SER | ((SLOT0_SECTOR + slot) << 3) | (2u << 8); /* PSIZE x32 */
    FLASH_CR |= FLASH_CR_STRT;
    rc |= flash_wait();
    flash_lock();
    return rc;
}

int bb_hal_slot_write(unsigned slot, uint32_t offset, const uint8_t *src, uint32_t len)
{
    if (slot >= BB_SLOT_COUNT || offset > SLOT_BYTES || len > SLOT_BYTES - offset) return -1;
    volatile uint8_t *dst = (volatile uint8_t *)(uintptr_t)(SLOT0_ADDR + slot * SLOT_BYTES + offset);
    int rc = 0;
    flash_unlock();
    FLASH_CR = FLASH_CR_PG; /* PSIZE x8: valid at any supply voltage */
    for (uint32_t i = 0; i < len && rc == 0; i++) {
        dst[i] = src[i];
        rc = flash_wait();
    }
    flash_lock();
    return rc;
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
