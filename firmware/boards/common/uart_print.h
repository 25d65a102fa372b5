/* Text output on the board's UART for the images without the serial protocol (kernel bench, standalone). */
#ifndef BB_UART_PRINT_H
#define BB_UART_PRINT_H

#include <stdint.h>

void bb_print(const char *s);
void bb_print_u32(uint32_t v);
/* n bytes as lowercase hex, two digits each. */
void bb_print_hex(const int8_t *p, uint32_t n);

#endif
