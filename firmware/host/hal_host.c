#include "hal_host.h"

#include <string.h>

#include "bb_hal.h"
#include "bb_protocol.h"

#define RX_CAP (1u << 20)
#define TX_CAP (4u << 20)

static uint8_t rx_buf[RX_CAP];
static size_t rx_head, rx_tail;
static uint8_t tx_buf[TX_CAP];
static size_t tx_len;
static uint64_t ticks;
static uint32_t wake_period;
static uint8_t slots[BB_SLOT_COUNT][HOST_SLOT_REGION];
static uint32_t slot_writes, slot_violations;
static const uint8_t *replay;
static uint32_t replay_len;
static int reset_req;

static const bb_board_info_t info = {
    .board = "host",
    .cpu = "x86-64",
    .clock_hz = HOST_CLOCK_HZ,
    .ram_bytes = 65536,
    .ram_free = 32768,
    .flash_bytes = 262144,
    .flash_free = 131072,
    .max_payload = BB_MAX_PAYLOAD,
    .counter_kind = BB_COUNTER_CYCLES,
    .icount_shift = 0,
    .max_stream_hz = 4000,
};

void host_reset_state_keep_slots(void)
{
    rx_head = rx_tail = 0;
    reset_req = 0;
}

void host_reset_state(void)
{
    rx_head = rx_tail = 0;
    tx_len = 0;
    ticks = 0;
    wake_period = 0;
    memset(slots, 0, sizeof slots); /* like power-on RAM: zeros, not a valid header */
    slot_writes = slot_violations = 0;
    replay = 0;
    replay_len = 0;
    reset_req = 0;
}

void host_rx_push(const uint8_t *p, size_t n)
{
    if (rx_head == rx_tail) rx_head = rx_tail = 0;
    if (n > RX_CAP - rx_tail) n = RX_CAP - rx_tail;
    memcpy(rx_buf + rx_tail, p, n);
    rx_tail += n;
}

size_t host_tx_take(uint8_t *dst, size_t cap)
{
    size_t n = tx_len < cap ? tx_len : cap;
    memcpy(dst, tx_buf, n);
    tx_len = 0;
    return n;
}

size_t host_tx_len(void) { return tx_len; }
void host_tx_clear(void) { tx_len = 0; }
void host_set_ticks(uint64_t t) { ticks = t; }
void host_advance_ticks(uint64_t dt) { ticks += dt; }
void host_set_replay(const uint8_t *p, uint32_t n)
{
    replay = p;
    replay_len = n;
}
uint32_t host_slot_writes(void) { return slot_writes; }
uint32_t host_slot_violations(void) { return slot_violations; }
uint8_t *host_slot_mem(unsigned slot) { return slots[slot]; }
int host_reset_requested(void) { return reset_req; }
uint32_t host_wake_period(void) { return wake_period; }

void bb_hal_init(void) {}
const bb_board_info_t *bb_hal_board_info(void) { return &info; }

size_t bb_hal_uart_read(uint8_t *dst, size_t max)
{
    size_t n = rx_tail - rx_head;
    if (n > max) n = max;
    memcpy(dst, rx_buf + rx_head, n);
    rx_head += n;
    return n;
}

int bb_hal_uart_rx_pending(void) { return rx_tail != rx_head; }

void bb_hal_uart_write(const uint8_t *src, size_t n)
{
    if (n > TX_CAP - tx_len) n = TX_CAP - tx_len; /* tests take output often; overflow only truncates */
    memcpy(tx_buf + tx_len, src, n);
    tx_len += n;
}

void bb_hal_uart_flush(void) {}
uint64_t bb_hal_ticks(void) { return ticks; }
void bb_hal_set_wake_period(uint32_t t) { wake_period = t; }
uint32_t bb_hal_counter(void) { return (uint32_t)ticks; }
uint32_t bb_hal_counter_scale(uint32_t raw) { return raw; }
void bb_hal_irq_mask(void) {}
void bb_hal_irq_unmask(void) {}
void bb_hal_wait_for_interrupt(void) {}
/* The host build has no painted stack: report a fixed pair the tests can check. */
void bb_hal_stack_usage(uint32_t *stack_bytes, uint32_t *hwm_bytes)
{
    *stack_bytes = 2048u;
    *hwm_bytes = 512u;
}

const uint8_t *bb_hal_slot_base(unsigned slot) { return slots[slot]; }
uint32_t bb_hal_slot_region_bytes(void) { return HOST_SLOT_REGION; }
uint32_t bb_hal_slot_page_bytes(void) { return HOST_SLOT_PAGE; }
/* Like the STM32G0's ECC flash: 8-byte units, each programmed once per erase. */
uint32_t bb_hal_slot_write_unit(void) { return HOST_SLOT_UNIT; }

int bb_hal_slot_erase(unsigned slot, uint32_t offset, uint32_t len)
{
    /* Flash erases whole pages: insist the core asks for page-aligned ranges. */
    if (slot >= BB_SLOT_COUNT || offset % HOST_SLOT_PAGE || len % HOST_SLOT_PAGE) return -1;
    if (offset > HOST_SLOT_REGION || len > HOST_SLOT_REGION - offset) return -1;
    memset(slots[slot] + offset, 0xFF, len);
    return 0;
}

int bb_hal_slot_write(unsigned slot, uint32_t offset, const uint8_t *src, uint32_t len)
{
    if (slot >= BB_SLOT_COUNT || offset > HOST_SLOT_REGION || len > HOST_SLOT_REGION - offset) return -1;
    if (offset % HOST_SLOT_UNIT || len % HOST_SLOT_UNIT) {
        slot_violations++;
        return -1;
    }
    for (uint32_t i = 0; i < len; i++) {
        uint8_t *d = &slots[slot][offset + i];
        if (*d != 0xFF) slot_violations++;
        *d &= src[i]; /* NOR flash: programming only clears bits */
    }
    slot_writes += len;
    return 0;
}

void bb_hal_replay_region(const uint8_t **base, uint32_t *len)
{
    *base = replay;
    *len = replay_len;
}

void bb_hal_reset(void) { reset_req = 1; }
