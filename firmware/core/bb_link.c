#include "bb_link.h"

#include "bb_crc32.h"
#include "bb_hal.h"
#include "bb_wire.h"

void bb_link_init(bb_link_t *l, uint8_t *rx, uint32_t rx_cap, uint8_t *tx, uint32_t tx_cap, uint16_t max_payload)
{
    bb_cobs_decoder_init(&l->dec, rx, rx_cap);
    l->tx = tx;
    l->tx_cap = tx_cap;
    l->max_payload = max_payload;
    l->crc_errors = 0;
    l->short_frames = 0;
    l->messages = 0;
}

const uint8_t *bb_link_push(bb_link_t *l, uint8_t byte, uint32_t *len)
{
    size_t n = bb_cobs_decoder_push(&l->dec, byte);
    if (n == 0) return 0;
    if (n < BB_MSG_MIN_BYTES) {
        l->short_frames++;
        return 0;
    }
    uint32_t body = (uint32_t)n - BB_MSG_CRC_BYTES;
    if (bb_crc32(l->dec.buf, body) != bb_get_u32(l->dec.buf + body)) {
        l->crc_errors++;
        return 0;
    }
    l->messages++;
    *len = body;
    return l->dec.buf;
}

static void uart_sink(void *ctx, const uint8_t *bytes, size_t n)
{
    (void)ctx;
    bb_hal_uart_write(bytes, n);
}

void bb_link_send(bb_link_t *l, uint8_t type, uint8_t flags, uint16_t seq, uint32_t payload_len)
{
    if (payload_len > l->max_payload) {
        /* A handler bug, not a wire condition: never emit a frame the host must drop. */
        bb_link_send_error(l, type, seq, BB_ERR_TOO_LARGE, "response exceeds max_payload");
        return;
    }
    uint8_t *m = l->tx;
    m[0] = type;
    m[1] = flags;
    bb_put_u16(m + 2, seq);
    uint32_t body = BB_MSG_HEADER_BYTES + payload_len;
    bb_put_u32(m + body, bb_crc32(m, body));
    bb_cobs_encode_to(m, body + BB_MSG_CRC_BYTES, uart_sink, 0);
}

void bb_link_send_error(bb_link_t *l, uint8_t type, uint16_t seq, bb_status_t code, const char *msg)
{
    bb_writer_t w;
    bb_w_init(&w, bb_link_payload(l), l->max_payload);
    bb_w_u16(&w, (uint16_t)code);
    bb_w_str(&w, msg ? msg : "");
    bb_link_send(l, type, BB_FLAG_RESPONSE | BB_FLAG_ERROR, seq, w.len);
}
