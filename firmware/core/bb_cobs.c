#include "bb_cobs.h"

size_t bb_cobs_encode(const uint8_t *src, size_t n, uint8_t *dst, size_t cap)
{
    size_t out = 1, code_at = 0;
    uint8_t code = 1;
    if (cap == 0) return 0;
    for (size_t i = 0; i < n; i++) {
        if (src[i] != 0) {
            if (out >= cap) return 0;
            dst[out++] = src[i];
            code++;
        }
        if (src[i] == 0 || code == 0xFF) {
            /* Close the block: its code counts the bytes plus one (0xFF = full, no implied zero). */
            dst[code_at] = code;
            code = 1;
            if (out >= cap) return 0;
            code_at = out++;
        }
    }
    dst[code_at] = code;
    return out;
}

long bb_cobs_decode(const uint8_t *src, size_t n, uint8_t *dst, size_t cap)
{
    bb_cobs_decoder_t d;
    bb_cobs_decoder_init(&d, dst, cap);
    for (size_t i = 0; i < n; i++) {
        if (src[i] == 0) return -1;
        (void)bb_cobs_decoder_push(&d, src[i]);
    }
    size_t len = bb_cobs_decoder_push(&d, 0);
    if (len == 0) return -1;
    return (long)len;
}

void bb_cobs_encode_to(const uint8_t *src, size_t n, bb_byte_sink_fn put, void *ctx)
{
    /* Emit block by block: find the run of non-zero bytes (at most 254), send code then run. */
    size_t i = 0;
    for (;;) {
        size_t run = 0;
        while (i + run < n && src[i + run] != 0 && run < 254u) run++;
        uint8_t code = (uint8_t)(run + 1u);
        put(ctx, &code, 1);
        if (run) put(ctx, src + i, run);
        i += run;
        if (i >= n) break;
        if (run == 254u) continue; /* full block: no zero consumed */
        i++;                       /* skip the zero this block stood for */
        if (i == n) {
            /* Message ended with a zero: it is implied by one final empty block. */
            code = 1;
            put(ctx, &code, 1);
            break;
        }
    }
    static const uint8_t delim = 0;
    put(ctx, &delim, 1);
}

void bb_cobs_decoder_init(bb_cobs_decoder_t *d, uint8_t *buf, size_t cap)
{
    d->buf = buf;
    d->cap = cap;
    d->len = 0;
    d->remaining = 0;
    d->code = 0;
    d->discard = 0;
    d->frames = 0;
    d->errors_malformed = 0;
    d->errors_overflow = 0;
}

static void reset_frame(bb_cobs_decoder_t *d)
{
    d->len = 0;
    d->remaining = 0;
    d->code = 0;
    d->discard = 0;
}

size_t bb_cobs_decoder_push(bb_cobs_decoder_t *d, uint8_t byte)
{
    if (byte == 0) {
        size_t len = d->len;
        int started = d->code != 0;
        int bad = d->discard || d->remaining != 0;
        if (started && d->remaining != 0 && !d->discard) d->errors_malformed++;
        reset_frame(d);
        if (!started || bad || len == 0) return 0;
        d->frames++;
        return len;
    }
    if (d->discard) return 0;
    if (d->remaining == 0) {
        /* Code byte. The previous block's implied zero is written only now, because the last
         * block of a frame has none. */
        if (d->code != 0 && d->code != 0xFF) {
            if (d->len >= d->cap) goto overflow;
            d->buf[d->len++] = 0;
        }
        d->code = byte;
        d->remaining = (uint8_t)(byte - 1u);
        return 0;
    }
    if (d->len >= d->cap) goto overflow;
    d->buf[d->len++] = byte;
    d->remaining--;
    return 0;
overflow:
    d->errors_overflow++;
    d->discard = 1;
    return 0;
}
