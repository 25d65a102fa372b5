/*
 * Model blob v1: C mirror of src/shared/engine/blob-format.ts (docs/model-format.md is the prose).
 * The parser never trusts the blob: bb_blob_check validates every offset, size, shape, range and
 * weight sum before anything runs, and the runner then decodes layers from checked records only.
 */
#ifndef BB_BLOB_H
#define BB_BLOB_H

#include <stdint.h>

#include "bb_protocol.h"

#define BB_BLOB_MAGIC 0x444D4242u /* "BBMD" */
#define BB_BLOB_VERSION 1u
#define BB_BLOB_HEADER_BYTES 64u
#define BB_LAYER_HEADER_BYTES 104u
/* A build for one compiled-in model may lower it (firmware/standalone: the model's layer count). */
#ifndef BB_BLOB_MAX_LAYERS
#define BB_BLOB_MAX_LAYERS 64u
#endif

/* Model header offsets. */
#define BB_H_MAGIC 0u
#define BB_H_VERSION 4u
#define BB_H_HEADER_BYTES 6u
#define BB_H_CRC32 8u /* over [12, total) */
#define BB_H_TOTAL 12u
#define BB_H_HASH 16u
#define BB_H_MODEL_ID 24u
#define BB_H_N_LAYERS 28u
#define BB_H_FLAGS 30u
#define BB_H_ARENA_MIN 32u
#define BB_H_ARENA_ALL 36u
#define BB_H_SCRATCH 40u
#define BB_H_IN_H 44u
#define BB_H_IN_W 46u
#define BB_H_IN_C 48u
#define BB_H_OUT_LEN 50u
#define BB_H_IN_ZP 52u
#define BB_H_OUT_ZP 53u
#define BB_H_NUM_CLASSES 54u

/* Layer record offsets. */
#define BB_L_OP 0u
#define BB_L_BITS 1u
#define BB_L_IN_ZP 2u
#define BB_L_OUT_ZP 3u
#define BB_L_ACT_MIN 4u
#define BB_L_ACT_MAX 5u
#define BB_L_PADDING 6u
#define BB_L_FLAGS 7u
#define BB_L_IN_H 8u
#define BB_L_OUT_H 14u
#define BB_L_KH 20u
#define BB_L_KW 22u
#define BB_L_SH 24u
#define BB_L_SW 26u
#define BB_L_PAD_T 28u
#define BB_L_PAD_L 30u
#define BB_L_RECORD_BYTES 32u
#define BB_L_SET_A 40u
#define BB_L_SET_B 72u

/* Op codes. */
#define BB_OP_CONV2D 1u
#define BB_OP_DEPTHWISE 2u
#define BB_OP_DENSE 3u
#define BB_OP_GRU 4u
#define BB_OP_MAXPOOL 5u
#define BB_OP_AVGPOOL 6u
#define BB_OP_RELU 7u
#define BB_OP_FLATTEN 8u

typedef struct {
    uint32_t n_rows, row_len, row_stride;
    const uint8_t *w;
    const int32_t *bias, *wsum, *mult, *shift;
} bb_wset_t;

/* One decoded layer record (decoded from a checked blob: no validation here). */
typedef struct {
    uint8_t op, bits, padding, flags;
    int8_t in_zp, out_zp, act_min, act_max;
    uint16_t in_h, in_w, in_c, out_h, out_w, out_c;
    uint16_t kh, kw, sh, sw, pad_t, pad_l;
    uint32_t record_bytes;
    bb_wset_t a, b;
} bb_layer_t;

typedef struct {
    uint32_t n_layers;
    uint32_t in_len, out_len;
    uint32_t arena_min, arena_all, scratch;
    uint8_t hash[8];
} bb_blob_info_t;

/* What this firmware build can run (HELLO's kernel_mask / weight_bits_mask). */
uint16_t bb_engine_kernel_mask(void);
uint8_t bb_engine_weight_bits_mask(void);

/*
 * Full validation. `arena_bytes` is what the board can give (0 skips that check). On failure
 * returns BB_ERR_UNSUPPORTED_MODEL (or BB_ERR_TOO_LARGE for the arena) with *why a static
 * message naming the layer and the problem.
 */
bb_status_t bb_blob_check(const uint8_t *blob, uint32_t size, uint32_t arena_bytes, bb_blob_info_t *info, const char **why);

/* Decode layer record at byte `offset` of a checked blob. */
void bb_blob_layer(const uint8_t *blob, uint32_t offset, bb_layer_t *l);

#endif /* BB_BLOB_H */
