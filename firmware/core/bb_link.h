/*
 * Message layer between the UART bytes and the dispatcher: COBS frames in, CRC-checked messages
 * out; responses and events built in one TX message buffer, CRC appended, COBS-encoded straight
 * to the UART (no second, encoded copy in RAM).
 */
#ifndef BB_LINK_H
#define BB_LINK_H

#include <stdint.h>

#include "bb_cobs.h"
#include "bb_protocol.h"

typedef struct {
    bb_cobs_decoder_t dec;
    uint8_t *tx;          /* header + payload + CRC */
    uint32_t tx_cap;
    uint16_t max_payload;
    uint32_t crc_errors;   /* good COBS, bad CRC */
    uint32_t short_frames; /* shorter than the 8-byte minimum */
    uint32_t messages;     /* valid messages delivered */
} bb_link_t;

/* rx/tx each need max_payload + BB_MSG_OVERHEAD bytes. */
void bb_link_init(bb_link_t *l, uint8_t *rx, uint32_t rx_cap, uint8_t *tx, uint32_t tx_cap, uint16_t max_payload);

/*
 * Feed one received byte. When it completes a frame whose CRC verifies, returns the message
 * (header + payload, CRC stripped) and its length; otherwise NULL. The message stays valid
 * until the next call.
 */
const uint8_t *bb_link_push(bb_link_t *l, uint8_t byte, uint32_t *len);

/* Where a response/event payload is built (max_payload bytes available). */
static inline uint8_t *bb_link_payload(bb_link_t *l) { return l->tx + BB_MSG_HEADER_BYTES; }

/* Send the payload currently in the TX buffer. */
void bb_link_send(bb_link_t *l, uint8_t type, uint8_t flags, uint16_t seq, uint32_t payload_len);

/* Send an ERROR response: u16 code, str message. */
void bb_link_send_error(bb_link_t *l, uint8_t type, uint16_t seq, bb_status_t code, const char *msg);

#endif /* BB_LINK_H */
