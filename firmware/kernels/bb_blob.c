/*
 * Blob parser: the same checks as src/main/engine/blob-reader.ts (minus the SHA-256 hash, which
 * the device only copies). Every offset is checked in 64-bit arithmetic before it is used, so a
 * truncated, corrupted or hostile blob is refused, never read out of bounds (fuzzed on the host
 * build: firmware/kernels/test/fuzz_blob.c).
 */
#include "bb_blob.h"

#include "bb_crc32.h"
#include "bb_kernels.h"

#ifndef BB_ENGINE_KERNELS
#define BB_ENGINE_KERNELS 0x00FFu /* conv1d, conv2d, depthwise, dense, gru, pool, relu, argmax */
#endif
#ifndef BB_ENGINE_WBITS
#define BB_ENGINE_WBITS 0x8Bu /* 1, 2, 4 and 8-bit weights */
#endif

uint16_t bb_engine_kernel_mask(void) { return (uint16_t)BB_ENGINE_KERNELS; }
uint8_t bb_engine_weight_bits_mask(void) { return (uint8_t)BB_ENGINE_WBITS; }

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24); }

/*
 * BB_BLOB_TERSE (the standalone image's size build): every check stays, but a refusal names it by
 * its line in this file ("layer 3: check 274") instead of carrying ~1.8 KB of messages in flash.
 */
#ifndef BB_BLOB_TERSE
#define BB_BLOB_TERSE 0
#endif

static uint32_t bb_put_u32(char *buf, uint32_t n, uint32_t v)
{
    char digits[10];
    uint32_t k = 0;
    do {
        digits[k++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    while (k) buf[n++] = digits[--k];
    return n;
}

/* "layer 12: <msg>[<code>]" without printf (kept off the M0 build). */
static char bb_why_buf[BB_BLOB_TERSE ? 32 : 112];
static const char *bb_why(int layer, const char *msg, uint32_t code)
{
    uint32_t n = 0;
    if (layer >= 0) {
        const char *pre = "layer ";
        while (*pre) bb_why_buf[n++] = *pre++;
        n = bb_put_u32(bb_why_buf, n, (uint32_t)layer);
        bb_why_buf[n++] = ':';
        bb_why_buf[n++] = ' ';
    }
    while (*msg && n + 11u < sizeof bb_why_buf) bb_why_buf[n++] = *msg++;
    if (code) n = bb_put_u32(bb_why_buf, n, code);
    bb_why_buf[n] = 0;
    return bb_why_buf;
}
#if BB_BLOB_TERSE
#define BB_WHY(layer, msg) bb_why((layer), "check ", (uint32_t)__LINE__)
#define BB_TXT(msg) ""
#else
#define BB_WHY(layer, msg) bb_why((layer), (msg), 0u)
#define BB_TXT(msg) (msg)
#endif

static void bb_decode_set(const uint8_t *rec, uint32_t at, bb_wset_t *s)
{
    s->n_rows = rd32(rec + at);
    s->row_len = rd32(rec + at + 4u);
    s->row_stride = rd32(rec + at + 8u);
    s->w = rec + rd32(rec + at + 12u);
    s->bias = (const int32_t *)(const void *)(rec + rd32(rec + at + 16u));
    s->wsum = (const int32_t *)(const void *)(rec + rd32(rec + at + 20u));
    s->mult = (const int32_t *)(const void *)(rec + rd32(rec + at + 24u));
    s->shift = (const int32_t *)(const void *)(rec + rd32(rec + at + 28u));
}

void bb_blob_layer(const uint8_t *blob, uint32_t offset, bb_layer_t *l)
{
    const uint8_t *r = blob + offset;
    l->op = r[BB_L_OP];
    l->bits = r[BB_L_BITS];
    l->in_zp = (int8_t)r[BB_L_IN_ZP];
    l->out_zp = (int8_t)r[BB_L_OUT_ZP];
    l->act_min = (int8_t)r[BB_L_ACT_MIN];
    l->act_max = (int8_t)r[BB_L_ACT_MAX];
    l->padding = r[BB_L_PADDING];
    l->flags = r[BB_L_FLAGS];
    l->in_h = rd16(r + BB_L_IN_H);
    l->in_w = rd16(r + BB_L_IN_H + 2u);
    l->in_c = rd16(r + BB_L_IN_H + 4u);
    l->out_h = rd16(r + BB_L_OUT_H);
    l->out_w = rd16(r + BB_L_OUT_H + 2u);
    l->out_c = rd16(r + BB_L_OUT_H + 4u);
    l->kh = rd16(r + BB_L_KH);
    l->kw = rd16(r + BB_L_KW);
    l->sh = rd16(r + BB_L_SH);
    l->sw = rd16(r + BB_L_SW);
    l->pad_t = rd16(r + BB_L_PAD_T);
    l->pad_l = rd16(r + BB_L_PAD_L);
    l->record_bytes = rd32(r + BB_L_RECORD_BYTES);
    bb_decode_set(r, BB_L_SET_A, &l->a);
    if (l->op == BB_OP_GRU) bb_decode_set(r, BB_L_SET_B, &l->b);
    else l->b.n_rows = 0;
}

#ifndef BB_ENGINE_HOST_CHECKED
#define BB_ENGINE_HOST_CHECKED 0
#endif

#if !BB_ENGINE_HOST_CHECKED
#define I32_MAX_U 2147483647u

/* Checks one weight set inside a record of `rec_bytes`; returns 0 or a message. */
static const char *bb_check_set(const uint8_t *rec, uint32_t rec_bytes, uint32_t at, uint32_t bits, int32_t in_zp)
{
    const uint32_t n_rows = rd32(rec + at);
    const uint32_t row_len = rd32(rec + at + 4u);
    const uint32_t row_stride = rd32(rec + at + 8u);
    if (n_rows < 1u || n_rows > 0x30000u) return BB_TXT("bad row count");
    if ((uint64_t)row_stride != (((uint64_t)row_len * bits + 31u) / 32u) * 4u) return BB_TXT("bad row stride");
    const uint64_t sizes[5] = {(uint64_t)row_stride * n_rows, 4ull * n_rows, 4ull * n_rows, 4ull * n_rows, 4ull * n_rows};
    for (uint32_t k = 0; k < 5u; k++) {
        const uint32_t off = rd32(rec + at + 12u + 4u * k);
        if (off % 4u != 0u || off < BB_LAYER_HEADER_BYTES || (uint64_t)off + sizes[k] > rec_bytes) return BB_TXT("section outside the record");
    }
    bb_wset_t s;
    bb_decode_set(rec, at, &s);
    for (uint32_t c = 0; c < n_rows; c++) {
        if (s.mult[c] < 0) return BB_TXT("negative multiplier");
        if (s.shift[c] < -31 || s.shift[c] > 30) return BB_TXT("shift outside [-31, 30]");
        const uint8_t *row = s.w + (uint64_t)c * row_stride;
        int64_t sum = 0;
        uint64_t abs_sum = 0;
        /* Every field of the row is read: the weights, then the padding up to row_stride, which must be 0. */
        const uint32_t slots = row_stride * 8u / bits;
        for (uint32_t i = 0; i < slots; i++) {
            uint32_t raw;
            switch (bits) {
            case 8: raw = row[i]; break;
            case 4: {
                const uint32_t j = i & 7u;
                const uint8_t b = row[(i >> 3) * 4u + (j & 3u)];
                raw = j < 4u ? (b & 0xFu) : (uint32_t)(b >> 4);
                break;
            }
            case 2: {
                const uint32_t bit = 2u * (i & 15u);
                raw = ((uint32_t)row[(i >> 4) * 4u + (bit >> 3)] >> (bit & 7u)) & 3u;
                break;
            }
            default: raw = ((uint32_t)row[(i >> 5) * 4u + ((i & 31u) >> 3)] >> (i & 7u)) & 1u; break;
            }
            if (i >= row_len) {
                /* Zero padding lets the int8 kernels run a row's last partial word like any other. */
                if (raw != 0u) return BB_TXT("nonzero padding after a weight row");
                continue;
            }
            const int32_t v = bits == 1u ? (raw ? 1 : -1) : (int32_t)(raw ^ (1u << (bits - 1u))) - (int32_t)(1u << (bits - 1u));
            if (bits == 2u && v == -2) return BB_TXT("2-bit weight uses the invalid code 10");
            sum += v;
            abs_sum += (uint64_t)(v < 0 ? -v : v);
        }
        if (sum != s.wsum[c]) return BB_TXT("stored weight sum differs from the weights");
        /* No int32 accumulator may overflow, whatever order a kernel sums in. */
        const int64_t bias = s.bias[c];
        const int64_t folded = bias - (int64_t)in_zp * sum;
        if ((uint64_t)(bias < 0 ? -bias : bias) + abs_sum * 255u > I32_MAX_U) return BB_TXT("accumulator can overflow int32");
        if ((uint64_t)(folded < 0 ? -folded : folded) + abs_sum * 128u > I32_MAX_U) return BB_TXT("accumulator can overflow int32");
    }
    return 0;
}

static uint32_t bb_conv_out(uint32_t in, uint32_t k, uint32_t s, uint32_t same, uint32_t *pad)
{
    if (!same) {
        *pad = 0;
        return in >= k ? (in - k) / s + 1u : 0u;
    }
    const uint32_t out = (in + s - 1u) / s;
    const int64_t total = (int64_t)(out - 1u) * s + k - in;
    *pad = total > 0 ? (uint32_t)(total / 2) : 0u;
    return out;
}

static uint32_t bb_align4(uint64_t n) { return (uint32_t)((n + 3u) & ~3ull); }
#endif

/* What the runner needs from a checked blob's header. */
static void bb_header_info(const uint8_t *blob, bb_blob_info_t *info)
{
    info->n_layers = rd16(blob + BB_H_N_LAYERS);
    info->in_len = (uint32_t)rd16(blob + BB_H_IN_H) * rd16(blob + BB_H_IN_W) * rd16(blob + BB_H_IN_C);
    info->out_len = rd16(blob + BB_H_OUT_LEN);
    info->arena_min = rd32(blob + BB_H_ARENA_MIN);
    info->arena_all = rd32(blob + BB_H_ARENA_ALL);
    info->scratch = rd32(blob + BB_H_SCRATCH);
    for (uint32_t k = 0; k < 8u; k++) info->hash[k] = blob[BB_H_HASH + k];
}

bb_status_t bb_blob_check(const uint8_t *blob, uint32_t size, uint32_t arena_bytes, bb_blob_info_t *info, const char **why)
{
    *why = 0;
#define REFUSE(layer, msg)                 \
    do {                                   \
        *why = BB_WHY((layer), (msg));     \
        return BB_ERR_UNSUPPORTED_MODEL;   \
    } while (0)
    if (((uintptr_t)blob & 3u) != 0u) REFUSE(-1, "blob is not 4-byte aligned in memory");
    if (size < BB_BLOB_HEADER_BYTES) REFUSE(-1, "blob truncated: shorter than its header");
    if (rd32(blob + BB_H_MAGIC) != BB_BLOB_MAGIC) REFUSE(-1, "bad magic: not a bitbench model blob");
    if (rd16(blob + BB_H_VERSION) != BB_BLOB_VERSION) REFUSE(-1, "blob format version not supported by this firmware");
    if (rd16(blob + BB_H_HEADER_BYTES) != BB_BLOB_HEADER_BYTES) REFUSE(-1, "bad header size");
    if (rd32(blob + BB_H_TOTAL) != size || (size & 3u)) REFUSE(-1, "blob size does not match its header (truncated?)");
    if (bb_crc32(blob + BB_H_TOTAL, size - BB_H_TOTAL) != rd32(blob + BB_H_CRC32)) REFUSE(-1, "blob CRC-32 mismatch (corrupted)");
    const uint32_t n_layers = rd16(blob + BB_H_N_LAYERS);
    if (n_layers < 1u || n_layers > BB_BLOB_MAX_LAYERS) REFUSE(-1, "layer count outside 1..the layers this build supports");
#if BB_ENGINE_HOST_CHECKED
    /*
     * A blob compiled into this very image (firmware/standalone with CHECK=host): bitbench's
     * exporter ran every structural check of the #else branch on it (src/main/engine/blob-reader.ts),
     * so the device checks its integrity (size, CRC-32 above) and reads the header; a layer this
     * build has no kernel for still fails at run time. Never for blobs that arrive over the wire.
     */
    const uint32_t arena_min = rd32(blob + BB_H_ARENA_MIN);
    if (arena_bytes && arena_min > arena_bytes) {
        *why = BB_WHY(-1, "model needs a larger arena than this board has");
        return BB_ERR_TOO_LARGE;
    }
    if (info) bb_header_info(blob, info);
    return BB_OK;
#else
    uint32_t h = rd16(blob + BB_H_IN_H), w = rd16(blob + BB_H_IN_W), c = rd16(blob + BB_H_IN_C);
    if (!h || !w || !c) REFUSE(-1, "input shape has a zero dimension");
    int32_t zp = (int8_t)blob[BB_H_IN_ZP];
    /* Ping-pong needs the largest align4(in) + align4(out) of a layer (the runner's two ends). */
    uint64_t pair = bb_align4((uint64_t)h * w * c);
    uint64_t all = pair;
    uint64_t scratch = 0;
    uint32_t at = BB_BLOB_HEADER_BYTES;
    for (uint32_t i = 0; i < n_layers; i++) {
        const int li = (int)i;
        if ((uint64_t)at + BB_LAYER_HEADER_BYTES > size) REFUSE(li, "record runs past the end of the blob");
        const uint8_t *rec = blob + at;
        const uint32_t rec_bytes = rd32(rec + BB_L_RECORD_BYTES);
        if (rec_bytes < BB_LAYER_HEADER_BYTES || (rec_bytes & 3u) || (uint64_t)at + rec_bytes > size) REFUSE(li, "bad record size");
        const uint32_t op = rec[BB_L_OP];
        const uint32_t bits = rec[BB_L_BITS];
        const int weighted = op == BB_OP_CONV2D || op == BB_OP_DEPTHWISE || op == BB_OP_DENSE || op == BB_OP_GRU;
        if (op < BB_OP_CONV2D || op > BB_OP_FLATTEN) REFUSE(li, "unknown op");
        if (weighted ? !(bits == 1u || bits == 2u || bits == 4u || bits == 8u) : bits != 0u) REFUSE(li, "bad weight bits");
        /* What this build lacks is refused with the reason. */
        uint32_t need = 0;
        switch (op) {
        case BB_OP_CONV2D: need = BB_KERNEL_CONV1D | BB_KERNEL_CONV2D; break;
        case BB_OP_DEPTHWISE: need = BB_KERNEL_DEPTHWISE; break;
        case BB_OP_DENSE: need = BB_KERNEL_DENSE; break;
        case BB_OP_GRU: need = BB_KERNEL_GRU; break;
        case BB_OP_MAXPOOL:
        case BB_OP_AVGPOOL: need = BB_KERNEL_POOL; break;
        case BB_OP_RELU: need = BB_KERNEL_RELU; break;
        default: break;
        }
        if (op == BB_OP_CONV2D) {
            const uint32_t kh = rd16(rec + BB_L_KH), ih = rd16(rec + BB_L_IN_H);
            need = (ih == 1u && kh == 1u) ? BB_KERNEL_CONV1D : BB_KERNEL_CONV2D;
        }
        if ((need & BB_ENGINE_KERNELS) != need) REFUSE(li, "this firmware was built without the kernel this layer needs");
        if (weighted && !((1u << (bits - 1u)) & BB_ENGINE_WBITS)) REFUSE(li, "this firmware was built without this weight bit width");

        const int32_t in_zp = (int8_t)rec[BB_L_IN_ZP], out_zp = (int8_t)rec[BB_L_OUT_ZP];
        const int32_t act_min = (int8_t)rec[BB_L_ACT_MIN], act_max = (int8_t)rec[BB_L_ACT_MAX];
        const uint32_t padding = rec[BB_L_PADDING], flags = rec[BB_L_FLAGS];
        if (in_zp != zp) REFUSE(li, "input zero point does not chain");
        if (act_min > act_max) REFUSE(li, "act_min > act_max");
        if (padding > 1u) REFUSE(li, "bad padding");
        if ((flags & ~1u) || (flags && op != BB_OP_GRU)) REFUSE(li, "bad flags");
        const uint32_t ih = rd16(rec + BB_L_IN_H), iw = rd16(rec + BB_L_IN_H + 2u), ic = rd16(rec + BB_L_IN_H + 4u);
        const uint32_t oh = rd16(rec + BB_L_OUT_H), ow = rd16(rec + BB_L_OUT_H + 2u), oc = rd16(rec + BB_L_OUT_H + 4u);
        const uint32_t kh = rd16(rec + BB_L_KH), kw = rd16(rec + BB_L_KW), sh = rd16(rec + BB_L_SH), sw = rd16(rec + BB_L_SW);
        const uint32_t pt = rd16(rec + BB_L_PAD_T), pl = rd16(rec + BB_L_PAD_L);
        if (ih != h || iw != w || ic != c) REFUSE(li, "input shape does not chain with the previous output");
        if (!oh || !ow || !oc || !kh || !kw || !sh || !sw) REFUSE(li, "zero dimension, kernel or stride");
        const char *err = bb_check_set(rec, rec_bytes, BB_L_SET_A, weighted ? bits : 8u, in_zp);
        if (err) REFUSE(li, err);
        const uint32_t a_rows = rd32(rec + BB_L_SET_A), a_len = rd32(rec + BB_L_SET_A + 4u);
        switch (op) {
        case BB_OP_CONV2D:
        case BB_OP_DEPTHWISE: {
            uint32_t ph, pw;
            const uint32_t eh = bb_conv_out(ih, kh, sh, padding, &ph), ew = bb_conv_out(iw, kw, sw, padding, &pw);
            if (eh != oh || ew != ow || ph != pt || pw != pl) REFUSE(li, "output shape or padding does not follow from the kernel");
            const int dw = op == BB_OP_DEPTHWISE;
            if (dw && oc != ic) REFUSE(li, "depthwise must keep the channel count");
            if (a_rows != oc || (uint64_t)a_len != (uint64_t)kh * kw * (dw ? 1u : ic)) REFUSE(li, "weights do not fit the kernel");
            if (!dw) {
                const uint64_t s = bb_align4((uint64_t)kh * kw * ic);
                if (s > scratch) scratch = s;
            }
            break;
        }
        case BB_OP_DENSE:
            if (oh != 1u || ow != 1u || a_rows != oc || (uint64_t)a_len != (uint64_t)ih * iw * ic) REFUSE(li, "weights do not fit the dense shapes");
            break;
        case BB_OP_GRU: {
            const uint32_t u = a_rows / 3u;
            if (a_rows % 3u || !u || ih != 1u || a_len != ic) REFUSE(li, "GRU kernel does not fit the input");
            err = bb_check_set(rec, rec_bytes, BB_L_SET_B, bits, 0);
            if (err) REFUSE(li, err);
            if (rd32(rec + BB_L_SET_B) != 3u * u || rd32(rec + BB_L_SET_B + 4u) != u) REFUSE(li, "GRU recurrent kernel does not fit the units");
            if (out_zp != 0) REFUSE(li, "GRU state is Q7 with zero point 0");
            if (oh != 1u || ow != ((flags & 1u) ? iw : 1u) || oc != u) REFUSE(li, "GRU output shape does not follow from the units");
            const uint64_t s = 24ull * u + bb_align4(u);
            if (s > scratch) scratch = s;
            break;
        }
        case BB_OP_MAXPOOL:
        case BB_OP_AVGPOOL: {
            uint32_t p0, p1;
            if (padding || oh != bb_conv_out(ih, kh, sh, 0, &p0) || ow != bb_conv_out(iw, kw, sw, 0, &p1) || oc != ic) REFUSE(li, "pool output shape does not follow from the window");
            if (a_rows != 1u || a_len != 0u) REFUSE(li, "pool carries one requant and no weights");
            if ((uint64_t)kh * kw * 255u > I32_MAX_U) REFUSE(li, "pool window too large");
            break;
        }
        case BB_OP_RELU:
            if (oh != ih || ow != iw || oc != ic || a_rows != 1u || a_len != 0u) REFUSE(li, "relu keeps the shape and carries one requant");
            break;
        default: /* flatten */
            if (oh != 1u || ow != 1u || (uint64_t)oc != (uint64_t)ih * iw * ic || in_zp != out_zp) REFUSE(li, "flatten must produce [1, 1, n] with the same zero point");
            break;
        }
        const uint64_t n = (uint64_t)oh * ow * oc;
        if (op != BB_OP_FLATTEN) {
            const uint64_t io = bb_align4((uint64_t)h * w * c) + bb_align4(n);
            if (io > pair) pair = io;
            all += bb_align4(n);
        }
        h = oh;
        w = ow;
        c = oc;
        zp = out_zp;
        at += rec_bytes;
    }
    if (at != size) REFUSE(-1, "bytes after the last layer record");
    if (rd16(blob + BB_H_OUT_LEN) != (uint64_t)h * w * c) REFUSE(-1, "output length does not match the last layer");
    if ((int8_t)blob[BB_H_OUT_ZP] != zp) REFUSE(-1, "output zero point does not match the last layer");
    const uint32_t hdr_scratch = rd32(blob + BB_H_SCRATCH);
    const uint32_t arena_min = rd32(blob + BB_H_ARENA_MIN);
    const uint32_t arena_all = rd32(blob + BB_H_ARENA_ALL);
    if (hdr_scratch < scratch) REFUSE(-1, "header scratch size is less than the kernels need");
    if (arena_min < pair + hdr_scratch) REFUSE(-1, "header arena_min is less than the layers need");
    if (arena_all < all + hdr_scratch) REFUSE(-1, "header arena_all is less than the layers need");
    if (arena_bytes && arena_min > arena_bytes) {
        *why = BB_WHY(-1, "model needs a larger arena than this board has");
        return BB_ERR_TOO_LARGE;
    }
    if (info) bb_header_info(blob, info);
    return BB_OK;
#endif
#undef REFUSE
}
