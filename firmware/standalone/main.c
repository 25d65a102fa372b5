/*
 * Standalone inference image: one model compiled in (`bitbench export --format c --name model`),
 * only the kernels and weight widths it needs, no serial protocol — what a user who builds their
 * own firmware ships, and what seed 000's ~10 kB budget counts (engine code + weights + arena).
 *
 * Runs the model once on the compiled-in input (input.c) and prints, over the board's UART:
 *   OUT <output bytes as hex>
 *   ELAPSED <profiling counter units for the run>
 *   STACK <stack high-water mark in bytes>
 *   DONE   (or REFUSED <status> <why>)
 * bench/footprint.ts builds it, reads the link map for the size of each part, and compares OUT with
 * the host's integer reference.
 */
#include <stdint.h>

#include "bb_app.h"
#include "bb_hal.h"
#include "bb_model_runner.h"
#include "model.h"
#include "uart_print.h"

extern const int8_t bb_standalone_input[];
extern const uint32_t bb_standalone_input_len;

/* The whole activation memory: the largest layer input + output and the kernels' scratch (the blob's arena_min). */
static uint8_t g_arena[MODEL_ARENA_MIN_BYTES] __attribute__((aligned(4)));

void bb_main(void)
{
    bb_hal_init();
    for (uint32_t i = 0; i < bb_standalone_input_len && i < sizeof g_arena; i++) g_arena[i] = (uint8_t)bb_standalone_input[i];
    bb_engine_result_t res;
    const char *why = 0;
    const bb_status_t st = bb_engine_run(model_blob, MODEL_BLOB_BYTES, g_arena, sizeof g_arena, bb_standalone_input_len, &res, &why);
    if (st != BB_OK) {
        bb_print("REFUSED ");
        bb_print_u32((uint32_t)st);
        bb_print(" ");
        bb_print(why ? why : "");
        bb_print("\n");
    } else {
        uint32_t stack_bytes, hwm;
        bb_hal_stack_usage(&stack_bytes, &hwm);
        bb_print("OUT ");
        bb_print_hex(res.out, res.out_len);
        bb_print("\nELAPSED ");
        bb_print_u32(res.elapsed);
        bb_print("\nSTACK ");
        bb_print_u32(hwm);
        bb_print("\nDONE\n");
    }
    bb_hal_uart_flush();
    for (;;) bb_hal_wait_for_interrupt();
}
