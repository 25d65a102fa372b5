/*
 * Runner stand-in for the host tests and the frame fuzzer: accepts any CRC-verified blob and
 * answers every run with NOT_IMPLEMENTED, so the protocol, slot and stream logic is tested on
 * its own, independent of the integer engine (which has its own tests in firmware/kernels/test).
 */
#include <string.h>

#include "bb_runner.h"

static uint8_t arena[BB_ARENA_BYTES] __attribute__((aligned(16)));

uint32_t bb_runner_arena_bytes(void) { return (uint32_t)sizeof arena; }

uint8_t *bb_runner_input_buffer(uint32_t *capacity)
{
    *capacity = (uint32_t)sizeof arena;
    return arena;
}

uint16_t bb_runner_kernel_mask(void) { return 0; }
uint8_t bb_runner_weight_bits_mask(void) { return 0; }

bb_status_t bb_model_check(const bb_model_t *m, uint8_t hash[8], uint32_t *arena_needed, const char **why)
{
    (void)m;
    memset(hash, 0, 8);
    *arena_needed = 0;
    *why = 0;
    return BB_OK;
}

bb_status_t bb_model_run(const bb_model_t *m, uint32_t input_len, bb_run_result_t *res)
{
    (void)m;
    (void)input_len;
    memset(res, 0, sizeof *res);
    return BB_ERR_NOT_IMPLEMENTED;
}

bb_status_t bb_model_layer_output(const bb_model_t *m, uint16_t layer, const uint8_t **data, uint32_t *len)
{
    (void)m;
    (void)layer;
    *data = 0;
    *len = 0;
    return BB_ERR_NOT_IMPLEMENTED;
}
