/*
 * Stack high-water mark for the STATS command. Reset_Handler paints the unused stack with a
 * pattern before anything else runs; the lowest word that no longer holds the pattern marks the
 * deepest the stack has been since reset (interrupt handlers included: they share the main stack).
 * The paint loop writes through a volatile pointer so the compiler cannot turn it into a memset
 * call, whose own frame would sit in the very area being painted.
 */
#include "bb_hal.h"
#include "cortexm.h"

#define BB_STACK_PAINT 0xC5AC5AC5u

extern uint8_t __bb_stack_top[], __bb_stack_bytes[];

static inline uint32_t *stack_bottom(void)
{
    return (uint32_t *)(uintptr_t)((uintptr_t)__bb_stack_top - (uintptr_t)__bb_stack_bytes);
}

void bb_stack_paint(void)
{
    uintptr_t sp;
    __asm volatile("mov %0, sp" : "=r"(sp));
    /* Everything below the current stack pointer is unused at this point. */
    for (volatile uint32_t *p = stack_bottom(); (uintptr_t)p + 4u <= sp - 16u; p++) *p = BB_STACK_PAINT;
}

void bb_hal_stack_usage(uint32_t *stack_bytes, uint32_t *hwm_bytes)
{
    const uint32_t *p = stack_bottom();
    const uint32_t *top = (const uint32_t *)(uintptr_t)__bb_stack_top;
    while (p < top && *p == BB_STACK_PAINT) p++;
    *stack_bytes = (uint32_t)(uintptr_t)__bb_stack_bytes;
    *hwm_bytes = (uint32_t)((uintptr_t)top - (uintptr_t)p);
}
