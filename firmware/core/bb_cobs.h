/*
 * COBS framing (Consistent Overhead Byte Stuffing). A frame on the wire is COBS(message) 0x00.
 * The decoder is a byte-at-a-time state machine writing straight into the caller's message
 * buffer, so the board never holds the encoded form of a frame (one buffer of max decoded size
 * is all the RAM a receiver needs).
 */
#ifndef BB_COBS_H
#define BB_COBS_H

#include <stddef.h>
#include <stdint.h>

/* Worst-case encoded size of n bytes, without the 0x00 delimiter. */
#define BB_COBS_MAX_ENCODED(n) ((n) + ((n) / 254u) + 1u)

/* Buffer encode. Returns encoded length (no delimiter), or 0 if dst is too small. */
size_t bb_cobs_encode(const uint8_t *src, size_t n, uint8_t *dst, size_t cap);

/* Buffer decode of one frame body (no delimiter). Returns decoded length, or -1 if malformed/too long. */
long bb_cobs_decode(const uint8_t *src, size_t n, uint8_t *dst, size_t cap);

/* Streaming encoder: emits the encoded bytes and the trailing 0x00 through `put`. */
typedef void (*bb_byte_sink_fn)(void *ctx, const uint8_t *bytes, size_t n);
void bb_cobs_encode_to(const uint8_t *src, size_t n, bb_byte_sink_fn put, void *ctx);

typedef struct {
    uint8_t *buf;
    size_t cap;
    size_t len;
    uint8_t remaining; /* bytes left in the current block; 0 = next byte is a code byte */
    uint8_t code;      /* code byte of the current block (0 = no block started yet) */
    uint8_t discard;   /* frame already known bad: skip to the next delimiter */
    /* counters for diagnostics; they only grow */
    uint32_t frames;
    uint32_t errors_malformed;
    uint32_t errors_overflow;
} bb_cobs_decoder_t;

void bb_cobs_decoder_init(bb_cobs_decoder_t *d, uint8_t *buf, size_t cap);

/*
 * Feed one wire byte. Returns the decoded length (> 0) when a delimiter completes a good frame
 * (the message is then in d->buf until the next call), 0 otherwise. Malformed and oversized
 * frames are dropped and counted; empty frames (two delimiters in a row) are ignored.
 */
size_t bb_cobs_decoder_push(bb_cobs_decoder_t *d, uint8_t byte);

#endif /* BB_COBS_H */
