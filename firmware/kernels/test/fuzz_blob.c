/*
 * Fuzz target for the blob parser: mutates seed blobs (bit flips, byte stores, truncation,
 * extension, field-targeted u16/u32 stores) and runs bb_blob_check + bb_engine_run on each under
 * ASan/UBSan. A blob the parser accepts must run without touching memory outside the blob and
 * the arena: the sanitizers turn any such access into a crash.
 *   fuzz_blob <iterations> <seed> <seed_blob>...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bb_hal.h"
#include "bb_model_runner.h"

static const bb_board_info_t host_info = {.board = "host", .cpu = "x86", .counter_kind = BB_COUNTER_INSTRUCTIONS};
const bb_board_info_t *bb_hal_board_info(void) { return &host_info; }
uint32_t bb_hal_counter(void) { return 0; }
uint32_t bb_hal_counter_scale(uint32_t raw) { return raw; }

#include "bb_crc32.h"

static uint32_t rng_state;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: fuzz_blob <iterations> <seed> <seed_blob>...\n");
        return 2;
    }
    const unsigned long iters = strtoul(argv[1], 0, 10);
    rng_state = (uint32_t)strtoul(argv[2], 0, 10) | 1u;
    const int n_seeds = argc - 3;
    uint8_t *seeds[64];
    uint32_t seed_len[64];
    for (int s = 0; s < n_seeds && s < 64; s++) {
        FILE *f = fopen(argv[3 + s], "rb");
        if (!f) return 2;
        fseek(f, 0, SEEK_END);
        seed_len[s] = (uint32_t)ftell(f);
        fseek(f, 0, SEEK_SET);
        seeds[s] = malloc(seed_len[s]);
        if (fread(seeds[s], 1, seed_len[s], f) != seed_len[s]) return 2;
        fclose(f);
    }
    const uint32_t arena_bytes = 1u << 16;
    uint8_t *arena = aligned_alloc(16, arena_bytes);
    unsigned long accepted = 0, refused = 0;
    for (unsigned long it = 0; it < iters; it++) {
        const int s = (int)(rnd() % (uint32_t)(n_seeds < 64 ? n_seeds : 64));
        uint32_t len = seed_len[s];
        const uint32_t cap = len + 64u;
        /* Exactly `len` bytes are allocated, so ASan catches any read past the blob. */
        uint8_t *buf = aligned_alloc(16, (cap + 15u) & ~15u);
        memcpy(buf, seeds[s], len);
        const uint32_t n_mut = 1u + rnd() % 4u;
        for (uint32_t m = 0; m < n_mut; m++) {
            const uint32_t kind = rnd() % 6u;
            const uint32_t at = len ? rnd() % len : 0u;
            if (kind == 0 && len) buf[at] ^= (uint8_t)(1u << (rnd() % 8u));
            else if (kind == 1 && len) buf[at] = (uint8_t)rnd();
            else if (kind == 2 && len >= 4u) put32(buf + (at & ~3u) - ((at & ~3u) + 4u > len ? 4u : 0u), rnd() % 3u ? rnd() % 512u : rnd());
            else if (kind == 3) len = len ? rnd() % len : 0u;
            else if (kind == 4 && len + 4u <= cap) len += 4u;
            else if (len >= 2u) buf[at & ~1u] = (uint8_t)(rnd() % 4u);
        }
        /* Half the time fix the CRC so mutations reach the structural checks behind it. */
        if ((rnd() & 1u) && len >= 16u) {
            put32(buf + 12, len);
            put32(buf + 8, bb_crc32(buf + 12, len - 12u));
        }
        uint8_t *exact = aligned_alloc(16, (len + 15u) & ~15u);
        memcpy(exact, buf, len);
        free(buf);
        bb_engine_reset();
        bb_blob_info_t info;
        const char *why = 0;
        if (bb_blob_check(exact, len, arena_bytes, &info, &why) == BB_OK) {
            accepted++;
            if (info.in_len <= arena_bytes) {
                for (uint32_t i = 0; i < info.in_len; i++) arena[i] = (uint8_t)rnd();
                bb_engine_result_t res;
                (void)bb_engine_run(exact, len, arena, arena_bytes, info.in_len, &res, &why);
            }
        } else {
            refused++;
        }
        free(exact);
    }
    printf("fuzz_blob: %lu iterations, %lu accepted, %lu refused\n", iters, accepted, refused);
    free(arena);
    for (int s = 0; s < n_seeds && s < 64; s++) free(seeds[s]);
    return 0;
}
