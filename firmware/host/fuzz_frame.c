/*
 * Frame-parser fuzzer (plain random + mutation; no libFuzzer on this host). Each iteration feeds
 * the whole receive path — COBS decoder, CRC check, dispatcher, model slots, stream — with:
 * random bytes, valid frames of random commands with random payloads, and mutations of valid
 * frames (bit flips, truncation, duplicated/inserted bytes). ASan/UBSan catch any overrun; the
 * driver also checks that every byte the firmware writes forms a well-formed frame.
 *
 * usage: fuzz_frame [iterations] [seed]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bb_app.h"
#include "bb_cobs.h"
#include "bb_crc32.h"
#include "bb_protocol.h"
#include "bb_wire.h"
#include "hal_host.h"

static uint64_t rs;
static uint32_t rnd(void)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return (uint32_t)(rs >> 11);
}

static const uint8_t cmds[] = {BB_CMD_HELLO,        BB_CMD_PING,        BB_CMD_STREAM_START, BB_CMD_STREAM_STOP,
                               BB_CMD_SAMPLES,      BB_CMD_MODEL_BEGIN, BB_CMD_MODEL_CHUNK,  BB_CMD_MODEL_COMMIT,
                               BB_CMD_MODEL_INFO,   BB_CMD_INFER,       BB_CMD_LAYER_OUTPUT, BB_CMD_RESET,
                               0x00,                0xFF};

static size_t make_frame(uint8_t *dst, size_t cap)
{
    static uint8_t m[BB_PAYLOAD_LIMIT + 64];
    uint32_t n = rnd() % 8u == 0 ? rnd() % (BB_PAYLOAD_LIMIT + 40u) : rnd() % 40u;
    m[0] = cmds[rnd() % sizeof cmds];
    m[1] = rnd() % 8u == 0 ? (uint8_t)rnd() : 0;
    bb_put_u16(m + 2, (uint16_t)rnd());
    for (uint32_t i = 0; i < n; i++) m[4 + i] = (uint8_t)rnd();
    /* Plausible field values so the dispatcher gets past its range checks now and then. */
    if (n >= 8 && rnd() % 2u) {
        bb_put_u32(m + 4, rnd() % 9000u);
        if (m[0] == BB_CMD_STREAM_START) bb_put_u16(m + 4, (uint16_t)(rnd() % 5000u));
    }
    if (m[0] == BB_CMD_STREAM_START && rnd() % 2u) n = 3;
    bb_put_u32(m + 4 + n, bb_crc32(m, 4 + n));
    size_t e = bb_cobs_encode(m, 8 + n, dst, cap - 1);
    if (e == 0) return 0;
    dst[e++] = 0;
    return e;
}

static void mutate(uint8_t *b, size_t *n, size_t cap)
{
    int k = 1 + (int)(rnd() % 4u);
    while (k--) {
        if (*n == 0) return;
        switch (rnd() % 5u) {
        case 0: b[rnd() % *n] ^= (uint8_t)(1u << (rnd() % 8u)); break;
        case 1: b[rnd() % *n] = 0; break;
        case 2: *n = rnd() % *n; break;
        case 3:
            if (*n < cap) {
                size_t at = rnd() % *n;
                memmove(b + at + 1, b + at, *n - at);
                (*n)++;
            }
            break;
        default: b[rnd() % *n] = (uint8_t)rnd(); break;
        }
    }
}

static void check_output(void)
{
    static uint8_t raw[4 << 20], dec[BB_PAYLOAD_LIMIT + 64];
    size_t n = host_tx_take(raw, sizeof raw), start = 0;
    for (size_t i = 0; i < n; i++) {
        if (raw[i]) continue;
        long d = bb_cobs_decode(raw + start, i - start, dec, sizeof dec);
        if (d < 8 || bb_crc32(dec, (size_t)d - 4) != bb_get_u32(dec + d - 4) || d - 8 > BB_MAX_PAYLOAD) {
            fprintf(stderr, "fuzz: firmware emitted a malformed frame\n");
            exit(2);
        }
        start = i + 1;
    }
    if (start != n) {
        fprintf(stderr, "fuzz: unterminated output frame\n");
        exit(2);
    }
}

int main(int argc, char **argv)
{
    long iters = argc > 1 ? atol(argv[1]) : 200000;
    rs = argc > 2 ? strtoull(argv[2], 0, 0) : 0x9E3779B97F4A7C15ull;
    static uint8_t buf[3 * (BB_PAYLOAD_LIMIT + 200)];
    host_reset_state();
    bb_app_init();
    for (long it = 0; it < iters; it++) {
        size_t n = 0;
        int parts = 1 + (int)(rnd() % 3u);
        while (parts--) {
            size_t room = sizeof buf - n;
            switch (rnd() % 3u) {
            case 0: { /* random bytes */
                size_t r = rnd() % 64u;
                if (r > room) r = room;
                for (size_t i = 0; i < r; i++) buf[n + i] = (uint8_t)(rnd() % 4u ? rnd() : 0);
                n += r;
                break;
            }
            case 1: n += make_frame(buf + n, room); break;
            default: {
                size_t f = make_frame(buf + n, room);
                mutate(buf + n, &f, room);
                n += f;
                break;
            }
            }
        }
        host_rx_push(buf, n);
        host_advance_ticks(rnd() % 200000u);
        bb_app_poll();
        check_output();
        if (host_reset_requested() || rnd() % 5000u == 0) {
            /* The board reset: RAM state restarts, slots (flash) persist. */
            host_reset_state_keep_slots();
            host_tx_clear();
            bb_app_init();
            check_output();
        }
    }
    printf("fuzz: %ld iterations, no crash\n", iters);
    return 0;
}
