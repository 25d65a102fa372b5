/* The main loop every board runs: bytes in, frames dispatched, sensor frames out, sleep. */
#include "bb_app.h"

#include "bb_dispatch.h"
#include "bb_hal.h"
#include "bb_link.h"
#include "bb_model_slot.h"
#include "bb_sensor.h"

#ifndef BB_MAX_PAYLOAD
#error "BB_MAX_PAYLOAD must come from the board's board.mk"
#endif
#if BB_MAX_PAYLOAD > 4096
#error "protocol limit: max_payload <= 4096"
#endif

#define MSG_BYTES (BB_MAX_PAYLOAD + BB_MSG_OVERHEAD)

/* Two message buffers: a request can be half-received while a SAMPLES frame is built. */
static uint8_t g_rx[MSG_BYTES] __attribute__((aligned(4)));
static uint8_t g_tx[MSG_BYTES] __attribute__((aligned(4)));
static bb_link_t g_link;

void bb_app_init(void)
{
    bb_link_init(&g_link, g_rx, sizeof g_rx, g_tx, sizeof g_tx, BB_MAX_PAYLOAD);
    bb_slots_init();
    bb_sensor_init();
    bb_dispatch_init();
    bb_dispatch_send_hello(&g_link, BB_FLAG_EVENT, 0);
}

void bb_app_poll(void)
{
    uint8_t chunk[32];
    size_t n;
    while ((n = bb_hal_uart_read(chunk, sizeof chunk)) > 0) {
        for (size_t i = 0; i < n; i++) {
            uint32_t len;
            const uint8_t *msg = bb_link_push(&g_link, chunk[i], &len);
            if (msg) bb_dispatch(&g_link, msg, len);
        }
        /* Interleave the stream with long request bursts so samples keep flowing. */
        bb_sensor_poll(&g_link, bb_hal_ticks());
    }
    bb_sensor_poll(&g_link, bb_hal_ticks());
}

int bb_app_has_work(void) { return bb_hal_uart_rx_pending() || bb_sensor_due(bb_hal_ticks()); }

void bb_main(void)
{
    bb_hal_init();
    bb_app_init();
    for (;;) {
        bb_app_poll();
        bb_hal_irq_mask();
        if (!bb_app_has_work()) bb_hal_wait_for_interrupt();
        bb_hal_irq_unmask();
    }
}
