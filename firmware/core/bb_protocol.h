/*
 * bitbench serial protocol, version 1 — C mirror of docs/protocol.md.
 * docs/protocol.md is the source of truth; src/shared/protocol/ is the TypeScript mirror.
 * Keep all three in step when a layout changes (and bump BB_PROTOCOL_VERSION).
 */
#ifndef BB_PROTOCOL_H
#define BB_PROTOCOL_H

#include <stdint.h>

#define BB_PROTOCOL_VERSION 1u

/* Decoded message: type, flags, seq (u16), payload, CRC-32 (u32). */
#define BB_MSG_HEADER_BYTES 4u
#define BB_MSG_CRC_BYTES 4u
#define BB_MSG_OVERHEAD (BB_MSG_HEADER_BYTES + BB_MSG_CRC_BYTES)
#define BB_MSG_MIN_BYTES BB_MSG_OVERHEAD
/* No board may advertise a max_payload above this. */
#define BB_PAYLOAD_LIMIT 4096u

/* flags */
#define BB_FLAG_RESPONSE 0x01u
#define BB_FLAG_ERROR 0x02u
#define BB_FLAG_EVENT 0x04u

/* command codes */
#define BB_CMD_HELLO 0x01u
#define BB_CMD_PING 0x02u
#define BB_CMD_STATS 0x03u /* memory and link counters (docs/protocol.md, STATS) */
#define BB_CMD_STREAM_START 0x10u
#define BB_CMD_STREAM_STOP 0x11u
#define BB_CMD_SAMPLES 0x12u /* event only */
#define BB_CMD_MODEL_BEGIN 0x20u
#define BB_CMD_MODEL_CHUNK 0x21u
#define BB_CMD_MODEL_COMMIT 0x22u
#define BB_CMD_MODEL_INFO 0x23u
#define BB_CMD_INFER 0x30u
#define BB_CMD_LAYER_OUTPUT 0x31u
#define BB_CMD_RESET 0x40u

/*
 * Status codes. 0 is success inside the firmware; the non-zero values are exactly the
 * protocol's error codes so a status can go on the wire unchanged.
 */
typedef enum {
    BB_OK = 0,
    BB_ERR_BAD_REQUEST = 1,
    BB_ERR_UNKNOWN_COMMAND = 2,
    BB_ERR_BAD_STATE = 3,
    BB_ERR_CRC_MISMATCH = 4,
    BB_ERR_TOO_LARGE = 5,
    BB_ERR_NO_MODEL = 6,
    BB_ERR_NOT_IMPLEMENTED = 7,
    BB_ERR_UNSUPPORTED_MODEL = 8,
    BB_ERR_BUSY = 9,
} bb_status_t;

/* STREAM channel mask bits */
#define BB_CH_ACC_X 0x01u
#define BB_CH_ACC_Y 0x02u
#define BB_CH_ACC_Z 0x04u
#define BB_CH_GYRO_X 0x08u
#define BB_CH_GYRO_Y 0x10u
#define BB_CH_GYRO_Z 0x20u
#define BB_CH_ALL 0x3Fu
#define BB_CH_COUNT 6u

/* SAMPLES payload header: frame_no, t0_us, n_samples, n_channels, reserved */
#define BB_SAMPLES_HEADER_BYTES 12u

/* HelloInfo.counter_kind */
#define BB_COUNTER_CYCLES 0u
#define BB_COUNTER_INSTRUCTIONS 1u
#define BB_COUNTER_MICROSECONDS 2u

/* HelloInfo.kernel_mask */
#define BB_KERNEL_CONV1D 0x0001u
#define BB_KERNEL_CONV2D 0x0002u
#define BB_KERNEL_DEPTHWISE 0x0004u
#define BB_KERNEL_DENSE 0x0008u
#define BB_KERNEL_GRU 0x0010u
#define BB_KERNEL_POOL 0x0020u
#define BB_KERNEL_RELU 0x0040u
#define BB_KERNEL_SOFTMAX 0x0080u

/* HelloInfo.weight_bits_mask: bit (n-1) set means n-bit weights are supported. */
#define BB_WBITS_1 0x01u
#define BB_WBITS_2 0x02u
#define BB_WBITS_4 0x08u
#define BB_WBITS_8 0x80u

/* Fixed part of HelloInfo before the four strings. */
#define BB_HELLO_FIXED_BYTES 38u

/* STATS response: stack_bytes, stack_hwm_bytes, arena_bytes, arena_used_last, rx_dropped_frames */
#define BB_STATS_BYTES 20u

/* ModelInfo */
#define BB_MODEL_STATE_NONE 0u
#define BB_MODEL_STATE_ACTIVE 1u
#define BB_MODEL_STATE_LOADING 2u
#define BB_MODEL_SLOT_NONE 0xFFu
#define BB_MODEL_HASH_BYTES 8u
#define BB_MODEL_INFO_BYTES 24u

#endif /* BB_PROTOCOL_H */
