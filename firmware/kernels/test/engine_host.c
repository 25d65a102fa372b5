/*
 * Host (x86) driver of the firmware engine, built with ASan/UBSan by test/Makefile and run from
 * test/unit/engine-host-c.test.ts against the TypeScript reference.
 *
 *   engine_host run <case_dir>...   each dir holds model.bin and input.bin (n × input bytes);
 *                                   writes result.bin: per input, u32 status, then per layer
 *                                   u32 len + bytes (status 0) or u32 len + why text (status ≠ 0)
 *   engine_host check <blob>        prints "ok <arena>" or "refused <status> <why>"
 *   engine_host arena <bytes> run … the same with a smaller arena (ping-pong path)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bb_hal.h"
#include "bb_model_runner.h"

/* The engine times layers through bb_timing.h: a counter that never moves is enough here. */
static const bb_board_info_t host_info = {.board = "host", .cpu = "x86", .counter_kind = BB_COUNTER_INSTRUCTIONS};
const bb_board_info_t *bb_hal_board_info(void) { return &host_info; }
uint32_t bb_hal_counter(void) { return 0; }
uint32_t bb_hal_counter_scale(uint32_t raw) { return raw; }

static uint8_t *read_file(const char *path, uint32_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    /* 16-aligned like the slot; +1 so a zero-length file still gets a buffer. */
    uint8_t *buf = aligned_alloc(16, ((size_t)n + 16) & ~(size_t)15);
    if (n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        free(buf);
        return 0;
    }
    fclose(f);
    *len = (uint32_t)n;
    return buf;
}

static void put32(FILE *f, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    fwrite(b, 1, 4, f);
}

static int run_case(const char *dir, uint32_t arena_bytes)
{
    char path[4096];
    uint32_t blob_len = 0, in_len = 0;
    snprintf(path, sizeof path, "%s/model.bin", dir);
    uint8_t *blob = read_file(path, &blob_len);
    snprintf(path, sizeof path, "%s/input.bin", dir);
    uint8_t *inputs = read_file(path, &in_len);
    if (!blob || !inputs) {
        fprintf(stderr, "%s: cannot read model.bin/input.bin\n", dir);
        return 1;
    }
    snprintf(path, sizeof path, "%s/result.bin", dir);
    FILE *out = fopen(path, "wb");
    uint8_t *arena = malloc(arena_bytes ? arena_bytes : 1u); /* exactly: ASan sees one byte past the arena */
    bb_engine_reset();
    bb_blob_info_t info;
    const char *why = 0;
    bb_status_t st = bb_blob_check(blob, blob_len, 0, &info, &why);
    const uint32_t per = st == BB_OK ? info.in_len : 1u;
    const uint32_t n_inputs = st == BB_OK && per ? in_len / per : 1u;
    for (uint32_t k = 0; k < n_inputs; k++) {
        bb_engine_result_t res;
        if (st == BB_OK) {
            memcpy(arena, inputs + (size_t)k * per, per);
            st = bb_engine_run(blob, blob_len, arena, arena_bytes, per, &res, &why);
        }
        put32(out, (uint32_t)st);
        if (st != BB_OK) {
            const uint32_t n = why ? (uint32_t)strlen(why) : 0u;
            put32(out, n);
            fwrite(why, 1, n, out);
            break;
        }
        for (uint32_t i = 0; i < res.n_layers; i++) {
            const int8_t *d;
            uint32_t n;
            if (bb_engine_layer_output(i, &d, &n) != BB_OK) {
                put32(out, 0xFFFFFFFFu); /* overwritten (ping-pong) */
                continue;
            }
            put32(out, n);
            fwrite(d, 1, n, out);
        }
    }
    fclose(out);
    free(arena);
    free(blob);
    free(inputs);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "check") == 0) {
        uint32_t len = 0;
        uint8_t *blob = read_file(argv[2], &len);
        if (!blob) return 2;
        uint8_t hash[8];
        uint32_t arena = 0;
        const char *why = 0;
        const bb_status_t st = bb_engine_check(blob, len, 0, hash, &arena, &why);
        if (st == BB_OK) printf("ok %u\n", arena);
        else printf("refused %d %s\n", (int)st, why ? why : "");
        free(blob);
        return 0;
    }
    int i = 1;
    uint32_t arena_bytes = 1u << 20;
    if (argc >= 3 && strcmp(argv[1], "arena") == 0) {
        arena_bytes = (uint32_t)strtoul(argv[2], 0, 10);
        i = 3;
    }
    if (i >= argc || strcmp(argv[i], "run") != 0) {
        fprintf(stderr, "usage: engine_host [arena <bytes>] run <case_dir>... | check <blob>\n");
        return 2;
    }
    int rc = 0;
    for (i++; i < argc; i++) rc |= run_case(argv[i], arena_bytes);
    return rc;
}
