/* HELLO's memory numbers, from the symbols every board's link.ld defines (sections.ld). */
#include "cortexm.h"

extern uint8_t __bb_ram_start[], __bb_ram_end[], __bb_static_end[], __bb_stack_bytes[];
extern uint8_t __bb_flash_start[], __bb_flash_end[], __bb_image_end[];

void bb_meminfo(uint32_t *ram_bytes, uint32_t *ram_free, uint32_t *flash_bytes, uint32_t *flash_free)
{
    uint32_t ram = (uint32_t)(__bb_ram_end - __bb_ram_start);
    uint32_t used = (uint32_t)(__bb_static_end - __bb_ram_start) + (uint32_t)(uintptr_t)__bb_stack_bytes;
    *ram_bytes = ram;
    *ram_free = used < ram ? ram - used : 0;
    *flash_bytes = (uint32_t)(__bb_flash_end - __bb_flash_start);
    *flash_free = *flash_bytes - (uint32_t)(__bb_image_end - __bb_flash_start);
}
