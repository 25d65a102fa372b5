/*
 * Model runner hook: the seam between the protocol core and the inference kernels
 * (firmware/kernels/, written separately). The dispatcher only calls the functions below; the
 * kernels side replaces the bodies in bb_runner.c when the integer engine lands. Until then
 * every run answers BB_ERR_NOT_IMPLEMENTED.
 *
 * Memory: the runner owns the arena (BB_ARENA_BYTES, per board). INFER input bytes are copied
 * into bb_runner_input_buffer() before bb_model_run() is called, so the runner decides where
 * inputs live inside its arena.
 */
#ifndef BB_RUNNER_H
#define BB_RUNNER_H

#include <stdint.h>

#include "bb_protocol.h"

/* A committed, CRC-verified blob, readable in place (flash or RAM). */
typedef struct {
    const uint8_t *blob;
    uint32_t size;
    uint32_t crc32;
} bb_model_t;

typedef struct {
    uint32_t elapsed;               /* whole run, in counter units (bb_timing.h) */
    uint16_t n_layers;
    const uint32_t *layer_elapsed;  /* n_layers entries, runner-owned */
    const uint8_t *out;             /* output tensor bytes, runner-owned */
    uint16_t out_len;
} bb_run_result_t;

/* Arena size in bytes (reported as HELLO.arena_bytes). */
uint32_t bb_runner_arena_bytes(void);

/* Where INFER input bytes go; *capacity is the most the runner accepts. */
uint8_t *bb_runner_input_buffer(uint32_t *capacity);

/* HELLO.kernel_mask / weight_bits_mask of this build. */
uint16_t bb_runner_kernel_mask(void);
uint8_t bb_runner_weight_bits_mask(void);

/*
 * Validate a blob at MODEL_COMMIT (after its CRC verified). Fills the 8-byte model hash and the
 * arena it needs from the blob header. BB_ERR_UNSUPPORTED_MODEL (with *why set) rejects it; the
 * previously active slot then stays active.
 */
bb_status_t bb_model_check(const bb_model_t *m, uint8_t hash[8], uint32_t *arena_needed, const char **why);

/* Run the model on `input_len` bytes from bb_runner_input_buffer(). */
bb_status_t bb_model_run(const bb_model_t *m, uint32_t input_len, bb_run_result_t *res);

/* The output of layer `layer` from the last successful bb_model_run. */
bb_status_t bb_model_layer_output(const bb_model_t *m, uint16_t layer, const uint8_t **data, uint32_t *len);

#endif /* BB_RUNNER_H */
