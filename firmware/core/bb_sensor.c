#include "bb_sensor.h"

#include <string.h>

#include "bb_crc32.h"
#include "bb_hal.h"
#include "bb_protocol.h"
#include "bb_timing.h"

/* Replay header (docs/replay-format.md). */
#define REPLAY_MAGIC 0x50524242u /* "BBRP" */
#define REPLAY_VERSION 1u
#define REPLAY_FIXED_BYTES 32u

/* Frames per second the batching aims for. */
#define FRAMES_PER_SECOND 50u
/* A loop that falls more than this many frames behind drops frames instead of bursting. */
#define MAX_LAG_FRAMES 4u

/* Synthetic source ranges: +-8 g at 4096 LSB/g, +-2000 dps at 16.4 LSB/dps (typical 6-axis IMU). */
#define SYN_ACC_SCALE (9.80665f / 4096.0f)
#define SYN_GYRO_SCALE (3.14159265f / 180.0f / 16.4f)

typedef struct {
    /* replay */
    const uint8_t *rp_data; /* int16 interleaved samples, 0 if no replay */
    uint32_t rp_rate;
    uint32_t rp_samples;
    uint8_t rp_channels;
    uint8_t rp_mask;
    const uint8_t *rp_scales; /* f32 per file channel */

    /* stream */
    uint8_t on;
    uint8_t mask;
    uint8_t n_ch;
    uint16_t rate;
    uint16_t batch;
    uint32_t clock_hz;
    uint64_t start;   /* board ticks of sample 0 */
    uint64_t k_next;  /* index of the next sample to send */
    uint64_t due;     /* board ticks when the next frame's last sample is due */

    /* Per-sample work is incremental (adds only): 64-bit divisions are library calls costing
     * hundreds of cycles on the M0, and 6000 of them per second would keep a 16 MHz core busy. */
    uint32_t phase[BB_CH_COUNT]; /* synthetic sinusoid phases, 2^32 = one turn */
    uint32_t phase_inc[BB_CH_COUNT];
    uint32_t rp_idx;             /* replay row of sample k_next */
    uint32_t rp_acc;             /* (k_next * rp_rate) % rate */
    uint32_t rp_step, rp_rem;    /* rp_rate / rate, rp_rate % rate */
    uint32_t frame_no;
    uint32_t sent;
    uint32_t dropped;
} sensor_t;

static sensor_t g;

static void seek(uint64_t k);

static void parse_replay(void)
{
    const uint8_t *p;
    uint32_t len;
    bb_hal_replay_region(&p, &len);
    g.rp_data = 0;
    if (!p || len < REPLAY_FIXED_BYTES || bb_get_u32(p) != REPLAY_MAGIC) return;
    if (bb_get_u16(p + 4) != REPLAY_VERSION) return;
    uint32_t hdr = bb_get_u16(p + 6);
    uint32_t rate = bb_get_u32(p + 8);
    uint32_t n = bb_get_u32(p + 12);
    uint8_t nch = p[16], mask = p[17];
    uint32_t crc = bb_get_u32(p + 20);
    if (nch == 0 || nch > BB_CH_COUNT || (mask & ~BB_CH_ALL) != 0 || (uint32_t)__builtin_popcount(mask) != nch) return;
    if (rate == 0 || rate > 100000u || n == 0) return;
    if (hdr < REPLAY_FIXED_BYTES + 4u * nch || hdr > len) return;
    uint64_t data_bytes = (uint64_t)n * nch * 2u;
    if (data_bytes > len - hdr) return;
    /* A truncated or stale preload would replay garbage: the CRC (if present) catches it. */
    if (crc != 0 && bb_crc32(p + hdr, (size_t)data_bytes) != crc) return;
    g.rp_data = p + hdr;
    g.rp_rate = rate;
    g.rp_samples = n;
    g.rp_channels = nch;
    g.rp_mask = mask;
    g.rp_scales = p + REPLAY_FIXED_BYTES;
}

void bb_sensor_init(void)
{
    memset(&g, 0, sizeof g);
    parse_replay();
}

int bb_sensor_has_replay(void) { return g.rp_data != 0; }

/* Index of protocol channel `ch` within the replay file's channels, or -1 if absent. */
static int replay_column(unsigned ch)
{
    if (!(g.rp_mask & (1u << ch))) return -1;
    return __builtin_popcount(g.rp_mask & ((1u << ch) - 1u));
}

static void put_scale(bb_writer_t *w, unsigned ch)
{
    int col = g.rp_data ? replay_column(ch) : -1;
    if (col >= 0) {
        bb_w_bytes(w, g.rp_scales + 4 * col, 4); /* copied as bits: no float maths on M0 */
    } else {
        bb_w_f32(w, ch < 3 ? SYN_ACC_SCALE : SYN_GYRO_SCALE);
    }
}

bb_status_t bb_sensor_start(uint16_t rate_hz, uint8_t channel_mask, bb_writer_t *resp)
{
    const bb_board_info_t *bi = bb_hal_board_info();
    if (rate_hz == 0 || rate_hz > bi->max_stream_hz) return BB_ERR_BAD_REQUEST;
    if (channel_mask == 0 || (channel_mask & ~BB_CH_ALL) != 0) return BB_ERR_BAD_REQUEST;
    unsigned n_ch = (unsigned)__builtin_popcount(channel_mask);

    /* A retried START with the same parameters must not restart the numbering. */
    if (!(g.on && g.rate == rate_hz && g.mask == channel_mask)) {
        unsigned batch = rate_hz / FRAMES_PER_SECOND;
        unsigned max_batch = (bi->max_payload - BB_SAMPLES_HEADER_BYTES) / (2u * n_ch);
        if (batch < 1u) batch = 1u;
        if (batch > max_batch) batch = max_batch;
        g.on = 1;
        g.rate = rate_hz;
        g.mask = channel_mask;
        g.n_ch = (uint8_t)n_ch;
        g.batch = (uint16_t)batch;
        g.clock_hz = bi->clock_hz;
        g.start = bb_hal_ticks();
        seek(0);
        g.frame_no = 0;
        g.sent = 0;
        g.dropped = 0;
        uint64_t frame_ticks = (uint64_t)g.clock_hz * batch / rate_hz;
        bb_hal_set_wake_period(frame_ticks > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)frame_ticks);
    }
    bb_w_u16(resp, rate_hz);
    bb_w_u8(resp, channel_mask);
    for (unsigned ch = 0; ch < BB_CH_COUNT; ch++)
        if (channel_mask & (1u << ch)) put_scale(resp, ch);
    return BB_OK;
}

void bb_sensor_stop(bb_writer_t *resp)
{
    if (g.on) {
        g.on = 0;
        bb_hal_set_wake_period(0);
    }
    bb_w_u32(resp, g.sent);
    bb_w_u32(resp, g.dropped);
}

static uint64_t sample_ticks(uint64_t k) { return g.start + k * g.clock_hz / g.rate; }

int bb_sensor_due(uint64_t now) { return g.on && g.due <= now; }

/*
 * Integer sine, Q15, of a 16-bit phase (65536 = one turn). Bhaskara I's rational approximation
 * in 32-bit arithmetic: error < 0.2 % of full scale, deterministic on every board and the host.
 */
static int32_t isin_q15(uint32_t phase16)
{
    uint32_t h = (phase16 & 0x7FFFu) >> 3; /* position in the half turn, pi == 4096 */
    uint32_t p = h * (4096u - h);            /* <= 2^22 */
    uint32_t den = 5u * (1u << 24) - 4u * p; /* 5 pi^2 - 4 x (pi - x), >= 2^26 */
    int32_t v = (int32_t)((p << 9) / (den >> 10));
    return (phase16 & 0x8000u) ? -v : v;
}

/* Synthetic gait: ~1.8 Hz steps on the vertical axes, ~0.9 Hz sway on the lateral ones. */
static const struct {
    uint16_t freq_mhz;
    uint16_t phase0; /* 65536 = one turn */
    int16_t offset;  /* LSB */
    int16_t amp;     /* LSB */
} synth_ch[BB_CH_COUNT] = {
    {1800, 0, 0, 1024},       /* acc_x: 0.25 g */
    {900, 8192, 0, 410},      /* acc_y: 0.10 g */
    {1800, 16384, 4096, 614}, /* acc_z: 1 g + 0.15 g */
    {900, 0, 0, 492},         /* gyro_x: 30 dps */
    {1800, 4096, 0, 246},     /* gyro_y: 15 dps */
    {300, 0, 0, 82},          /* gyro_z: 5 dps */
};

static int16_t synth(unsigned ch)
{
    return (int16_t)(synth_ch[ch].offset + ((synth_ch[ch].amp * isin_q15(g.phase[ch] >> 16)) >> 15));
}

/* Put every incremental generator at sample k (stream start, or after skipping frames). */
static void seek(uint64_t k)
{
    g.k_next = k;
    g.due = sample_ticks(k + g.batch - 1u);
    for (unsigned ch = 0; ch < BB_CH_COUNT; ch++) {
        /* phase(k) = phase0 + k * f / rate turns, in 2^-32 turn units */
        g.phase_inc[ch] = (uint32_t)(((uint64_t)synth_ch[ch].freq_mhz << 32) / (1000u * (uint64_t)g.rate));
        g.phase[ch] = ((uint32_t)synth_ch[ch].phase0 << 16) + (uint32_t)k * g.phase_inc[ch];
    }
    if (g.rp_data) {
        /* Play the recording at its own speed: stream sample k sits at k / rate seconds. */
        uint64_t pos = k * g.rp_rate;
        g.rp_idx = (uint32_t)((pos / g.rate) % g.rp_samples);
        g.rp_acc = (uint32_t)(pos % g.rate);
        g.rp_step = g.rp_rate / g.rate;
        g.rp_rem = g.rp_rate % g.rate;
    }
}

static void step_sample(void)
{
    for (unsigned ch = 0; ch < BB_CH_COUNT; ch++) g.phase[ch] += g.phase_inc[ch];
    if (g.rp_data) {
        g.rp_idx += g.rp_step;
        g.rp_acc += g.rp_rem;
        if (g.rp_acc >= g.rate) {
            g.rp_acc -= g.rate;
            g.rp_idx++;
        }
        while (g.rp_idx >= g.rp_samples) g.rp_idx -= g.rp_samples;
    }
}

static int16_t replay_value(unsigned ch)
{
    int col = replay_column(ch);
    if (col < 0) return 0;
    const uint8_t *at = g.rp_data + 2u * (g.rp_idx * g.rp_channels + (uint32_t)col);
    return (int16_t)bb_get_u16(at);
}

static void send_frame(bb_link_t *link)
{
    bb_writer_t w;
    bb_w_init(&w, bb_link_payload(link), link->max_payload);
    bb_w_u32(&w, g.frame_no);
    bb_w_u32(&w, (uint32_t)bb_timing_ticks_to_us(sample_ticks(g.k_next)));
    bb_w_u16(&w, g.batch);
    bb_w_u8(&w, g.n_ch);
    bb_w_u8(&w, 0);
    for (uint32_t i = 0; i < g.batch; i++) {
        for (unsigned ch = 0; ch < BB_CH_COUNT; ch++) {
            if (!(g.mask & (1u << ch))) continue;
            int16_t v = g.rp_data ? replay_value(ch) : synth(ch);
            bb_w_u16(&w, (uint16_t)v);
        }
        step_sample();
    }
    bb_link_send(link, BB_CMD_SAMPLES, BB_FLAG_EVENT, 0, w.len);
    g.k_next += g.batch;
    g.due = sample_ticks(g.k_next + g.batch - 1u);
    g.frame_no++;
    g.sent++;
}

void bb_sensor_poll(bb_link_t *link, uint64_t now)
{
    while (bb_sensor_due(now)) {
        /* If the loop was stalled (a long inference, a slow host), skip whole frames rather
         * than sending a burst of stale ones; frame_no keeps counting so the host sees the gap. */
        uint64_t frame_ticks = sample_ticks(g.k_next + g.batch) - sample_ticks(g.k_next);
        if (frame_ticks && now - g.due > MAX_LAG_FRAMES * frame_ticks) {
            uint64_t behind = (now - g.due) / frame_ticks;
            g.frame_no += (uint32_t)behind;
            g.dropped += (uint32_t)behind;
            seek(g.k_next + behind * g.batch);
            continue;
        }
        send_frame(link);
    }
}
