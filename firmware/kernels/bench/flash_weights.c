/*
 * M0 bench: the weight rows are read from flash, like a model slot. Their values do not change
 * the instruction count of any kernel (no data-dependent branches), so the bench reads this
 * image's own code bytes as weights instead of spending 16 KB of flash on a table.
 */
#include <stdint.h>

extern const uint8_t __bb_bench_flash_weights[];
__asm__(".globl __bb_bench_flash_weights\n.set __bb_bench_flash_weights, 0x00000400\n");
