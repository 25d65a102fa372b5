#include "bb_model_slot.h"

#include <string.h>

#include "bb_crc32.h"
#include "bb_hal.h"
#include "bb_wire.h"

#define NO_SLOT 0xFFu

typedef struct {
    uint8_t active;          /* NO_SLOT if none */
    uint32_t active_gen;
    bb_model_info_t info;    /* cached from the active header */
    bb_model_t model;

    /* load session (RAM only) */
    uint8_t loading;
    uint8_t target;
    uint32_t total;
    uint32_t blob_crc;
    uint32_t next;           /* next blob offset expected */
    uint32_t erased_upto;    /* region bytes erased so far (page-aligned, header included) */
    /* Flash programs whole units (nRF51: a word, STM32G0: a double word with ECC, which may be
     * programmed only once per erase), so bytes that do not fill a unit wait here. */
    uint8_t tail[BB_SLOT_MAX_WRITE_UNIT];
    uint8_t tail_len;

    /* idempotent COMMIT retry */
    uint8_t commit_valid;
    uint16_t commit_seq;
} slots_t;

static slots_t s;

static int read_header(unsigned slot, uint32_t *gen, bb_model_info_t *info)
{
    const uint8_t *h = bb_hal_slot_base(slot);
    if (bb_get_u32(h) != BB_SLOT_MAGIC) return 0;
    if (bb_crc32(h, 28) != bb_get_u32(h + 28)) return 0;
    uint32_t size = bb_get_u32(h + 8);
    if (size == 0 || size > bb_slots_capacity()) return 0;
    *gen = bb_get_u32(h + 4);
    info->size = size;
    info->crc32 = bb_get_u32(h + 12);
    memcpy(info->model_hash, h + 16, BB_MODEL_HASH_BYTES);
    info->arena_needed = bb_get_u32(h + 24);
    return 1;
}

void bb_slots_init(void)
{
    memset(&s, 0, sizeof s);
    s.active = NO_SLOT;
    for (unsigned i = 0; i < BB_SLOT_COUNT; i++) {
        uint32_t gen;
        bb_model_info_t info;
        if (!read_header(i, &gen, &info)) continue;
        /* Wrap-safe "newer than": generations only ever step by one. */
        if (s.active == NO_SLOT || (int32_t)(gen - s.active_gen) > 0) {
            s.active = (uint8_t)i;
            s.active_gen = gen;
            s.info = info;
        }
    }
    if (s.active != NO_SLOT) {
        s.model.blob = bb_hal_slot_base(s.active) + BB_SLOT_HEADER_BYTES;
        s.model.size = s.info.size;
        s.model.crc32 = s.info.crc32;
    }
}

uint32_t bb_slots_capacity(void) { return bb_hal_slot_region_bytes() - BB_SLOT_HEADER_BYTES; }

bb_status_t bb_slots_begin(uint32_t total, uint32_t blob_crc, uint32_t *resume_offset, uint8_t *slot)
{
    if (total == 0) return BB_ERR_BAD_REQUEST;
    if (total > bb_slots_capacity()) return BB_ERR_TOO_LARGE;
    s.commit_valid = 0;
    if (s.loading && s.total == total && s.blob_crc == blob_crc) {
        /* Same blob as the interrupted load (or a retried BEGIN): continue where it stopped. */
        *resume_offset = s.next;
        *slot = s.target;
        return BB_OK;
    }
    s.loading = 1;
    s.target = (s.active == 0) ? 1u : 0u;
    s.total = total;
    s.blob_crc = blob_crc;
    s.next = 0;
    s.erased_upto = 0; /* pages are erased lazily, as chunks reach them */
    s.tail_len = 0;
    *resume_offset = 0;
    *slot = s.target;
    return BB_OK;
}

static int ensure_erased(uint32_t region_end)
{
    if (region_end <= s.erased_upto) return 0;
    uint32_t page = bb_hal_slot_page_bytes();
    uint32_t end = ((region_end + page - 1u) / page) * page;
    if (end > bb_hal_slot_region_bytes()) end = bb_hal_slot_region_bytes();
    if (bb_hal_slot_erase(s.target, s.erased_upto, end - s.erased_upto) != 0) return -1;
    s.erased_upto = end;
    return 0;
}

/* Append `len` new bytes at blob offset s.next, programming whole write units only. */
static int append(const uint8_t *data, uint32_t len)
{
    uint32_t unit = bb_hal_slot_write_unit();
    uint32_t pos = BB_SLOT_HEADER_BYTES + s.next - s.tail_len; /* unit-aligned region offset */
    uint32_t end = BB_SLOT_HEADER_BYTES + s.next + len;
    if (ensure_erased((end + unit - 1u) & ~(unit - 1u)) != 0) return -1;
    while (len) {
        if (s.tail_len == 0 && len >= unit) {
            uint32_t whole = len & ~(unit - 1u);
            if (bb_hal_slot_write(s.target, pos, data, whole) != 0) return -1;
            pos += whole;
            data += whole;
            len -= whole;
            s.next += whole;
            continue;
        }
        uint32_t take = unit - s.tail_len < len ? unit - s.tail_len : len;
        memcpy(s.tail + s.tail_len, data, take);
        s.tail_len = (uint8_t)(s.tail_len + take);
        data += take;
        len -= take;
        s.next += take;
        if (s.tail_len == unit) {
            if (bb_hal_slot_write(s.target, pos, s.tail, unit) != 0) return -1;
            pos += unit;
            s.tail_len = 0;
        }
    }
    return 0;
}

/* Program the last partial unit, padded with 0xFF (the erased value). Only at commit. */
static int flush_tail(void)
{
    uint32_t unit = bb_hal_slot_write_unit();
    if (s.tail_len == 0) return 0;
    memset(s.tail + s.tail_len, 0xFF, unit - s.tail_len);
    uint32_t pos = BB_SLOT_HEADER_BYTES + s.next - s.tail_len;
    s.tail_len = 0;
    return bb_hal_slot_write(s.target, pos, s.tail, unit);
}

bb_status_t bb_slots_chunk(uint32_t offset, const uint8_t *data, uint32_t len, uint32_t *next_offset)
{
    *next_offset = s.next;
    if (!s.loading) return BB_ERR_BAD_STATE;
    if (offset > s.next) return BB_ERR_BAD_STATE; /* a gap: the host must resend from s.next */
    if (len > s.total || offset > s.total - len) return BB_ERR_BAD_REQUEST;
    uint32_t end = offset + len;
    if (end > s.next) {
        /* Write only what is new: a retried (or overlapping) chunk never reprograms bytes,
         * which flash could not do anyway without an erase. */
        uint32_t skip = s.next - offset;
        if (append(data + skip, len - skip) != 0) {
            s.loading = 0; /* the slot is in an unknown state: the next BEGIN starts over */
            return BB_ERR_BUSY;
        }
    }
    *next_offset = s.next;
    return BB_OK;
}

bb_status_t bb_slots_commit(uint16_t seq, const char **why)
{
    *why = 0;
    if (!s.loading) {
        if (s.commit_valid && s.commit_seq == seq) return BB_OK;
        return BB_ERR_BAD_STATE;
    }
    if (s.next != s.total) return BB_ERR_BAD_STATE;
    if (flush_tail() != 0) {
        s.loading = 0;
        return BB_ERR_BUSY;
    }
    const uint8_t *base = bb_hal_slot_base(s.target);
    if (bb_crc32(base + BB_SLOT_HEADER_BYTES, s.total) != s.blob_crc) {
        /* The bytes on the board are wrong: resuming cannot help, start over. */
        s.loading = 0;
        return BB_ERR_CRC_MISMATCH;
    }
    bb_model_t m = {base + BB_SLOT_HEADER_BYTES, s.total, s.blob_crc};
    uint8_t hash[BB_MODEL_HASH_BYTES];
    uint32_t arena_needed = 0;
    bb_status_t st = bb_model_check(&m, hash, &arena_needed, why);
    if (st != BB_OK) {
        s.loading = 0;
        return st;
    }

    uint8_t h[BB_SLOT_HEADER_BYTES];
    uint32_t gen = (s.active == NO_SLOT) ? 1u : s.active_gen + 1u;
    bb_put_u32(h, BB_SLOT_MAGIC);
    bb_put_u32(h + 4, gen);
    bb_put_u32(h + 8, s.total);
    bb_put_u32(h + 12, s.blob_crc);
    memcpy(h + 16, hash, BB_MODEL_HASH_BYTES);
    bb_put_u32(h + 24, arena_needed);
    bb_put_u32(h + 28, bb_crc32(h, 28));
    /* The header page was erased with the first chunk (the blob starts in it). */
    if (ensure_erased(BB_SLOT_HEADER_BYTES) != 0 || bb_hal_slot_write(s.target, 0, h, sizeof h) != 0) {
        s.loading = 0;
        return BB_ERR_BUSY;
    }
    s.loading = 0;
    bb_slots_init(); /* re-scan: the new header is now the newest */
    s.commit_valid = 1;
    s.commit_seq = seq;
    return BB_OK;
}

void bb_slots_info(bb_model_info_t *info)
{
    if (s.active != NO_SLOT) {
        *info = s.info;
        info->slot = s.active;
        info->state = BB_MODEL_STATE_ACTIVE;
    } else {
        memset(info, 0, sizeof *info);
        info->slot = BB_MODEL_SLOT_NONE;
        info->state = BB_MODEL_STATE_NONE;
    }
    if (s.loading) info->state = BB_MODEL_STATE_LOADING;
}

const bb_model_t *bb_slots_active(void) { return s.active == NO_SLOT ? 0 : &s.model; }
