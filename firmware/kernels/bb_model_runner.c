#include "bb_model_runner.h"

#include "bb_kernels.h"
#include "bb_timing.h"

#ifndef BB_ENGINE_KERNELS
#define BB_ENGINE_KERNELS 0x00FFu
#endif
#ifndef BB_ENGINE_WBITS
#define BB_ENGINE_WBITS 0x8Bu
#endif

static struct {
    const uint8_t *blob; /* last blob that passed bb_blob_check */
    uint32_t size, crc;
    bb_blob_info_t info;
    int ran;
    uint32_t elapsed[BB_BLOB_MAX_LAYERS];
    const int8_t *out[BB_BLOB_MAX_LAYERS];
    uint32_t len[BB_BLOB_MAX_LAYERS];
    /* Ping-pong: which buffer holds a layer's bytes and which layer wrote each buffer last. */
    int8_t buf_of[BB_BLOB_MAX_LAYERS];
    int8_t writer_of[BB_BLOB_MAX_LAYERS];
    int8_t buf_owner[2];
} g;

void bb_engine_reset(void)
{
    g.blob = 0;
    g.ran = 0;
}

static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24); }

static bb_status_t bb_engine_ensure_checked(const uint8_t *blob, uint32_t size, uint32_t arena_bytes, const char **why)
{
    const uint32_t crc = size >= 12u ? rd32(blob + BB_H_CRC32) : 0u;
    if (g.blob == blob && g.size == size && g.crc == crc) return BB_OK;
    g.blob = 0;
    g.ran = 0;
    const bb_status_t st = bb_blob_check(blob, size, arena_bytes, &g.info, why);
    if (st != BB_OK) return st;
    g.blob = blob;
    g.size = size;
    g.crc = crc;
    return BB_OK;
}

bb_status_t bb_engine_check(const uint8_t *blob, uint32_t size, uint32_t arena_bytes, uint8_t hash[8], uint32_t *arena_needed,
                            const char **why)
{
    bb_blob_info_t info;
    const bb_status_t st = bb_blob_check(blob, size, arena_bytes, &info, why);
    if (st != BB_OK) return st;
    for (uint32_t k = 0; k < 8u; k++) hash[k] = info.hash[k];
    *arena_needed = info.arena_min;
    return BB_OK;
}

/* The helpers are unused in builds without the kernels that call them (BB_ENGINE_KERNELS). */
__attribute__((unused)) static void bb_conv_params_of(const bb_layer_t *l, bb_conv_params_t *p)
{
    p->in_h = l->in_h;
    p->in_w = l->in_w;
    p->in_c = l->in_c;
    p->out_h = l->out_h;
    p->out_w = l->out_w;
    p->out_c = l->out_c;
    p->kh = l->kh;
    p->kw = l->kw;
    p->sh = l->sh;
    p->sw = l->sw;
    p->pad_t = l->pad_t;
    p->pad_l = l->pad_l;
    p->row_stride = l->a.row_stride;
}

__attribute__((unused)) static bb_dot_fn bb_dot_for(uint32_t bits)
{
    switch (bits) {
#if BB_ENGINE_WBITS & 0x80u
    case 8: return bb_dot_s8;
#endif
#if BB_ENGINE_WBITS & 0x08u
    case 4: return bb_dot_s4;
#endif
#if BB_ENGINE_WBITS & 0x02u
    case 2: return bb_dot_s2;
#endif
#if BB_ENGINE_WBITS & 0x01u
    case 1: return bb_dot_b1;
#endif
    default: return 0;
    }
}

__attribute__((unused)) static bb_fc_fn bb_fc_for(uint32_t bits)
{
    switch (bits) {
#if BB_ENGINE_WBITS & 0x80u
    case 8: return bb_fc_s8;
#endif
#if BB_ENGINE_WBITS & 0x08u
    case 4: return bb_fc_s4;
#endif
#if BB_ENGINE_WBITS & 0x02u
    case 2: return bb_fc_s2;
#endif
#if BB_ENGINE_WBITS & 0x01u
    case 1: return bb_fc_b1;
#endif
    default: return 0;
    }
}

/* One layer; the blob is checked, so shapes and sections are known good. */
static bb_status_t bb_run_layer(const bb_layer_t *l, const int8_t *in, int8_t *out, int8_t *scratch)
{
    (void)scratch; /* only conv and GRU use it */
    __attribute__((unused)) const bb_act_params_t act = {l->in_zp, l->out_zp, l->act_min, l->act_max};
    __attribute__((unused)) const bb_chan_params_t ch = {l->a.bias, l->a.wsum, l->a.mult, l->a.shift};
    __attribute__((unused)) bb_conv_params_t p;
    bb_conv_params_of(l, &p);
    bb_kstatus_t st = BB_KERR_ARG;
    switch (l->op) {
#if BB_ENGINE_KERNELS & (BB_KERNEL_CONV1D | BB_KERNEL_CONV2D)
    case BB_OP_CONV2D: {
        const bb_fc_fn fc = bb_fc_for(l->bits);
#if !defined(BB_KERNELS_SIZE_OPT) && (BB_ENGINE_WBITS & 0x01u)
        /* Binary (speed builds): the kernels that expand each row's masks once per layer (bb_conv_b1.c). */
        if (l->bits == 1u) {
            st = bb_conv2d_b1(&p, &act, &ch, in, l->a.w, out, scratch);
            break;
        }
#endif
#if BB_ENGINE_WBITS & 0x08u
        if (l->bits == 4u) { /* short rows: weights expanded once per layer (bb_conv_pairs.c) */
            st = bb_conv2d_s4(&p, &act, &ch, in, l->a.w, out, scratch);
            break;
        }
#endif
#if BB_ENGINE_WBITS & 0x02u
        if (l->bits == 2u) {
            st = bb_conv2d_s2(&p, &act, &ch, in, l->a.w, out, scratch);
            break;
        }
#endif
        if (fc) st = bb_conv_generic(&p, &act, &ch, in, l->a.w, out, scratch, fc, l->bits == 8u ? p.row_stride : bb_conv_row_len(&p));
        break;
    }
#endif
#if BB_ENGINE_KERNELS & BB_KERNEL_DEPTHWISE
    case BB_OP_DEPTHWISE: st = bb_depthwise_conv(&p, &act, &ch, in, l->a.w, l->bits, out); break;
#endif
#if BB_ENGINE_KERNELS & BB_KERNEL_DENSE
    case BB_OP_DENSE: {
        const bb_fc_fn fc = bb_fc_for(l->bits);
        if (fc) st = fc(&act, &ch, in, l->a.row_len, l->a.w, l->a.row_stride, l->a.n_rows, out);
        break;
    }
#endif
#if BB_ENGINE_KERNELS & BB_KERNEL_GRU
    case BB_OP_GRU: {
        const bb_dot_fn dot = bb_dot_for(l->bits);
        const bb_gru_params_t gp = {
            .steps = l->in_w,
            .in_len = l->in_c,
            .units = l->b.row_len,
            .in_zp = l->in_zp,
            .return_sequences = l->flags & 1u,
            .w_in = l->a.w,
            .in_stride = l->a.row_stride,
            .in_ch = ch,
            .w_rec = l->b.w,
            .rec_stride = l->b.row_stride,
            .rec_ch = {l->b.bias, l->b.wsum, l->b.mult, l->b.shift},
        };
#if !defined(BB_KERNELS_SIZE_OPT) && (BB_ENGINE_WBITS & 0x01u)
        if (l->bits == 1u) {
            st = bb_gru_b1(&gp, in, out, scratch);
            break;
        }
#endif
#if !defined(BB_KERNELS_SIZE_OPT) && (BB_ENGINE_WBITS & 0x0Au)
        if (l->bits == 4u || l->bits == 2u) { /* rows expanded once per call (bb_gru_pairs) */
            st = bb_gru_pairs(&gp, in, out, scratch, l->bits);
            break;
        }
#endif
        if (dot) st = bb_gru(&gp, in, out, scratch, dot);
        break;
    }
#endif
#if BB_ENGINE_KERNELS & BB_KERNEL_POOL
    case BB_OP_MAXPOOL: st = bb_max_pool_s8(&p, &act, l->a.mult[0], l->a.shift[0], in, out); break;
    case BB_OP_AVGPOOL: st = bb_avg_pool_s8(&p, &act, l->a.mult[0], l->a.shift[0], in, out); break;
#endif
#if BB_ENGINE_KERNELS & BB_KERNEL_RELU
    case BB_OP_RELU: st = bb_relu_s8(&act, l->a.mult[0], l->a.shift[0], in, out, (uint32_t)l->in_h * l->in_w * l->in_c); break;
#endif
    default: break;
    }
    return st == BB_KOK ? BB_OK : BB_ERR_UNSUPPORTED_MODEL;
}

static uint32_t bb_a4(uint32_t n) { return (n + 3u) & ~3u; }

bb_status_t bb_engine_run(const uint8_t *blob, uint32_t size, uint8_t *arena, uint32_t arena_bytes, uint32_t input_len,
                          bb_engine_result_t *res, const char **why)
{
    *why = 0;
    g.ran = 0;
    bb_status_t st = bb_engine_ensure_checked(blob, size, arena_bytes, why);
    if (st != BB_OK) return st;
    const bb_blob_info_t *info = &g.info;
    if (input_len != info->in_len) {
        *why = "input length does not match the model input";
        return BB_ERR_TOO_LARGE;
    }
    if (info->arena_min > arena_bytes) {
        *why = "model needs a larger arena than this board has";
        return BB_ERR_TOO_LARGE;
    }
    const int keep_all = info->arena_all <= arena_bytes;
    int8_t *scratch = (int8_t *)(arena + arena_bytes - info->scratch);
    /*
     * Ping-pong between the two ends of [arena, scratch): a layer's input at one end, its output
     * written against the other. The blob check proved align4(in) + align4(out) + scratch ≤
     * arena_min ≤ arena_bytes for every layer, so the two never overlap.
     */
    int8_t *const top = (int8_t *)arena + ((arena_bytes - info->scratch) & ~3u); /* the pair is a multiple of 4 */
    uint32_t next = bb_a4(info->in_len); /* keep-all: next free byte */
    const int8_t *cur = (const int8_t *)arena;
    int cur_buf = 0;
    int cur_writer = -1;
    g.buf_owner[0] = -1;
    g.buf_owner[1] = -1;
    const bb_timing_mark_t t_all = bb_timing_start();
    uint32_t at = BB_BLOB_HEADER_BYTES;
    for (uint32_t i = 0; i < info->n_layers; i++) {
        bb_layer_t l;
        bb_blob_layer(blob, at, &l);
        at += l.record_bytes;
        const uint32_t n = (uint32_t)l.out_h * l.out_w * l.out_c;
        const bb_timing_mark_t t0 = bb_timing_start();
        if (l.op == BB_OP_FLATTEN) {
            /* Same bytes, new shape: alias the input. */
            g.elapsed[i] = bb_timing_elapsed(t0);
        } else {
            int8_t *out;
            int out_buf = -1;
            if (keep_all) {
                out = (int8_t *)(arena + next);
                next += bb_a4(n);
            } else {
                out_buf = 1 - cur_buf;
                out = out_buf ? top - bb_a4(n) : (int8_t *)arena;
            }
            st = bb_run_layer(&l, cur, out, scratch);
            g.elapsed[i] = bb_timing_elapsed(t0);
            if (st != BB_OK) {
                *why = "kernel refused the layer";
                return st;
            }
            cur = out;
            cur_writer = (int)i;
            if (!keep_all) {
                cur_buf = out_buf;
                g.buf_owner[out_buf] = (int8_t)i;
            }
        }
        g.out[i] = cur;
        g.len[i] = n;
        g.buf_of[i] = keep_all ? -1 : (int8_t)cur_buf;
        g.writer_of[i] = (int8_t)cur_writer;
    }
    res->elapsed = bb_timing_elapsed(t_all);
    res->n_layers = info->n_layers;
    res->layer_elapsed = g.elapsed;
    res->out = cur;
    res->out_len = info->out_len;
    g.ran = 1;
    return BB_OK;
}

bb_status_t bb_engine_layer_output(uint32_t layer, const int8_t **data, uint32_t *len)
{
    *data = 0;
    *len = 0;
    if (!g.ran || !g.blob) return BB_ERR_NO_MODEL;
    if (layer >= g.info.n_layers) return BB_ERR_BAD_REQUEST;
    /* Ping-pong: valid only while the buffer still holds what this layer's data came from. */
    if (g.buf_of[layer] >= 0 && g.buf_owner[(int)g.buf_of[layer]] != g.writer_of[layer]) return BB_ERR_BAD_STATE;
    *data = g.out[layer];
    *len = g.len[layer];
    return BB_OK;
}
