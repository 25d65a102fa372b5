/*
 * Placeholder runner: the protocol plumbing is real (input buffering, result encoding in the
 * dispatcher), the engine is not. The kernels engineer replaces the bodies below; the signatures
 * in bb_runner.h are the contract.
 */
#include "bb_runner.h"

#include <string.h>

#include "bb_model_runner.h" /* the integer engine (firmware/kernels) */

#ifndef BB_ARENA_BYTES
#error "BB_ARENA_BYTES must come from the board's board.mk"
#endif

/* 16-byte alignment: wide enough for any kernel's vector loads. */
static uint8_t bb_arena[BB_ARENA_BYTES] __attribute__((aligned(16)));

uint32_t bb_runner_arena_bytes(void) { return (uint32_t)sizeof bb_arena; }

uint8_t *bb_runner_input_buffer(uint32_t *capacity)
{
    *capacity = (uint32_t)sizeof bb_arena;
    return bb_arena;
}

uint16_t bb_runner_kernel_mask(void) { return bb_engine_kernel_mask(); }

uint8_t bb_runner_weight_bits_mask(void) { return bb_engine_weight_bits_mask(); }

bb_status_t bb_model_check(const bb_model_t *m, uint8_t hash[8], uint32_t *arena_needed, const char **why)
{
    /* A new blob may replace the active one: drop the engine's cache of the last checked blob. */
    bb_engine_reset();
    memset(hash, 0, 8);
    *arena_needed = 0;
    return bb_engine_check(m->blob, m->size, (uint32_t)sizeof bb_arena, hash, arena_needed, why);
}

bb_status_t bb_model_run(const bb_model_t *m, uint32_t input_len, bb_run_result_t *res)
{
    memset(res, 0, sizeof *res);
    bb_engine_result_t r;
    const char *why = 0;
    const bb_status_t st = bb_engine_run(m->blob, m->size, bb_arena, (uint32_t)sizeof bb_arena, input_len, &r, &why);
    if (st != BB_OK) return st;
    res->elapsed = r.elapsed;
    res->n_layers = (uint16_t)r.n_layers;
    res->layer_elapsed = r.layer_elapsed;
    res->out = (const uint8_t *)r.out;
    res->out_len = (uint16_t)r.out_len;
    return BB_OK;
}

bb_status_t bb_model_layer_output(const bb_model_t *m, uint16_t layer, const uint8_t **data, uint32_t *len)
{
    (void)m;
    const int8_t *d = 0;
    const bb_status_t st = bb_engine_layer_output(layer, &d, len);
    *data = (const uint8_t *)d;
    return st;
}
