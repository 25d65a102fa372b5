/*
 * HAL for ST NUCLEO-G071RB (STM32G071RB, Cortex-M0+). Register-level, no ST HAL.
 *   clock    HSI16 -> PLL (N8, R/2) -> 64 MHz core and APB
 *   UART     USART2 on PA2/PA3 (AF1) = the ST-LINK virtual COM port, BB_UART_BAUD 8N1
 *   counter  TIM2, the 32-bit general-purpose timer, clocked at the core clock: the M0+ has no
 *            DWT cycle counter, and TIM2 at 64 MHz counts the same cycles (counter_kind 0)
 *   slots    flash pages (2 KiB), programmed a 64-bit double word at a time (ECC: once each)
 * Written from the reference manual (RM0444); not yet run on hardware.
 */
#include "bb_hal.h"
#include "bb_protocol.h"
#include "cortexm.h"

#define CLOCK_HZ 64000000u

#define REPLAY_ADDR 0x0800C000u
#define REPLAY_BYTES 0x00004000u
#define SLOT0_ADDR 0x08010000u
#define SLOT_BYTES 0x00008000u
#define PAGE_BYTES 2048u
#define FLASH_BASE_ADDR 0x08000000u

#define RCC 0x40021000u
#define RCC_CR REG32(RCC + 0x00u)
#define RCC_CFGR REG32(RCC + 0x08u)
#define RCC_PLLCFGR REG32(RCC + 0x0Cu)
#define RCC_IOPENR REG32(RCC + 0x34u)
#define RCC_APBENR1 REG32(RCC + 0x3Cu)

#define FLASH_ACR REG32(0x40022000u)
#define FLASH_KEYR REG32(0x40022008u)
#define FLASH_SR REG32(0x40022010u)
#define FLASH_CR REG32(0x40022014u)
#define FLASH_SR_BSY1 (1u << 16)
#define FLASH_SR_CFGBSY (1u << 18)
#define FLASH_SR_ERRORS 0xC3FAu /* OPTVERR RDERR FASTERR MISSERR PGSERR SIZERR PGAERR WRPERR PROGERR OPERR */
#define FLASH_CR_PG (1u << 0)
#define FLASH_CR_PER (1u << 1)
#define FLASH_CR_STRT (1u << 16)
#define FLASH_CR_LOCK (1u << 31)

#define GPIOA 0x50000000u
#define GPIOA_MODER REG32(GPIOA + 0x00u)
#define GPIOA_AFRL REG32(GPIOA + 0x20u)

#define USART2 0x40004400u
#define USART_CR1 REG32(USART2 + 0x00u)
#define USART_BRR REG32(USART2 + 0x0Cu)
#define USART_ISR REG32(USART2 + 0x1Cu)
#define USART_ICR REG32(USART2 + 0x20u)
#define USART_RDR REG32(USART2 + 0x24u)
#define USART_TDR REG32(USART2 + 0x28u)
#define ISR_ORE (1u << 3)
#define ISR_RXNE (1u << 5)
#define ISR_TC (1u << 6)
#define ISR_TXE (1u << 7)
#define USART2_IRQ 28u

#define TIM2 0x40000000u
#define TIM2_CR1 REG32(TIM2 + 0x00u)
#define TIM2_EGR REG32(TIM2 + 0x14u)
#define TIM2_CNT REG32(TIM2 + 0x24u)
#define TIM2_PSC REG32(TIM2 + 0x28u)
#define TIM2_ARR REG32(TIM2 + 0x2Cu)

static uint8_t rx_storage[1024];
static bb_ring_t rx = {0, 0, sizeof rx_storage - 1u, rx_storage, 0};
static bb_board_info_t info;

static void usart2_isr(void)
{
    if (USART_ISR & ISR_ORE) USART_ICR = ISR_ORE; /* overrun: the frame CRC will catch the loss */
    while (USART_ISR & ISR_RXNE) ring_put_isr(&rx, (uint8_t)USART_RDR);
}

__attribute__((section(".vectors"), used)) static const bb_vector_t vectors[16 + 32] = {
    [0] = (bb_vector_t)0x20009000u, /* initial SP: top of the 36 KiB RAM */
    [1] = Reset_Handler,
    [2] = bb_fault_handler,
    [3] = bb_fault_handler,
    [11] = bb_fault_handler,
    [14] = bb_fault_handler,
    [15] = SysTick_Handler,
    [16 + USART2_IRQ] = usart2_isr,
};

/* Runs before .data/.bss exist: registers only. */
void bb_board_early_init(void)
{
    /* 2 wait states for 64 MHz at range 1 (the reset default), prefetch + instruction cache. */
    FLASH_ACR = (FLASH_ACR & ~7u) | 2u | (1u << 8) | (1u << 9);
    while ((FLASH_ACR & 7u) != 2u) {
    }
    /* PLL: HSI16 / M1 * N8 = 128 MHz VCO, R / 2 = 64 MHz */
    RCC_PLLCFGR = 2u | (0u << 4) | (8u << 8) | (1u << 28) | (1u << 29);
    RCC_CR |= 1u << 24; /* PLLON */
    while (!(RCC_CR & (1u << 25))) {
    }
    RCC_CFGR = (RCC_CFGR & ~7u) | 2u; /* SYSCLK = PLLRCLK, AHB and APB undivided */
    while (((RCC_CFGR >> 3) & 7u) != 2u) {
    }
}

void bb_hal_init(void)
{
    info.board = "nucleo-g071rb";
    info.cpu = "cortex-m0plus";
    info.clock_hz = CLOCK_HZ;
    bb_meminfo(&info.ram_bytes, &info.ram_free, &info.flash_bytes, &info.flash_free);
    info.max_payload = BB_MAX_PAYLOAD;
    info.counter_kind = BB_COUNTER_CYCLES;
    info.icount_shift = 0;
    info.max_stream_hz = 2000;

    RCC_IOPENR |= 1u << 0;         /* GPIOA */
    RCC_APBENR1 |= (1u << 17) | 1u; /* USART2, TIM2 */
    GPIOA_MODER = (GPIOA_MODER & ~(0xFu << 4)) | (0xAu << 4); /* PA2, PA3: alternate function */
    GPIOA_AFRL = (GPIOA_AFRL & ~(0xFFu << 8)) | (0x11u << 8); /* AF1 = USART2 */
    USART_BRR = (CLOCK_HZ + BB_UART_BAUD / 2u) / BB_UART_BAUD;
    USART_CR1 = (1u << 5) | (1u << 3) | (1u << 2) | 1u; /* RXNEIE, TE, RE, UE */
    nvic_enable(USART2_IRQ);

    TIM2_PSC = 0;
    TIM2_ARR = 0xFFFFFFFFu;
    TIM2_EGR = 1u; /* load the prescaler */
    TIM2_CR1 = 1u; /* free-running up-counter */

    bb_systick_init(CLOCK_HZ);
    cpu_irq_enable();
}

const bb_board_info_t *bb_hal_board_info(void) { return &info; }
size_t bb_hal_uart_read(uint8_t *dst, size_t max) { return bb_ring_read(&rx, dst, max); }
int bb_hal_uart_rx_pending(void) { return rx.head != rx.tail; }

void bb_hal_uart_write(const uint8_t *src, size_t n)
{
    while (n--) {
        while (!(USART_ISR & ISR_TXE)) {
        }
        USART_TDR = *src++;
    }
}

void bb_hal_uart_flush(void)
{
    while (!(USART_ISR & ISR_TC)) {
    }
}

uint32_t bb_hal_counter(void) { return TIM2_CNT; }
uint32_t bb_hal_counter_scale(uint32_t raw) { return raw; }

const uint8_t *bb_hal_slot_base(unsigned slot) { return (const uint8_t *)(uintptr_t)(SLOT0_ADDR + slot * SLOT_BYTES); }
uint32_t bb_hal_slot_region_bytes(void) { return SLOT_BYTES; }
uint32_t bb_hal_slot_page_bytes(void) { return PAGE_BYTES; }
uint32_t bb_hal_slot_write_unit(void) { return 8u; }

static int flash_wait(void)
{
    while (FLASH_SR & (FLASH_SR_BSY1 | FLASH_SR_CFGBSY)) {
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

int bb_hal_slot_erase(unsigned slot, uint32_t offset, uint32_t len)
{
    if (slot >= BB_SLOT_COUNT || offset % PAGE_BYTES || len % PAGE_BYTES || offset > SLOT_BYTES ||
        len > SLOT_BYTES - offset)
        return -1;
    uint32_t first = (SLOT0_ADDR + slot * SLOT_BYTES + offset - FLASH_BASE_ADDR) / PAGE_BYTES;
    int rc = 0;
    flash_unlock();
    for (uint32_t p = first; p < first + len / PAGE_BYTES && rc == 0; p++) {
        rc = flash_wait();
        FLASH_CR = FLASH_CR_PER | (p << 3);
        FLASH_CR |= FLASH_CR_STRT;
        rc |= flash_wait();
    }
    FLASH_CR = FLASH_CR_LOCK;
    return rc;
}

int bb_hal_slot_write(unsigned slot, uint32_t offset, const uint8_t *src, uint32_t len)
{
    if (slot >= BB_SLOT_COUNT || offset % 8u || len % 8u || offset > SLOT_BYTES || len > SLOT_BYTES - offset)
        return -1;
    volatile uint32_t *dst = (volatile uint32_t *)(uintptr_t)(SLOT0_ADDR + slot * SLOT_BYTES + offset);
    int rc = flash_wait();
    flash_unlock();
    FLASH_CR = FLASH_CR_PG;
    for (uint32_t i = 0; i < len && rc == 0; i += 8u) {
        /* src may be unaligned (it points into a received frame): assemble the words bytewise.
         * Writing the second word starts the double-word program. */
        const uint8_t *s = src + i;
        dst[i / 4u] = (uint32_t)s[0] | (uint32_t)s[1] << 8 | (uint32_t)s[2] << 16 | (uint32_t)s[3] << 24;
        dst[i / 4u + 1u] = (uint32_t)s[4] | (uint32_t)s[5] << 8 | (uint32_t)s[6] << 16 | (uint32_t)s[7] << 24;
        rc = flash_wait();
    }
    FLASH_CR = FLASH_CR_LOCK;
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
