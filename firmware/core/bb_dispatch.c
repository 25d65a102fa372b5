#include "bb_dispatch.h"

#include <string.h>

#include "bb_app.h"
#include "bb_hal.h"
#include "bb_model_slot.h"
#include "bb_protocol.h"
#include "bb_runner.h"
#include "bb_sensor.h"
#include "bb_wire.h"

#ifndef BB_BUILD_ID
#define BB_BUILD_ID "dev"
#endif

/* INFER input assembly across frames (the runner owns the bytes). */
typedef struct {
    uint16_t total;
    uint16_t received;
    uint8_t active;
} infer_state_t;

static infer_state_t g_infer;
/* Arena bytes the last successful INFER used (STATS): 0 until a model has run since boot. */
static uint32_t g_arena_used_last;

void bb_dispatch_init(void)
{
    memset(&g_infer, 0, sizeof g_infer);
    g_arena_used_last = 0;
}

/*
 * The runner keeps every layer output when the blob's arena_all fits the arena, else it ping-pongs
 * within arena_min (docs/model-format.md); both sizes are in the blob header at offsets 32 and 36.
 */
static uint32_t arena_used_by(const bb_model_t *m)
{
    if (m->size < 40u) return 0;
    const uint32_t arena_min = bb_get_u32(m->blob + 32), arena_all = bb_get_u32(m->blob + 36);
    return arena_all <= bb_runner_arena_bytes() ? arena_all : arena_min;
}

static void write_stats(const bb_link_t *link, bb_writer_t *w)
{
    uint32_t stack_bytes = 0, stack_hwm = 0;
    bb_hal_stack_usage(&stack_bytes, &stack_hwm);
    bb_w_u32(w, stack_bytes);
    bb_w_u32(w, stack_hwm);
    bb_w_u32(w, bb_runner_arena_bytes());
    bb_w_u32(w, g_arena_used_last);
    bb_w_u32(w, link->crc_errors + link->short_frames + link->dec.errors_malformed + link->dec.errors_overflow);
}

/* "expected offset 1234" without printf (no stdio in the image). */
static const char *msg_with_u32(char *buf, size_t cap, const char *prefix, uint32_t v)
{
    char digits[10];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v && n < 10);
    size_t p = strlen(prefix);
    if (p + (size_t)n + 1u > cap) return prefix;
    memcpy(buf, prefix, p);
    while (n) buf[p++] = digits[--n];
    buf[p] = 0;
    return buf;
}

void bb_dispatch_send_hello(bb_link_t *link, uint8_t flags, uint16_t seq)
{
    const bb_board_info_t *bi = bb_hal_board_info();
    bb_writer_t w;
    bb_w_init(&w, bb_link_payload(link), link->max_payload);
    bb_w_u16(&w, BB_PROTOCOL_VERSION);
    bb_w_u16(&w, link->max_payload);
    bb_w_u32(&w, bi->clock_hz);
    bb_w_u32(&w, bi->ram_bytes);
    bb_w_u32(&w, bi->ram_free);
    bb_w_u32(&w, bi->flash_bytes);
    bb_w_u32(&w, bi->flash_free);
    bb_w_u32(&w, bb_slots_capacity());
    bb_w_u32(&w, bb_runner_arena_bytes());
    bb_w_u8(&w, bi->counter_kind);
    bb_w_u8(&w, bi->icount_shift);
    bb_w_u16(&w, bb_runner_kernel_mask());
    bb_w_u8(&w, bb_runner_weight_bits_mask());
    bb_w_u8(&w, 0);
    bb_w_str(&w, bi->board);
    bb_w_str(&w, bi->cpu);
    bb_w_str(&w, BB_FIRMWARE_VERSION);
    bb_w_str(&w, BB_BUILD_ID);
    bb_link_send(link, BB_CMD_HELLO, flags, seq, w.len);
}

static void write_model_info(bb_writer_t *w)
{
    bb_model_info_t mi;
    bb_slots_info(&mi);
    bb_w_u8(w, mi.state);
    bb_w_u8(w, mi.slot);
    bb_w_u16(w, 0);
    bb_w_u32(w, mi.size);
    bb_w_u32(w, mi.crc32);
    bb_w_bytes(w, mi.model_hash, BB_MODEL_HASH_BYTES);
    bb_w_u32(w, mi.arena_needed);
}

static void handle_infer(bb_link_t *link, uint16_t seq, const uint8_t *p, uint32_t n)
{
    if (n < 4) {
        bb_link_send_error(link, BB_CMD_INFER, seq, BB_ERR_BAD_REQUEST, "INFER needs total_len, offset");
        return;
    }
    const bb_model_t *m = bb_slots_active();
    if (!m) {
        bb_link_send_error(link, BB_CMD_INFER, seq, BB_ERR_NO_MODEL, "no active model");
        return;
    }
    uint16_t total = bb_get_u16(p), offset = bb_get_u16(p + 2);
    uint32_t len = n - 4;
    uint32_t cap;
    uint8_t *in = bb_runner_input_buffer(&cap);
    if (total > cap) {
        bb_link_send_error(link, BB_CMD_INFER, seq, BB_ERR_TOO_LARGE, "input larger than the input buffer");
        return;
    }
    if (offset == 0) {
        g_infer.active = 1;
        g_infer.total = total;
        g_infer.received = 0;
    }
    /* Like MODEL_CHUNK: a retried piece (offset already received) is fine, a gap is not. */
    if (!g_infer.active || total != g_infer.total || offset > g_infer.received) {
        bb_link_send_error(link, BB_CMD_INFER, seq, BB_ERR_BAD_STATE, "INFER piece out of order");
        return;
    }
    if ((uint32_t)offset + len > total) {
        bb_link_send_error(link, BB_CMD_INFER, seq, BB_ERR_BAD_REQUEST, "INFER piece beyond total_len");
        return;
    }
    memcpy(in + offset, p + 4, len);
    if (offset + len > g_infer.received) g_infer.received = (uint16_t)(offset + len);

    bb_writer_t w;
    bb_w_init(&w, bb_link_payload(link), link->max_payload);
    if (g_infer.received < total) {
        bb_w_u8(&w, 0);
        bb_link_send(link, BB_CMD_INFER, BB_FLAG_RESPONSE, seq, w.len);
        return;
    }
    bb_run_result_t r;
    bb_status_t st = bb_model_run(m, total, &r);
    /* Keep the input: a retried final piece re-runs on the same bytes. */
    if (st != BB_OK) {
        bb_link_send_error(link, BB_CMD_INFER, seq, st,
                           st == BB_ERR_NOT_IMPLEMENTED ? "no inference kernels in this build" : "inference failed");
        return;
    }
    g_arena_used_last = arena_used_by(m);
    bb_w_u8(&w, 1);
    bb_w_u32(&w, r.elapsed);
    bb_w_u8(&w, bb_hal_board_info()->counter_kind);
    bb_w_u16(&w, r.n_layers);
    for (uint16_t i = 0; i < r.n_layers; i++) bb_w_u32(&w, r.layer_elapsed[i]);
    bb_w_u16(&w, r.out_len);
    bb_w_bytes(&w, r.out, r.out_len);
    if (!w.ok) {
        bb_link_send_error(link, BB_CMD_INFER, seq, BB_ERR_TOO_LARGE, "result exceeds max_payload");
        return;
    }
    bb_link_send(link, BB_CMD_INFER, BB_FLAG_RESPONSE, seq, w.len);
}

static void handle_layer_output(bb_link_t *link, uint16_t seq, const uint8_t *p, uint32_t n)
{
    if (n != 8) {
        bb_link_send_error(link, BB_CMD_LAYER_OUTPUT, seq, BB_ERR_BAD_REQUEST, "LAYER_OUTPUT needs layer, offset, max_len");
        return;
    }
    const bb_model_t *m = bb_slots_active();
    if (!m) {
        bb_link_send_error(link, BB_CMD_LAYER_OUTPUT, seq, BB_ERR_NO_MODEL, "no active model");
        return;
    }
    uint16_t layer = bb_get_u16(p);
    uint32_t offset = bb_get_u32(p + 2);
    uint16_t max_len = bb_get_u16(p + 6);
    const uint8_t *data;
    uint32_t total;
    bb_status_t st = bb_model_layer_output(m, layer, &data, &total);
    if (st != BB_OK) {
        bb_link_send_error(link, BB_CMD_LAYER_OUTPUT, seq, st,
                           st == BB_ERR_NOT_IMPLEMENTED ? "no inference kernels in this build" : "no such layer output");
        return;
    }
    if (offset > total) {
        bb_link_send_error(link, BB_CMD_LAYER_OUTPUT, seq, BB_ERR_BAD_REQUEST, "offset beyond the layer output");
        return;
    }
    uint32_t room = link->max_payload - 4u;
    uint32_t len = total - offset;
    if (len > max_len) len = max_len;
    if (len > room) len = room;
    bb_writer_t w;
    bb_w_init(&w, bb_link_payload(link), link->max_payload);
    bb_w_u32(&w, total);
    bb_w_bytes(&w, data + offset, len);
    bb_link_send(link, BB_CMD_LAYER_OUTPUT, BB_FLAG_RESPONSE, seq, w.len);
}

void bb_dispatch(bb_link_t *link, const uint8_t *msg, uint32_t len)
{
    if (len < BB_MSG_HEADER_BYTES) return;
    uint8_t type = msg[0], flags = msg[1];
    uint16_t seq = bb_get_u16(msg + 2);
    const uint8_t *p = msg + BB_MSG_HEADER_BYTES;
    uint32_t n = len - BB_MSG_HEADER_BYTES;
    char text[48];
    bb_writer_t w;
    bb_status_t st;

    /* A board only answers requests; anything flagged as a response or event is an echo or noise. */
    if (flags & (BB_FLAG_RESPONSE | BB_FLAG_EVENT)) return;
    if (n > link->max_payload) {
        bb_link_send_error(link, type, seq, BB_ERR_TOO_LARGE, "payload exceeds max_payload");
        return;
    }
    bb_w_init(&w, bb_link_payload(link), link->max_payload);

    switch (type) {
    case BB_CMD_HELLO:
        bb_dispatch_send_hello(link, BB_FLAG_RESPONSE, seq);
        return;

    case BB_CMD_PING:
        bb_w_bytes(&w, p, n);
        break;

    case BB_CMD_STATS:
        write_stats(link, &w);
        break;

    case BB_CMD_STREAM_START:
        if (n != 3) {
            bb_link_send_error(link, type, seq, BB_ERR_BAD_REQUEST, "STREAM_START needs rate_hz, channel_mask");
            return;
        }
        st = bb_sensor_start(bb_get_u16(p), p[2], &w);
        if (st != BB_OK) {
            bb_link_send_error(link, type, seq, st, "rate_hz or channel_mask out of range");
            return;
        }
        break;

    case BB_CMD_STREAM_STOP:
        bb_sensor_stop(&w);
        break;

    case BB_CMD_MODEL_BEGIN: {
        if (n != 8) {
            bb_link_send_error(link, type, seq, BB_ERR_BAD_REQUEST, "MODEL_BEGIN needs total_size, blob_crc32");
            return;
        }
        uint32_t resume = 0;
        uint8_t slot = 0;
        st = bb_slots_begin(bb_get_u32(p), bb_get_u32(p + 4), &resume, &slot);
        if (st != BB_OK) {
            bb_link_send_error(link, type, seq, st,
                               st == BB_ERR_TOO_LARGE ? msg_with_u32(text, sizeof text, "slot holds ", bb_slots_capacity())
                                                      : "total_size must be > 0");
            return;
        }
        bb_w_u32(&w, resume);
        bb_w_u8(&w, slot);
        break;
    }

    case BB_CMD_MODEL_CHUNK: {
        if (n < 4) {
            bb_link_send_error(link, type, seq, BB_ERR_BAD_REQUEST, "MODEL_CHUNK needs offset");
            return;
        }
        uint32_t next = 0;
        st = bb_slots_chunk(bb_get_u32(p), p + 4, n - 4, &next);
        if (st == BB_ERR_BAD_STATE) {
            bb_link_send_error(link, type, seq, st, msg_with_u32(text, sizeof text, "expected offset ", next));
            return;
        }
        if (st != BB_OK) {
            bb_link_send_error(link, type, seq, st, st == BB_ERR_BAD_REQUEST ? "chunk beyond total_size" : "slot write failed");
            return;
        }
        bb_w_u32(&w, next);
        break;
    }

    case BB_CMD_MODEL_COMMIT: {
        const char *why = 0;
        st = bb_slots_commit(seq, &why);
        if (st != BB_OK) {
            const char *m = why;
            if (!m) {
                m = st == BB_ERR_CRC_MISMATCH ? "blob CRC mismatch; load again"
                    : st == BB_ERR_BAD_STATE  ? "no complete load to commit"
                                              : "slot write failed";
            }
            bb_link_send_error(link, type, seq, st, m);
            return;
        }
        write_model_info(&w);
        break;
    }

    case BB_CMD_MODEL_INFO:
        write_model_info(&w);
        break;

    case BB_CMD_INFER:
        handle_infer(link, seq, p, n);
        return;

    case BB_CMD_LAYER_OUTPUT:
        handle_layer_output(link, seq, p, n);
        return;

    case BB_CMD_RESET:
        bb_link_send(link, type, BB_FLAG_RESPONSE, seq, 0);
        bb_hal_reset();
        return;

    default:
        bb_link_send_error(link, type, seq, BB_ERR_UNKNOWN_COMMAND, msg_with_u32(text, sizeof text, "unknown command ", type));
        return;
    }
    bb_link_send(link, type, BB_FLAG_RESPONSE, seq, w.len);
}
