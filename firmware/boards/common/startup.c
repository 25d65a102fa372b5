/* Reset and fault handling shared by every board; each board's hal.c owns its vector table. */
#include <string.h>

#include "bb_app.h"
#include "cortexm.h"

extern uint32_t __bb_data_load[], __bb_data_start[], __bb_data_end[], __bb_bss_start[], __bb_bss_end[];

void bb_stack_paint(void); /* stackwatch.c */

void Reset_Handler(void)
{
#if defined(__ARM_FP)
    /* Enable CP10/CP11 before any compiler-generated FPU instruction can run. */
    SCB_CPACR |= 0xFu << 20;
    cpu_dsb();
    cpu_isb();
#endif
    bb_stack_paint(); /* first: the STATS high-water mark counts from here */
    bb_board_early_init();
    for (uint32_t *s = __bb_data_load, *d = __bb_data_start; d < __bb_data_end;) *d++ = *s++;
    for (uint32_t *d = __bb_bss_start; d < __bb_bss_end;) *d++ = 0;
    bb_main();
}

/*
 * Any fault or unexpected interrupt: the board is in an unknown state, so stop cleanly. Masking
 * every NVIC line first matters: WFI returns at once while an interrupt is pending, and a
 * spinning guest would burn a host core under QEMU. The host sees a silent board and can reset it.
 */
void bb_fault_handler(void)
{
    cpu_irq_disable();
    for (unsigned i = 0; i < 8; i++) {
        NVIC_ICER(i) = 0xFFFFFFFFu;
        NVIC_ICPR(i) = 0xFFFFFFFFu;
    }
    SYST_CSR = 0;
    for (;;) cpu_wfi();
}

size_t bb_ring_read(bb_ring_t *r, uint8_t *dst, size_t max)
{
    size_t n = 0;
    uint16_t t = r->tail;
    while (n < max && t != r->head) {
        dst[n++] = r->buf[t];
        t = (uint16_t)((t + 1u) & r->mask);
    }
    r->tail = t;
    return n;
}
