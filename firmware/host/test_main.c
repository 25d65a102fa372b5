/*
 * Host unit tests of the portable core: frame codec (COBS, CRC-32), dispatch, model slots,
 * sensor stream. Built with ASan/UBSan; exits non-zero on the first failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bb_app.h"
#include "bb_cobs.h"
#include "bb_crc32.h"
#include "bb_model_slot.h"
#include "bb_protocol.h"
#include "bb_wire.h"
#include "hal_host.h"

static int failures, checks;

#define CHECK(cond)                                                                                                    \
    do {                                                                                                               \
        checks++;                                                                                                      \
        if (!(cond)) {                                                                                                 \
            failures++;                                                                                                \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);                                   \
        }                                                                                                              \
    } while (0)

static uint32_t rng_state = 0x12345678u;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

/* ---- frame helpers -------------------------------------------------------------------------- */

typedef struct {
    uint8_t type, flags;
    uint16_t seq;
    uint8_t payload[5000];
    uint32_t len;
} msg_t;

#define MAX_MSGS 4096
static msg_t out[MAX_MSGS];
static int n_out;

static void send_req(uint8_t type, uint16_t seq, const void *payload, uint32_t n)
{
    static uint8_t m[8200], enc[8400];
    m[0] = type;
    m[1] = 0;
    bb_put_u16(m + 2, seq);
    if (n) memcpy(m + 4, payload, n);
    bb_put_u32(m + 4 + n, bb_crc32(m, 4 + n));
    size_t e = bb_cobs_encode(m, 8 + n, enc, sizeof enc - 1);
    enc[e++] = 0;
    host_rx_push(enc, e);
}

/* Run the app and decode every frame it wrote. */
static void run(void)
{
    static uint8_t raw[4 << 20];
    bb_app_poll();
    size_t n = host_tx_take(raw, sizeof raw);
    n_out = 0;
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        if (raw[i] != 0) continue;
        static uint8_t dec[8200];
        long d = bb_cobs_decode(raw + start, i - start, dec, sizeof dec);
        start = i + 1;
        CHECK(d >= 8);
        if (d < 8) continue;
        CHECK(bb_crc32(dec, (size_t)d - 4) == bb_get_u32(dec + d - 4));
        if (n_out >= MAX_MSGS) continue;
        msg_t *o = &out[n_out++];
        o->type = dec[0];
        o->flags = dec[1];
        o->seq = bb_get_u16(dec + 2);
        o->len = (uint32_t)d - 8;
        memcpy(o->payload, dec + 4, o->len);
    }
    CHECK(start == n); /* every byte belonged to a terminated frame */
}

/* Send one request, run, expect exactly one response to it (events may precede). */
static msg_t *call(uint8_t type, uint16_t seq, const void *payload, uint32_t n)
{
    send_req(type, seq, payload, n);
    run();
    for (int i = 0; i < n_out; i++)
        if (out[i].flags & BB_FLAG_RESPONSE) {
            CHECK(out[i].type == type);
            CHECK(out[i].seq == seq);
            return &out[i];
        }
    CHECK(!"no response");
    static msg_t none;
    return &none;
}

static uint16_t err_code(const msg_t *m) { return (m->flags & BB_FLAG_ERROR) ? bb_get_u16(m->payload) : 0; }

static void boot(void)
{
    host_tx_clear();
    bb_app_init();
    run();
    CHECK(n_out == 1 && out[0].type == BB_CMD_HELLO && out[0].flags == BB_FLAG_EVENT && out[0].seq == 0);
}

/* ---- tests ---------------------------------------------------------------------------------- */

static void test_crc(void)
{
    CHECK(bb_crc32("123456789", 9) == 0xCBF43926u);
    CHECK(bb_crc32("", 0) == 0);
    uint32_t st = bb_crc32_update(BB_CRC32_INIT, "1234", 4);
    st = bb_crc32_update(st, "56789", 5);
    CHECK(bb_crc32_final(st) == 0xCBF43926u);
}

static void cobs_vec(const uint8_t *in, size_t n, const uint8_t *expect, size_t en)
{
    uint8_t enc[600], dec[600];
    size_t e = bb_cobs_encode(in, n, enc, sizeof enc);
    CHECK(e == en && memcmp(enc, expect, en) == 0);
    long d = bb_cobs_decode(enc, e, dec, sizeof dec);
    CHECK(d == (long)n && memcmp(dec, in, n) == 0);
}

static uint8_t sink_buf[8192];
static size_t sink_len;
static void sink(void *ctx, const uint8_t *b, size_t n)
{
    (void)ctx;
    memcpy(sink_buf + sink_len, b, n);
    sink_len += n;
}

static void test_cobs(void)
{
    /* Reference vectors (Cheshire & Baker). */
    cobs_vec((const uint8_t[]){0x00}, 1, (const uint8_t[]){0x01, 0x01}, 2);
    cobs_vec((const uint8_t[]){0x00, 0x00}, 2, (const uint8_t[]){0x01, 0x01, 0x01}, 3);
    cobs_vec((const uint8_t[]){0x11, 0x22, 0x00, 0x33}, 4, (const uint8_t[]){0x03, 0x11, 0x22, 0x02, 0x33}, 5);
    cobs_vec((const uint8_t[]){0x11, 0x22, 0x33, 0x44}, 4, (const uint8_t[]){0x05, 0x11, 0x22, 0x33, 0x44}, 5);
    cobs_vec((const uint8_t[]){0x11, 0x00, 0x00, 0x00}, 4, (const uint8_t[]){0x02, 0x11, 0x01, 0x01, 0x01}, 5);

    /* Random round trips through both encoders and the streaming decoder. */
    static uint8_t in[3000], enc[3100], dec[3000];
    for (int iter = 0; iter < 3000; iter++) {
        size_t n = rnd() % 1100u;
        unsigned mode = rnd() % 4u;
        for (size_t i = 0; i < n; i++) {
            uint8_t b = (uint8_t)rnd();
            if (mode == 0 && (rnd() % 4u) == 0) b = 0;
            if (mode == 1) b = b ? b : 1; /* long zero-free runs: 254-byte blocks */
            if (mode == 2) b = 0;
            in[i] = b;
        }
        size_t e = bb_cobs_encode(in, n, enc, sizeof enc);
        CHECK(e > 0 && e <= BB_COBS_MAX_ENCODED(n) + 1u);
        CHECK(memchr(enc, 0, e) == NULL);
        long d = bb_cobs_decode(enc, e, dec, sizeof dec);
        if (n == 0) {
            CHECK(d == -1); /* empty messages are not frames */
        } else {
            CHECK(d == (long)n && memcmp(dec, in, n) == 0);
        }
        sink_len = 0;
        bb_cobs_encode_to(in, n, sink, 0);
        CHECK(sink_len >= 2 && sink_buf[sink_len - 1] == 0);
        CHECK(memchr(sink_buf, 0, sink_len - 1) == NULL);
        CHECK(sink_len - 1 <= BB_COBS_MAX_ENCODED(n));
        if (n) {
            d = bb_cobs_decode(sink_buf, sink_len - 1, dec, sizeof dec);
            CHECK(d == (long)n && memcmp(dec, in, n) == 0);
            /* decoder capacity exactly n: fits; n-1: dropped as overflow */
            CHECK(bb_cobs_decode(sink_buf, sink_len - 1, dec, n) == (long)n);
            CHECK(bb_cobs_decode(sink_buf, sink_len - 1, dec, n - 1) == -1);
        }
        /* a too-small encode buffer is refused, never overrun */
        if (e > 1) CHECK(bb_cobs_encode(in, n, enc, e - 1) == 0);
    }
    /* Truncated frame: a code byte promising more bytes than arrive. */
    uint8_t bad[] = {0x05, 0x11, 0x22};
    CHECK(bb_cobs_decode(bad, sizeof bad, dec, sizeof dec) == -1);
}

static void test_hello_ping(void)
{
    host_reset_state();
    boot();
    msg_t *m = call(BB_CMD_HELLO, 7, NULL, 0);
    CHECK(m->flags == BB_FLAG_RESPONSE);
    CHECK(bb_get_u16(m->payload) == BB_PROTOCOL_VERSION);
    CHECK(bb_get_u16(m->payload + 2) == BB_MAX_PAYLOAD);
    CHECK(bb_get_u32(m->payload + 4) == HOST_CLOCK_HZ);
    CHECK(bb_get_u32(m->payload + 24) == HOST_SLOT_REGION - BB_SLOT_HEADER_BYTES);
    CHECK(bb_get_u32(m->payload + 28) == 4096u); /* arena */
    /* four strings after the fixed part */
    uint32_t off = BB_HELLO_FIXED_BYTES;
    const char *expect0 = "host";
    CHECK(m->payload[off] == strlen(expect0) && memcmp(m->payload + off + 1, expect0, 4) == 0);
    for (int i = 0; i < 4; i++) off += 1u + m->payload[off];
    CHECK(off == m->len);

    uint8_t p[BB_MAX_PAYLOAD];
    for (unsigned i = 0; i < sizeof p; i++) p[i] = (uint8_t)(i * 7u);
    m = call(BB_CMD_PING, 8, p, sizeof p);
    CHECK(m->flags == BB_FLAG_RESPONSE && m->len == sizeof p && memcmp(m->payload, p, sizeof p) == 0);
    m = call(BB_CMD_PING, 9, NULL, 0);
    CHECK(m->len == 0);

    /* Unknown command -> UNKNOWN_COMMAND error with a message. */
    m = call(0x77, 10, NULL, 0);
    CHECK(m->flags == (BB_FLAG_RESPONSE | BB_FLAG_ERROR) && err_code(m) == BB_ERR_UNKNOWN_COMMAND);
    CHECK(m->len >= 3 && m->payload[2] == m->len - 3);

    /* Garbage, a corrupted frame and a frame too large are dropped; the next good one answers. */
    uint8_t junk[] = {0x13, 0x37, 0x00, 0x00, 0x02, 0x01, 0x00};
    host_rx_push(junk, sizeof junk);
    uint8_t msg[12] = {BB_CMD_PING, 0, 1, 0, 0xAA, 0xBB, 0xCC, 0xDD, 0, 0, 0, 0};
    bb_put_u32(msg + 8, bb_crc32(msg, 8) ^ 1u);
    uint8_t enc[32];
    size_t e = bb_cobs_encode(msg, sizeof msg, enc, sizeof enc);
    enc[e++] = 0;
    host_rx_push(enc, e);
    static uint8_t huge[BB_MAX_PAYLOAD + 100];
    memset(huge, 0x5A, sizeof huge);
    send_req(BB_CMD_PING, 2, huge, sizeof huge);
    m = call(BB_CMD_PING, 3, "ok", 2);
    CHECK(n_out == 1 && m->len == 2);

    /* A request split across reads at every position still parses. */
    uint8_t frame[64];
    uint8_t mm[10] = {BB_CMD_PING, 0, 4, 0, 'h', 'i'};
    bb_put_u32(mm + 6, bb_crc32(mm, 6));
    e = bb_cobs_encode(mm, 10, frame, sizeof frame);
    frame[e++] = 0;
    for (size_t cut = 1; cut < e; cut++) {
        host_rx_push(frame, cut);
        run();
        CHECK(n_out == 0);
        host_rx_push(frame + cut, e - cut);
        run();
        CHECK(n_out == 1 && out[0].seq == 4 && out[0].len == 2);
    }

    /* Responses/events sent to the board are ignored. */
    uint8_t ev[8] = {BB_CMD_PING, BB_FLAG_RESPONSE, 5, 0};
    bb_put_u32(ev + 4, bb_crc32(ev, 4));
    e = bb_cobs_encode(ev, 8, enc, sizeof enc);
    enc[e++] = 0;
    host_rx_push(enc, e);
    run();
    CHECK(n_out == 0);

    m = call(BB_CMD_RESET, 11, NULL, 0);
    CHECK(m->flags == BB_FLAG_RESPONSE && m->len == 0 && host_reset_requested());
}

static uint32_t begin(uint16_t seq, uint32_t total, uint32_t crc, uint16_t *err, uint8_t *slot)
{
    uint8_t p[8];
    bb_put_u32(p, total);
    bb_put_u32(p + 4, crc);
    msg_t *m = call(BB_CMD_MODEL_BEGIN, seq, p, 8);
    *err = err_code(m);
    if (*err) return 0;
    CHECK(m->len == 5);
    *slot = m->payload[4];
    return bb_get_u32(m->payload);
}

static uint16_t chunk(uint16_t seq, uint32_t off, const uint8_t *d, uint32_t n, uint32_t *next)
{
    static uint8_t p[BB_MAX_PAYLOAD];
    bb_put_u32(p, off);
    memcpy(p + 4, d, n);
    msg_t *m = call(BB_CMD_MODEL_CHUNK, seq, p, 4 + n);
    uint16_t e = err_code(m);
    if (!e) {
        CHECK(m->len == 4);
        *next = bb_get_u32(m->payload);
    }
    return e;
}

static msg_t *info(uint16_t seq) { return call(BB_CMD_MODEL_INFO, seq, NULL, 0); }

/* Load a whole blob in chunks of `step`; returns the COMMIT response. */
static msg_t *load(uint16_t *seq, const uint8_t *blob, uint32_t n, uint32_t crc, uint32_t step)
{
    uint16_t e;
    uint8_t slot;
    uint32_t off = begin((*seq)++, n, crc, &e, &slot), next = 0;
    CHECK(e == 0);
    while (off < n) {
        uint32_t c = n - off < step ? n - off : step;
        CHECK(chunk((*seq)++, off, blob + off, c, &next) == 0);
        off = next;
    }
    return call(BB_CMD_MODEL_COMMIT, (*seq)++, NULL, 0);
}

static void test_model_slots(void)
{
    host_reset_state();
    boot();
    uint16_t seq = 100, e;
    uint8_t slot;
    static uint8_t blob[6000], blob2[5000];
    for (unsigned i = 0; i < sizeof blob; i++) blob[i] = (uint8_t)rnd();
    for (unsigned i = 0; i < sizeof blob2; i++) blob2[i] = (uint8_t)rnd();
    uint32_t crc = bb_crc32(blob, sizeof blob), crc2 = bb_crc32(blob2, sizeof blob2);

    msg_t *m = info(seq++);
    CHECK(m->len == BB_MODEL_INFO_BYTES && m->payload[0] == BB_MODEL_STATE_NONE && m->payload[1] == BB_MODEL_SLOT_NONE);

    /* Errors before any load */
    m = call(BB_CMD_MODEL_COMMIT, seq++, NULL, 0);
    CHECK(err_code(m) == BB_ERR_BAD_STATE);
    uint32_t next;
    CHECK(chunk(seq++, 0, blob, 10, &next) == BB_ERR_BAD_STATE);
    uint8_t inp[6] = {0};
    m = call(BB_CMD_INFER, seq++, inp, 6);
    CHECK(err_code(m) == BB_ERR_NO_MODEL);
    uint8_t lo[8] = {0};
    m = call(BB_CMD_LAYER_OUTPUT, seq++, lo, 8);
    CHECK(err_code(m) == BB_ERR_NO_MODEL);
    begin(seq++, HOST_SLOT_REGION, 0, &e, &slot);
    CHECK(e == BB_ERR_TOO_LARGE);
    begin(seq++, 0, 0, &e, &slot);
    CHECK(e == BB_ERR_BAD_REQUEST);

    /* Load, interrupted halfway, resumed, with a repeated chunk and a gap. */
    uint32_t off = begin(seq++, sizeof blob, crc, &e, &slot);
    CHECK(e == 0 && off == 0 && slot == 0);
    CHECK(chunk(seq++, 0, blob, 1000, &next) == 0 && next == 1000);
    CHECK(chunk(seq++, 1000, blob + 1000, 1000, &next) == 0 && next == 2000);
    uint32_t writes = host_slot_writes();
    CHECK(chunk(seq++, 1000, blob + 1000, 1000, &next) == 0 && next == 2000); /* retry: acked */
    CHECK(host_slot_writes() == writes);                                     /* ... not rewritten */
    CHECK(chunk(seq++, 1500, blob + 1500, 1000, &next) == 0 && next == 2500); /* overlap: tail only */
    CHECK(host_slot_writes() >= writes + 500 - HOST_SLOT_UNIT && host_slot_writes() <= writes + 500 + HOST_SLOT_UNIT);
    CHECK(chunk(seq++, 4000, blob + 4000, 100, &next) == BB_ERR_BAD_STATE); /* gap */
    m = info(seq++);
    CHECK(m->payload[0] == BB_MODEL_STATE_LOADING);
    m = call(BB_CMD_MODEL_COMMIT, seq++, NULL, 0); /* incomplete */
    CHECK(err_code(m) == BB_ERR_BAD_STATE);
    off = begin(seq++, sizeof blob, crc, &e, &slot); /* host reconnects: resume */
    CHECK(e == 0 && off == 2500 && slot == 0);
    while (off < sizeof blob) {
        uint32_t c = sizeof blob - off < 700 ? sizeof blob - off : 700;
        CHECK(chunk(seq++, off, blob + off, c, &next) == 0);
        off = next;
    }
    {
        static const uint8_t extra[16];
        CHECK(chunk(seq++, sizeof blob, extra, 16, &next) == BB_ERR_BAD_REQUEST); /* beyond total */
    }
    uint16_t commit_seq = seq++;
    m = call(BB_CMD_MODEL_COMMIT, commit_seq, NULL, 0);
    CHECK(m->flags == BB_FLAG_RESPONSE && m->len == BB_MODEL_INFO_BYTES);
    CHECK(m->payload[0] == BB_MODEL_STATE_ACTIVE && m->payload[1] == 0);
    CHECK(bb_get_u32(m->payload + 4) == sizeof blob && bb_get_u32(m->payload + 8) == crc);
    m = call(BB_CMD_MODEL_COMMIT, commit_seq, NULL, 0); /* retried COMMIT, same seq: same answer */
    CHECK(m->flags == BB_FLAG_RESPONSE && m->payload[0] == BB_MODEL_STATE_ACTIVE);
    CHECK(memcmp(host_slot_mem(0) + BB_SLOT_HEADER_BYTES, blob, sizeof blob) == 0);
    CHECK(host_slot_violations() == 0);

    /* INFER / LAYER_OUTPUT with a model but no kernels: NOT_IMPLEMENTED; partial pieces ack done=0. */
    uint8_t ip[4 + 8];
    bb_put_u16(ip, 16);
    bb_put_u16(ip + 2, 0);
    m = call(BB_CMD_INFER, seq++, ip, sizeof ip);
    CHECK(m->flags == BB_FLAG_RESPONSE && m->len == 1 && m->payload[0] == 0);
    bb_put_u16(ip + 2, 12);
    m = call(BB_CMD_INFER, seq++, ip, sizeof ip);
    CHECK(err_code(m) == BB_ERR_BAD_STATE); /* gap */
    bb_put_u16(ip + 2, 8);
    m = call(BB_CMD_INFER, seq++, ip, sizeof ip);
    CHECK(err_code(m) == BB_ERR_NOT_IMPLEMENTED);
    m = call(BB_CMD_LAYER_OUTPUT, seq++, lo, 8);
    CHECK(err_code(m) == BB_ERR_NOT_IMPLEMENTED);

    /* Second model goes to slot 1; a bad CRC leaves slot 0 active. */
    off = begin(seq++, sizeof blob2, crc2 ^ 0x1234u, &e, &slot);
    CHECK(e == 0 && slot == 1);
    for (off = 0; off < sizeof blob2; off = next) {
        uint32_t c = sizeof blob2 - off < 1000 ? sizeof blob2 - off : 1000;
        CHECK(chunk(seq++, off, blob2 + off, c, &next) == 0);
    }
    m = call(BB_CMD_MODEL_COMMIT, seq++, NULL, 0);
    CHECK(err_code(m) == BB_ERR_CRC_MISMATCH);
    m = info(seq++);
    CHECK(m->payload[0] == BB_MODEL_STATE_ACTIVE && m->payload[1] == 0 && bb_get_u32(m->payload + 8) == crc);

    /* Aborted load (begin + a few chunks, then a reboot): old model still active after boot. */
    begin(seq++, sizeof blob2, crc2, &e, &slot);
    CHECK(chunk(seq++, 0, blob2, 500, &next) == 0);
    boot();
    m = info(seq++);
    CHECK(m->payload[0] == BB_MODEL_STATE_ACTIVE && m->payload[1] == 0 && bb_get_u32(m->payload + 8) == crc);
    off = begin(seq++, sizeof blob2, crc2, &e, &slot); /* after a reboot the load starts over */
    CHECK(e == 0 && off == 0 && slot == 1);

    /* Good second load: slot 1 active, survives a reboot; a third load goes back to slot 0. */
    m = load(&seq, blob2, sizeof blob2, crc2, 333);
    CHECK(m->flags == BB_FLAG_RESPONSE && m->payload[1] == 1 && bb_get_u32(m->payload + 8) == crc2);
    boot();
    m = info(seq++);
    CHECK(m->payload[0] == BB_MODEL_STATE_ACTIVE && m->payload[1] == 1);
    m = load(&seq, blob, sizeof blob, crc, 1020);
    CHECK(m->payload[1] == 0);
    boot();
    m = info(seq++);
    CHECK(m->payload[1] == 0 && bb_get_u32(m->payload + 8) == crc);
    CHECK(host_slot_violations() == 0);

    /* A corrupted header is never trusted: the other valid slot takes over. */
    host_slot_mem(0)[10] ^= 0xFF;
    boot();
    m = info(seq++);
    CHECK(m->payload[1] == 1 && bb_get_u32(m->payload + 8) == crc2);
}

static void test_stream(void)
{
    host_reset_state();
    boot();
    uint8_t p[3];
    bb_put_u16(p, 1000);
    p[2] = BB_CH_ALL;
    msg_t *m = call(BB_CMD_STREAM_START, 1, p, 3);
    CHECK(m->flags == BB_FLAG_RESPONSE && m->len == 3 + 6 * 4);
    CHECK(bb_get_u16(m->payload) == 1000 && m->payload[2] == BB_CH_ALL);
    CHECK(host_wake_period() == HOST_CLOCK_HZ / 50u);

    /* 1 s of board time in 1 ms steps: 50 frames of 20 samples, consecutive numbers and stamps. */
    uint32_t frames = 0, expect_no = 0;
    int32_t min_z = 1 << 30, max_z = -(1 << 30);
    for (int ms = 0; ms < 1000; ms++) {
        host_advance_ticks(HOST_CLOCK_HZ / 1000u);
        run();
        for (int i = 0; i < n_out; i++) {
            msg_t *f = &out[i];
            CHECK(f->type == BB_CMD_SAMPLES && f->flags == BB_FLAG_EVENT && f->seq == 0);
            CHECK(bb_get_u32(f->payload) == expect_no);
            CHECK(bb_get_u32(f->payload + 4) == expect_no * 20000u); /* t0_us */
            CHECK(bb_get_u16(f->payload + 8) == 20 && f->payload[10] == 6);
            CHECK(f->len == BB_SAMPLES_HEADER_BYTES + 20u * 6u * 2u);
            for (int s = 0; s < 20; s++) {
                int16_t z = (int16_t)bb_get_u16(f->payload + 12 + (s * 6 + 2) * 2);
                if (z < min_z) min_z = z;
                if (z > max_z) max_z = z;
            }
            expect_no++;
            frames++;
        }
    }
    CHECK(frames == 50);
    CHECK(min_z > 4096 - 700 && max_z < 4096 + 700 && max_z - min_z > 1000); /* gravity + gait */

    /* A stall of 1 s: frames are skipped and counted, numbering jumps. */
    host_advance_ticks(HOST_CLOCK_HZ);
    run();
    CHECK(n_out > 0 && n_out <= 5);
    CHECK(bb_get_u32(out[n_out - 1].payload) == 99);

    /* Retried START with same parameters keeps the stream going; STOP reports counts. */
    m = call(BB_CMD_STREAM_START, 2, p, 3);
    CHECK(m->flags == BB_FLAG_RESPONSE);
    m = call(BB_CMD_STREAM_STOP, 3, NULL, 0);
    CHECK(m->len == 8);
    uint32_t sent = bb_get_u32(m->payload), dropped = bb_get_u32(m->payload + 4);
    CHECK(sent + dropped == 100 && dropped > 40);
    CHECK(host_wake_period() == 0);
    m = call(BB_CMD_STREAM_STOP, 4, NULL, 0); /* repeated: same numbers */
    CHECK(bb_get_u32(m->payload) == sent);
    host_advance_ticks(HOST_CLOCK_HZ);
    run();
    CHECK(n_out == 0);

    /* Bad parameters */
    bb_put_u16(p, 0);
    CHECK(err_code(call(BB_CMD_STREAM_START, 5, p, 3)) == BB_ERR_BAD_REQUEST);
    bb_put_u16(p, 100);
    p[2] = 0;
    CHECK(err_code(call(BB_CMD_STREAM_START, 6, p, 3)) == BB_ERR_BAD_REQUEST);
    p[2] = 0x40;
    CHECK(err_code(call(BB_CMD_STREAM_START, 7, p, 3)) == BB_ERR_BAD_REQUEST);
    CHECK(err_code(call(BB_CMD_STREAM_START, 8, p, 2)) == BB_ERR_BAD_REQUEST);
}

static void test_replay(void)
{
    /* 2 channels (acc_z, gyro_x) at 10 Hz, 5 samples: values 100*i + column. */
    static uint8_t rp[64 + 40];
    memset(rp, 0, sizeof rp);
    memcpy(rp, "BBRP", 4);
    bb_put_u16(rp + 4, 1);
    bb_put_u16(rp + 6, 40);
    bb_put_u32(rp + 8, 10);
    bb_put_u32(rp + 12, 5);
    rp[16] = 2;
    rp[17] = BB_CH_ACC_Z | BB_CH_GYRO_X;
    float sc[2] = {0.5f, 0.25f};
    memcpy(rp + 32, sc, 8);
    for (int i = 0; i < 5; i++)
        for (int c = 0; c < 2; c++) bb_put_u16(rp + 40 + (i * 2 + c) * 2, (uint16_t)(100 * i + c));
    bb_put_u32(rp + 20, bb_crc32(rp + 40, 20));

    host_reset_state();
    host_set_replay(rp, 60);
    boot();
    uint8_t p[3];
    bb_put_u16(p, 20); /* stream at 20 Hz: each replay sample appears twice */
    p[2] = BB_CH_ACC_X | BB_CH_ACC_Z | BB_CH_GYRO_X;
    msg_t *m = call(BB_CMD_STREAM_START, 1, p, 3);
    CHECK(m->len == 3 + 12);
    float got[3];
    memcpy(got, m->payload + 3, 12);
    CHECK(got[1] == 0.5f && got[2] == 0.25f && got[0] > 0.002f && got[0] < 0.003f);
    static msg_t frames[32];
    int nf = 0;
    /* sample 0 is due at once: it went out right behind the START response */
    CHECK(n_out == 2 && out[1].type == BB_CMD_SAMPLES);
    frames[nf++] = out[1];
    for (int step = 0; step < 100; step++) { /* 1 s in 10 ms steps: samples 0..20 at batch 1 */
        host_advance_ticks(HOST_CLOCK_HZ / 100u);
        run();
        for (int i = 0; i < n_out && nf < 32; i++) frames[nf++] = out[i];
    }
    CHECK(nf == 21);
    for (int k = 0; k < nf; k++) {
        const uint8_t *d = frames[k].payload + 12;
        CHECK(bb_get_u32(frames[k].payload) == (uint32_t)k && bb_get_u32(frames[k].payload + 4) == (uint32_t)k * 50000u);
        int idx = (k / 2) % 5;
        CHECK(bb_get_u16(frames[k].payload + 8) == 1 && frames[k].payload[10] == 3);
        CHECK((int16_t)bb_get_u16(d) == 0);
        CHECK((int16_t)bb_get_u16(d + 2) == 100 * idx);
        CHECK((int16_t)bb_get_u16(d + 4) == 100 * idx + 1);
    }
    /* A corrupted replay is ignored (synthetic signal instead). */
    rp[45] ^= 1;
    host_reset_state();
    host_set_replay(rp, 60);
    boot();
    m = call(BB_CMD_STREAM_START, 2, p, 3);
    memcpy(got, m->payload + 3, 12);
    CHECK(got[1] != 0.5f);
}

static void test_stats(void)
{
    host_reset_state();
    boot();
    msg_t *m = call(BB_CMD_STATS, 11, NULL, 0);
    CHECK(m->flags == BB_FLAG_RESPONSE && m->len == BB_STATS_BYTES);
    CHECK(bb_get_u32(m->payload) == 2048u);      /* stack_bytes (host HAL) */
    CHECK(bb_get_u32(m->payload + 4) == 512u);   /* stack_hwm_bytes */
    CHECK(bb_get_u32(m->payload + 8) == 4096u);  /* arena_bytes */
    CHECK(bb_get_u32(m->payload + 12) == 0u);    /* nothing has run */
    uint32_t dropped = bb_get_u32(m->payload + 16);
    /* A frame with a bad CRC is dropped and counted. */
    uint8_t msg[12] = {BB_CMD_PING, 0, 1, 0, 0xAA, 0xBB, 0xCC, 0xDD, 0, 0, 0, 0};
    bb_put_u32(msg + 8, bb_crc32(msg, 8) ^ 1u);
    uint8_t enc[32];
    size_t e = bb_cobs_encode(msg, sizeof msg, enc, sizeof enc);
    enc[e++] = 0;
    host_rx_push(enc, e);
    m = call(BB_CMD_STATS, 12, NULL, 0);
    CHECK(bb_get_u32(m->payload + 16) == dropped + 1u);
}

int main(void)
{
    test_crc();
    test_cobs();
    test_hello_ping();
    test_model_slots();
    test_stream();
    test_replay();
    test_stats();
    printf("host-test: %d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
