/* CRC-32 (IEEE 802.3: reflected, poly 0xEDB88320, init 0xFFFFFFFF, final xor 0xFFFFFFFF). */
#ifndef BB_CRC32_H
#define BB_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* One-shot CRC of a buffer. bb_crc32("123456789") == 0xCBF43926. */
uint32_t bb_crc32(const void *data, size_t len);

/*
 * Incremental form for data that arrives in pieces: start with state = BB_CRC32_INIT,
 * feed every piece through bb_crc32_update, finish with bb_crc32_final.
 */
#define BB_CRC32_INIT 0xFFFFFFFFu
uint32_t bb_crc32_update(uint32_t state, const void *data, size_t len);
static inline uint32_t bb_crc32_final(uint32_t state) { return state ^ 0xFFFFFFFFu; }

#endif /* BB_CRC32_H */
