/*
 * Board time from SysTick: a 64-bit tick count = completed periods (counted in the interrupt)
 * plus the position inside the current period. Every Cortex-M has SysTick, and under QEMU
 * -icount it advances with retired instructions, so the same code gives deterministic virtual
 * time on the QEMU boards and real time on hardware.
 *
 * The period doubles as the wake-up timer: while streaming it is one SAMPLES frame, otherwise a
 * long idle period. A new period is written to the reload register only, so it takes effect at
 * the next wrap and the count never jumps (rewriting the current value would).
 */
#include "cortexm.h"

/*
 * Idle wake-up every 25 ms. A new period only starts at the next wrap, so this bounds the delay
 * before the first SAMPLES frame after STREAM_START; 40 wake-ups a second cost QEMU well under
 * 1 % of a host core.
 */
#define IDLE_HZ 40u
#define SYSTICK_MAX 0x01000000u

static volatile uint64_t s_base;  /* ticks at the start of the current period */
static volatile uint32_t s_cur;   /* length of the current period */
static volatile uint32_t s_next;  /* length from the next wrap on */
static uint32_t s_idle;

void SysTick_Handler(void)
{
    s_base += s_cur;
    s_cur = s_next;
}

void bb_systick_init(uint32_t clock_hz)
{
    s_idle = clock_hz / IDLE_HZ < SYSTICK_MAX ? clock_hz / IDLE_HZ : SYSTICK_MAX;
    s_base = 0;
    s_cur = s_next = s_idle;
    SYST_CSR = 0;
    SYST_RVR = s_idle - 1u;
    SYST_CVR = 0;
    SYST_CSR = SYST_CSR_ENABLE | SYST_CSR_TICKINT | SYST_CSR_CLKSOURCE;
}

uint64_t bb_systick_ticks(void)
{
    uint32_t m = cpu_primask_save();
    uint32_t v = SYST_CVR;
    uint64_t t;
    if (SCB_ICSR & SCB_ICSR_PENDSTSET) {
        /* Wrapped, interrupt not yet taken (masked). Re-read: the counter is now either at 0
         * (the wrap is happening: end of the current period) or already reloaded. */
        v = SYST_CVR;
        t = v == 0 ? s_base + s_cur - 1u : s_base + s_cur + (s_next - 1u - v);
    } else {
        t = s_base + (s_cur - 1u - v);
    }
    cpu_primask_restore(m);
    return t;
}

void bb_systick_set_period(uint32_t ticks)
{
    if (ticks == 0) ticks = s_idle;
    if (ticks > SYSTICK_MAX) {
        /* Longer than SysTick can count: wake at an exact fraction of it instead. */
        uint32_t k = (ticks + SYSTICK_MAX - 1u) / SYSTICK_MAX;
        ticks /= k;
    }
    if (ticks < 100u) ticks = 100u;
    uint32_t m = cpu_primask_save();
    s_next = ticks;
    SYST_RVR = ticks - 1u;
    cpu_primask_restore(m);
}
