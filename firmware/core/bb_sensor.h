/*
 * Sensor stream: STREAM_START/STOP state and the SAMPLES frames.
 *
 * Source, in order of preference:
 *  1. a replay recording in the board's replay region (docs/replay-format.md; virtual boards get
 *     it from QEMU's `-device loader`), played at its own speed whatever the stream rate;
 *  2. a deterministic synthetic walking-like signal (gravity on z plus sinusoids), so a board
 *     with no replay still streams something recognisable.
 *
 * Samples are stamped with their scheduled times (start + k / rate, board time), not the time
 * the loop happened to run, so timestamps carry no scheduling jitter. Frames batch rate/50
 * samples (20 at 1 kHz): 50 frames/s whatever the rate, and the board wakes once per frame.
 */
#ifndef BB_SENSOR_H
#define BB_SENSOR_H

#include <stdint.h>

#include "bb_link.h"
#include "bb_wire.h"

void bb_sensor_init(void);

/* 1 if a valid replay recording was found at boot. */
int bb_sensor_has_replay(void);

/* Validate and start (or restart) the stream; writes the STREAM_START response payload. */
bb_status_t bb_sensor_start(uint16_t rate_hz, uint8_t channel_mask, bb_writer_t *resp);

/* Stop; writes u32 frames_sent, u32 frames_dropped (of the last stream if already stopped). */
void bb_sensor_stop(bb_writer_t *resp);

/* 1 if a SAMPLES frame is due at board time `now` (ticks). */
int bb_sensor_due(uint64_t now);

/* Send every frame due at `now`; skips (and counts) frames when the loop fell far behind. */
void bb_sensor_poll(bb_link_t *link, uint64_t now);

#endif /* BB_SENSOR_H */
