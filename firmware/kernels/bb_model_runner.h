/*
 * Model runner: executes a checked blob in place (weights stay in the model slot) with a
 * caller-owned static arena, and times every layer with the board's profiling counter.
 *
 * Arena layout: the input tensor always starts at arena[0] (bb_runner_input_buffer). When the
 * arena holds arena_all bytes every layer output gets its own region, so LAYER_OUTPUT can return
 * any layer after a run; otherwise each layer writes its output at the other end of the arena from
 * its input (arena_min: the largest input + output pair, not twice the largest tensor) and only
 * the outputs not yet overwritten are available. Scratch sits at the end.
 */
#ifndef BB_MODEL_RUNNER_H
#define BB_MODEL_RUNNER_H

#include <stdint.h>

#include "bb_blob.h"

typedef struct {
    uint32_t elapsed;
    uint32_t n_layers;
    const uint32_t *layer_elapsed;
    const int8_t *out;
    uint32_t out_len;
} bb_engine_result_t;

/* Check a blob for this build and an arena of `arena_bytes` (MODEL_COMMIT). */
bb_status_t bb_engine_check(const uint8_t *blob, uint32_t size, uint32_t arena_bytes, uint8_t hash[8], uint32_t *arena_needed,
                            const char **why);

/*
 * Run on the `input_len` bytes at arena[0]. Checks the blob first unless it is the one last
 * checked (same address, size and CRC). *why is set on failure.
 */
bb_status_t bb_engine_run(const uint8_t *blob, uint32_t size, uint8_t *arena, uint32_t arena_bytes, uint32_t input_len,
                          bb_engine_result_t *res, const char **why);

/* Output of `layer` from the last successful run (BB_ERR_BAD_STATE if overwritten or no run). */
bb_status_t bb_engine_layer_output(uint32_t layer, const int8_t **data, uint32_t *len);

/* Forget the last run and the checked-blob cache (a new model was activated). */
void bb_engine_reset(void);

#endif /* BB_MODEL_RUNNER_H */
