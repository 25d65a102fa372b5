/* Little-endian field access for protocol payloads (byte-wise: no alignment or endianness assumptions). */
#ifndef BB_WIRE_H
#define BB_WIRE_H

#include <stdint.h>
#include <string.h>

static inline uint16_t bb_get_u16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

static inline uint32_t bb_get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline void bb_put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void bb_put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/*
 * Bounded payload writer: every put checks the remaining space once, and an overflow sticks,
 * so a handler can write a whole response and test `ok` at the end.
 */
typedef struct {
    uint8_t *p;
    uint32_t len;
    uint32_t cap;
    int ok;
} bb_writer_t;

static inline void bb_w_init(bb_writer_t *w, uint8_t *p, uint32_t cap)
{
    w->p = p;
    w->len = 0;
    w->cap = cap;
    w->ok = 1;
}

static inline uint8_t *bb_w_reserve(bb_writer_t *w, uint32_t n)
{
    if (!w->ok || n > w->cap - w->len) {
        w->ok = 0;
        return 0;
    }
    uint8_t *at = w->p + w->len;
    w->len += n;
    return at;
}

static inline void bb_w_u8(bb_writer_t *w, uint8_t v)
{
    uint8_t *at = bb_w_reserve(w, 1);
    if (at) at[0] = v;
}

static inline void bb_w_u16(bb_writer_t *w, uint16_t v)
{
    uint8_t *at = bb_w_reserve(w, 2);
    if (at) bb_put_u16(at, v);
}

static inline void bb_w_u32(bb_writer_t *w, uint32_t v)
{
    uint8_t *at = bb_w_reserve(w, 4);
    if (at) bb_put_u32(at, v);
}

static inline void bb_w_bytes(bb_writer_t *w, const void *src, uint32_t n)
{
    uint8_t *at = bb_w_reserve(w, n);
    if (at && n) memcpy(at, src, n);
}

/* A protocol `str`: u8 length + bytes, truncated at 255. */
static inline void bb_w_str(bb_writer_t *w, const char *s)
{
    size_t n = strlen(s);
    if (n > 255u) n = 255u;
    bb_w_u8(w, (uint8_t)n);
    bb_w_bytes(w, s, (uint32_t)n);
}

/* f32 goes on the wire as its IEEE-754 bit pattern; boards without an FPU only copy it. */
static inline void bb_w_f32(bb_writer_t *w, float v)
{
    uint32_t bits;
    memcpy(&bits, &v, sizeof bits);
    bb_w_u32(w, bits);
}

#endif /* BB_WIRE_H */
