/* Command dispatcher: one decoded, CRC-checked request in, exactly one response out. */
#ifndef BB_DISPATCH_H
#define BB_DISPATCH_H

#include <stdint.h>

#include "bb_link.h"

void bb_dispatch_init(void);

/* Handle a request message (header + payload, CRC already stripped and verified). */
void bb_dispatch(bb_link_t *link, const uint8_t *msg, uint32_t len);

/* Send HelloInfo, as a response (flags RESPONSE, seq) or as the boot event (flags EVENT, seq 0). */
void bb_dispatch_send_hello(bb_link_t *link, uint8_t flags, uint16_t seq);

#endif /* BB_DISPATCH_H */
