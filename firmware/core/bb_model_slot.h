/*
 * Two model slots (A/B). A load always goes to the inactive slot; the slot becomes active only
 * when MODEL_COMMIT verifies the whole-blob CRC, by writing a slot header with a higher
 * generation than the active one. Power loss or an aborted load therefore never touches the
 * active model, and a half-written slot has no valid header so it can never run.
 *
 * Slot region layout (same on RAM and flash boards):
 *   [0, 32)   header: magic "BBSL", generation, size, blob crc32, model hash[8], arena_needed,
 *             header crc32 over the first 28 bytes. Written last, once, after the CRC check.
 *   [32, ..)  blob bytes, 32-byte aligned for the kernels.
 *
 * Resume: the progress of an interrupted load lives in RAM, so a host that reconnects (or
 * retries after timeouts) resumes via MODEL_BEGIN's resume_offset; a board reset restarts the
 * load from 0 (the active model survives it, its header being in the slot itself).
 */
#ifndef BB_MODEL_SLOT_H
#define BB_MODEL_SLOT_H

#include <stdint.h>

#include "bb_protocol.h"
#include "bb_runner.h"

#define BB_SLOT_HEADER_BYTES 32u
#define BB_SLOT_MAGIC 0x4C534242u /* "BBSL" little-endian */
/* Largest flash programming unit a HAL may ask for (bb_hal_slot_write_unit). */
#define BB_SLOT_MAX_WRITE_UNIT 16u

typedef struct {
    uint8_t state; /* BB_MODEL_STATE_* */
    uint8_t slot;  /* active slot, BB_MODEL_SLOT_NONE if none */
    uint32_t size;
    uint32_t crc32;
    uint8_t model_hash[BB_MODEL_HASH_BYTES];
    uint32_t arena_needed;
} bb_model_info_t;

/* Scan both slot headers and pick the active one. */
void bb_slots_init(void);

/* Largest blob a slot holds. */
uint32_t bb_slots_capacity(void);

bb_status_t bb_slots_begin(uint32_t total, uint32_t blob_crc, uint32_t *resume_offset, uint8_t *slot);

/* On BB_ERR_BAD_STATE for a gap, *next_offset holds the offset the board expects. */
bb_status_t bb_slots_chunk(uint32_t offset, const uint8_t *data, uint32_t len, uint32_t *next_offset);

/*
 * Verify and activate. `seq` makes a retried COMMIT idempotent: repeating the seq of the last
 * successful commit answers BB_OK again without a session. *why explains UNSUPPORTED_MODEL.
 */
bb_status_t bb_slots_commit(uint16_t seq, const char **why);

void bb_slots_info(bb_model_info_t *info);

/* The active model, or 0 when none. */
const bb_model_t *bb_slots_active(void);

#endif /* BB_MODEL_SLOT_H */
