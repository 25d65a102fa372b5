#include "uart_print.h"

#include "bb_hal.h"

void bb_print(const char *s)
{
    uint32_t n = 0;
    while (s[n]) n++;
    bb_hal_uart_write((const uint8_t *)s, n);
}

void bb_print_u32(uint32_t v)
{
    char b[12];
    int i = 11;
    b[i] = 0;
    do {
        b[--i] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    bb_print(b + i);
}

void bb_print_hex(const int8_t *p, uint32_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (uint32_t i = 0; i < n; i++) {
        const char h[3] = {digits[(uint8_t)p[i] >> 4], digits[(uint8_t)p[i] & 15u], 0};
        bb_print(h);
    }
}
