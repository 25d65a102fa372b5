/*
 * The few Cortex-M core registers the HALs touch (ARMv6-M and ARMv7-M share these addresses).
 * Written out here instead of pulling in CMSIS: the HALs stay self-contained and readable.
 */
#ifndef BB_CORTEXM_H
#define BB_CORTEXM_H

#include <stddef.h>
#include <stdint.h>

#define REG32(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

/* SysTick */
#define SYST_CSR REG32(0xE000E010u)
#define SYST_RVR REG32(0xE000E014u)
#define SYST_CVR REG32(0xE000E018u)
#define SYST_CSR_ENABLE (1u << 0)
#define SYST_CSR_TICKINT (1u << 1)
#define SYST_CSR_CLKSOURCE (1u << 2) /* 1 = processor clock */

/* System control block */
#define SCB_ICSR REG32(0xE000ED04u)
#define SCB_ICSR_PENDSTSET (1u << 26)
#define SCB_ICSR_PENDSTCLR (1u << 25)
#define SCB_VTOR REG32(0xE000ED08u)
#define SCB_AIRCR REG32(0xE000ED0Cu)
#define SCB_AIRCR_RESET (0x05FAu << 16 | 1u << 2) /* VECTKEY | SYSRESETREQ */
#define SCB_CPACR REG32(0xE000ED88u)

/* NVIC (IRQ numbers below 32 on every board we support) */
#define NVIC_ISER0 REG32(0xE000E100u)
#define NVIC_ICER0 REG32(0xE000E180u)
#define NVIC_ISPR0 REG32(0xE000E200u)
#define NVIC_ICPR0 REG32(0xE000E280u)
#define NVIC_ISER(n) REG32(0xE000E100u + 4u * (n))
#define NVIC_ICER(n) REG32(0xE000E180u + 4u * (n))
#define NVIC_ICPR(n) REG32(0xE000E280u + 4u * (n))

static inline void nvic_enable(unsigned irq)
{
    NVIC_ICPR(irq / 32u) = 1u << (irq % 32u);
    NVIC_ISER(irq / 32u) = 1u << (irq % 32u);
}

static inline void nvic_clear_pending(unsigned irq) { NVIC_ICPR(irq / 32u) = 1u << (irq % 32u); }

/* DWT cycle counter (ARMv7-M only; QEMU does not model it) */
#define DEMCR REG32(0xE000EDFCu)
#define DEMCR_TRCENA (1u << 24)
#define DWT_CTRL REG32(0xE0001000u)
#define DWT_CYCCNT REG32(0xE0001004u)

static inline void cpu_irq_disable(void) { __asm__ volatile("cpsid i" ::: "memory"); }
static inline void cpu_irq_enable(void) { __asm__ volatile("cpsie i" ::: "memory"); }
static inline void cpu_wfi(void) { __asm__ volatile("dsb\n\twfi" ::: "memory"); }
static inline void cpu_dsb(void) { __asm__ volatile("dsb" ::: "memory"); }
static inline void cpu_isb(void) { __asm__ volatile("isb" ::: "memory"); }

static inline uint32_t cpu_primask_save(void)
{
    uint32_t m;
    __asm__ volatile("mrs %0, primask\n\tcpsid i" : "=r"(m)::"memory");
    return m;
}

static inline void cpu_primask_restore(uint32_t m) { __asm__ volatile("msr primask, %0" ::"r"(m) : "memory"); }

/* Shared pieces implemented in boards/common. */
typedef void (*bb_vector_t)(void);
void Reset_Handler(void);
void bb_fault_handler(void);
void SysTick_Handler(void);
/* Board hook run by Reset_Handler before .data/.bss exist: clocks, FPU. */
void bb_board_early_init(void);

/* SysTick time base (boards/common/systick.c). */
void bb_systick_init(uint32_t clock_hz);
uint64_t bb_systick_ticks(void);
void bb_systick_set_period(uint32_t ticks);

/* Memory accounting from the linker symbols (boards/common/meminfo.c). */
void bb_meminfo(uint32_t *ram_bytes, uint32_t *ram_free, uint32_t *flash_bytes, uint32_t *flash_free);

/* Simple interrupt-fed RX ring shared by the UART HALs. Size is a power of two. */
typedef struct {
    volatile uint16_t head; /* written by the ISR */
    volatile uint16_t tail; /* written by the main loop */
    uint16_t mask;
    uint8_t *buf;
    volatile uint32_t overruns;
} bb_ring_t;

static inline void ring_put_isr(bb_ring_t *r, uint8_t b)
{
    uint16_t h = r->head, next = (uint16_t)((h + 1u) & r->mask);
    if (next == r->tail) {
        r->overruns++; /* full: drop; the frame CRC catches it and the host retries */
        return;
    }
    r->buf[h] = b;
    r->head = next;
}

/* True when one more byte would not fit: a HAL whose UART can hold bytes back (the
 * receiver's own FIFO) stops taking them instead of dropping them (see boards/microbit). */
static inline int ring_full(const bb_ring_t *r) { return ((r->head + 1u) & r->mask) == r->tail; }

size_t bb_ring_read(bb_ring_t *r, uint8_t *dst, size_t max);

#endif /* BB_CORTEXM_H */
