/*
 * bitbench integer kernels: the one public header.
 *
 * Arithmetic (docs/integer-arithmetic.md, bit-identical to the TypeScript reference in
 * src/main/engine/reference.ts):
 *   acc   = bias[c] + Σ w·(x − in_zp)          int32; kernels fold −in_zp·Σw via wsum[c]
 *   r     = (acc·mult[c] + 2^(30−shift[c])) >> (31 − shift[c])     exact int64, round half up
 *   out   = clamp(r + out_zp, act_min, act_max)                     int8
 * Padding 'same' pads with in_zp (those taps contribute nothing).
 *
 * Tensors: int8, channels last, [h][w][c] (1-D tensors are h = 1). Activations int8 in [−128, 127].
 *
 * Weights: one packed row per output channel (conv2d row order [kh][kw][in_c], dense [in],
 * depthwise [kh][kw]); every row starts on a 4-byte boundary (row_stride = ceil(row_len·bits/32)·4).
 *   _s8: int8 holds 1 weight, in order.
 *   _s4: uint32 holds 8 × int4: weight 8k+j (j < 4) is the LOW nibble of byte j of word k, weight
 *        8k+4+j the HIGH nibble of byte j (two's complement nibbles, range [−7, 7]). This order lets
 *        the Cortex-M4 path expand a word into SXTB16 lanes with two ANDs; the portable path reads
 *        it just as easily.
 *   _s2: uint32 holds 16 × ternary, LSB first: bits 2i..2i+1 of word k hold weight 16k+i,
 *        two's complement (01 = +1, 11 = −1, 00 = 0; 10 never occurs, the blob check refuses it).
 *   _b1: uint32 holds 32 × binary, LSB first: bit i of word k is weight 32k+i, 1 → +1, 0 → −1.
 *
 * Per-channel parameters (bb_chan_params_t) are int32 arrays: bias, wsum (Σ of the row's integer
 * weights), mult ∈ [2^30, 2^31), shift ∈ [−31, 30].
 *
 * Conventions (CMSIS-NN style): kernels return bb_kstatus_t, never allocate, and take
 * caller-owned scratch whose size the matching *_get_buffer_size() returns. Pointers to packed
 * weights and int32 arrays must be 4-byte aligned (the blob guarantees it).
 *
 * Build: the portable C kernels (suffix _ref) are always compiled. -DBB_KERNELS_DSP=1 selects the
 * Cortex-M4 SIMD paths for the unsuffixed names; it fails the build on a core without the DSP
 * extension rather than silently falling back. Without it the unsuffixed fully-connected names are
 * the _c kernels (bb_fc_s8_c.c, bb_fc_pairs_c.c, bb_fc_b1_c.c: several rows per pass, pure C; on
 * ARMv6-M -DBB_KERNELS_ASM=1 swaps in Thumb-1 inner loops), the convolutions go through them, and the
 * _ref ones stay the reference the optimised kernels are checked against.
 */
#ifndef BB_KERNELS_H
#define BB_KERNELS_H

#include <stdint.h>

#ifndef BB_KERNELS_DSP
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
#define BB_KERNELS_DSP 1
#else
#define BB_KERNELS_DSP 0
#endif
#endif
#if BB_KERNELS_DSP && !(defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP)
#error "BB_KERNELS_DSP=1 needs a core with the DSP extension (Cortex-M4/M7/M33)"
#endif

/*
 * The M0 path is pure C (the _c kernels' loops, written in the shape GCC's Thumb-1 code handles:
 * the same C the host build runs). -DBB_KERNELS_ASM=1 on ARMv6-M (Cortex-M0/M0+) swaps in Thumb-1
 * assembly for the inner loops instead: bit-identical, ~25 % fewer instructions on int8 (GCC keeps
 * the four row pointers and sums on the stack there). The kernel bench measures both builds.
 */
#ifndef BB_KERNELS_ASM
#define BB_KERNELS_ASM 0
#endif
#if BB_KERNELS_ASM && defined(__arm__) && defined(__ARM_ARCH_6M__)
#define BB_KERNELS_THUMB1 1
#else
#define BB_KERNELS_THUMB1 0
#endif

typedef enum {
    BB_KOK = 0,
    BB_KERR_ARG = 1, /* a size or pointer the kernel cannot work with */
} bb_kstatus_t;

typedef struct {
    int32_t in_zp;   /* [−128, 127] */
    int32_t out_zp;  /* [−128, 127] */
    int32_t act_min; /* fused ReLU/ReLU6 as an int8 clamp */
    int32_t act_max;
} bb_act_params_t;

typedef struct {
    const int32_t *bias;
    const int32_t *wsum;
    const int32_t *mult;
    const int32_t *shift;
} bb_chan_params_t;

typedef struct {
    uint16_t in_h, in_w, in_c;
    uint16_t out_h, out_w, out_c;
    uint16_t kh, kw, sh, sw;
    uint16_t pad_t, pad_l; /* leading padding ('same'); trailing padding follows from the shapes */
    uint32_t row_stride;   /* bytes per packed weight row */
} bb_conv_params_t;

/* Σ w[i]·x[i], i < n, raw int8 inputs (no zero point): the inner product every kernel is built on. */
int32_t bb_dot_s8(const int8_t *x, const uint8_t *w, uint32_t n);
int32_t bb_dot_s4(const int8_t *x, const uint8_t *w, uint32_t n);
int32_t bb_dot_s2(const int8_t *x, const uint8_t *w, uint32_t n);
int32_t bb_dot_b1(const int8_t *x, const uint8_t *w, uint32_t n);
typedef int32_t (*bb_dot_fn)(const int8_t *x, const uint8_t *w, uint32_t n);

/*
 * Fully connected: out[c] = requant(bias[c] + Σ_i w[c][i]·(in[i] − in_zp)), c < n_out.
 * Also the per-pixel matrix-vector product of the convolutions. No scratch.
 */
typedef bb_kstatus_t (*bb_fc_fn)(const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in, uint32_t in_len,
                                 const uint8_t *w, uint32_t row_stride, uint32_t n_out, int8_t *out);
bb_kstatus_t bb_fc_s8_ref(const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in, uint32_t in_len,
                          const uint8_t *w, uint32_t row_stride, uint32_t n_out, int8_t *out);
bb_kstatus_t bb_fc_s4_ref(const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in, uint32_t in_len,
                          const uint8_t *w, uint32_t row_stride, uint32_t n_out, int8_t *out);
bb_kstatus_t bb_fc_s2_ref(const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in, uint32_t in_len,
                          const uint8_t *w, uint32_t row_stride, uint32_t n_out, int8_t *out);
bb_kstatus_t bb_fc_b1_ref(const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in, uint32_t in_len,
                          const uint8_t *w, uint32_t row_stride, uint32_t n_out, int8_t *out);
#if BB_KERNELS_DSP
bb_kstatus_t bb_fc_s8(const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in, uint32_t in_len,
                      const uint8_t *w, uint32_t row_stride, uint32_t n_out, int8_t *out);
bb_kstatus_t bb_fc_s4(const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in, uint32_t in_len,
                      const uint8_t *w, uint32_t row_stride, uint32_t n_out, int8_t *out);
bb_kstatus_t bb_fc_s2(const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in, uint32_t in_len,
                      const uint8_t *w, uint32_t row_stride, uint32_t n_out, int8_t *out);
bb_kstatus_t bb_fc_b1(const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in, uint32_t in_len,
                      const uint8_t *w, uint32_t row_stride, uint32_t n_out, int8_t *out);
#else
/* Portable kernels (bb_fc_s8_c.c, bb_fc_pairs_c.c): what cores without the DSP extension run. */
bb_kstatus_t bb_fc_s8_c(const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in, uint32_t in_len,
                        const uint8_t *w, uint32_t row_stride, uint32_t n_out, int8_t *out);
bb_kstatus_t bb_fc_s4_c(const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in, uint32_t in_len,
                        const uint8_t *w, uint32_t row_stride, uint32_t n_out, int8_t *out);
bb_kstatus_t bb_fc_s2_c(const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in, uint32_t in_len,
                        const uint8_t *w, uint32_t row_stride, uint32_t n_out, int8_t *out);
bb_kstatus_t bb_fc_b1_c(const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in, uint32_t in_len,
                        const uint8_t *w, uint32_t row_stride, uint32_t n_out, int8_t *out);
#define bb_fc_s8 bb_fc_s8_c
#define bb_fc_s4 bb_fc_s4_c
#define bb_fc_s2 bb_fc_s2_c
#define bb_fc_b1 bb_fc_b1_c
#endif

/*
 * Convolution (conv1d is conv2d with in_h = kh = 1). Input [in_h][in_w][in_c], output
 * [out_h][out_w][out_c], weights [out_c][kh][kw][in_c] packed per row. Interior outputs of a
 * 1-row kernel read the input in place; border outputs and kh > 1 gather one column into scratch.
 */
uint32_t bb_conv_get_buffer_size(const bb_conv_params_t *p);
static inline uint32_t bb_conv_row_len(const bb_conv_params_t *p) { return (uint32_t)p->kh * p->kw * p->in_c; }
/*
 * The column of the output position whose top-left tap is (y0, x0) (negative in the padding): len
 * entries read in place when they are contiguous in the input (a one-row kernel fully inside, len bytes
 * readable there), else the receptive field gathered into scratch with in_zp in the padded taps.
 * in_bytes = in_h·in_w·in_c.
 */
static inline __attribute__((always_inline)) const int8_t *bb_conv_column(const bb_conv_params_t *p, const int8_t *in,
                                                                          uint32_t in_bytes, uint32_t len, int32_t y0,
                                                                          int32_t x0, int8_t in_zp, int8_t *scratch)
{
    const uint32_t tap = p->in_c;
    const int inside = y0 >= 0 && x0 >= 0 && y0 + (int32_t)p->kh <= (int32_t)p->in_h && x0 + (int32_t)p->kw <= (int32_t)p->in_w;
    const uint32_t at = ((uint32_t)y0 * p->in_w + (uint32_t)x0) * tap;
    if (inside && p->kh == 1u && at + len <= in_bytes) return in + at;
    int8_t *dst = scratch;
    for (uint32_t ky = 0; ky < p->kh; ky++) {
        const int32_t y = y0 + (int32_t)ky;
        for (uint32_t kx = 0; kx < p->kw; kx++, dst += tap) {
            const int32_t x = x0 + (int32_t)kx;
            if (y < 0 || x < 0 || y >= (int32_t)p->in_h || x >= (int32_t)p->in_w) {
                for (uint32_t i = 0; i < tap; i++) dst[i] = in_zp;
            } else {
                const int8_t *src = in + ((uint32_t)y * p->in_w + (uint32_t)x) * tap;
                for (uint32_t i = 0; i < tap; i++) dst[i] = src[i];
            }
        }
    }
    return scratch;
}
/*
 * fc reads in_len column entries: bb_conv_row_len(p), or p->row_stride for int8 weights (zero-
 * padded rows, the blob check guarantees it; the last partial word then needs no scalar tail).
 */
bb_kstatus_t bb_conv_generic(const bb_conv_params_t *p, const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in,
                             const uint8_t *w, int8_t *out, int8_t *scratch, bb_fc_fn fc, uint32_t in_len);
/*
 * 4- and 2-bit convolutions with rows of up to 64 inputs (speed builds): weights expanded once per
 * layer into 16-bit pairs on the stack, every position a pass of pair products (bb_conv_pairs.c).
 * bits is 4 or 2, or on the M4 1 (±1 weights: the binary convs the blocked kernel does not take);
 * BB_KERR_ARG when the layer does not fit (bb_conv_pairs_fits).
 */
#ifndef BB_KERNELS_SIZE_OPT
#define BB_PAIRS_MAX_LEN 64u        /* conv row inputs (padded to 4) the pair kernel takes */
#define BB_PAIRS_MATVEC_MAX_LEN 32u /* and bb_pairs_matvec (a GRU's inputs and units) */
int bb_conv_pairs_fits(const bb_conv_params_t *p);
bb_kstatus_t bb_conv_pairs(const bb_conv_params_t *p, const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in,
                           const uint8_t *w, int8_t *out, int8_t *scratch, uint32_t bits);
#endif
#define BB_CONV_DECL(name)                                                                                                 \
    bb_kstatus_t name(const bb_conv_params_t *p, const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in, \
                      const uint8_t *w, int8_t *out, int8_t *scratch)
BB_CONV_DECL(bb_conv1d_s8);
BB_CONV_DECL(bb_conv1d_s4);
BB_CONV_DECL(bb_conv1d_s2);
BB_CONV_DECL(bb_conv1d_b1);
BB_CONV_DECL(bb_conv2d_s8);
BB_CONV_DECL(bb_conv2d_s4);
BB_CONV_DECL(bb_conv2d_s2);
BB_CONV_DECL(bb_conv2d_b1);

/* Depthwise convolution, channel multiplier 1: weights [c][kh][kw], one packed row per channel. No scratch. */
bb_kstatus_t bb_depthwise_conv(const bb_conv_params_t *p, const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in,
                               const uint8_t *w, uint32_t bits, int8_t *out);
#define bb_depthwise_conv_s8(p, a, c, i, w, o) bb_depthwise_conv((p), (a), (c), (i), (w), 8u, (o))
#define bb_depthwise_conv_s4(p, a, c, i, w, o) bb_depthwise_conv((p), (a), (c), (i), (w), 4u, (o))
#define bb_depthwise_conv_s2(p, a, c, i, w, o) bb_depthwise_conv((p), (a), (c), (i), (w), 2u, (o))
#define bb_depthwise_conv_b1(p, a, c, i, w, o) bb_depthwise_conv((p), (a), (c), (i), (w), 1u, (o))

/*
 * GRU (reset_after; gates z, r, h): input [steps][in_len] int8 with in_zp, state int8 Q7
 * (scale 1/128, zp 0). Set A: kernel rows [3u][in_len]; set B: recurrent rows [3u][u]. Their
 * requant brings accumulators to Q3.12 gate pre-activations (saturated to int16); sigmoid/tanh
 * come from the shared Q15 table (bb_tanh_lut.c). Output [u] or, with return_sequences,
 * [steps][u]. Scratch: bb_gru_get_buffer_size(units).
 */
typedef struct {
    uint32_t steps, in_len, units;
    int32_t in_zp;
    uint32_t return_sequences;
    const uint8_t *w_in;
    uint32_t in_stride;
    bb_chan_params_t in_ch;
    const uint8_t *w_rec;
    uint32_t rec_stride;
    bb_chan_params_t rec_ch;
} bb_gru_params_t;
uint32_t bb_gru_get_buffer_size(uint32_t units);
bb_kstatus_t bb_gru(const bb_gru_params_t *p, const int8_t *in, int8_t *out, void *scratch, bb_dot_fn dot);
#define bb_gru_s8(p, i, o, s) bb_gru((p), (i), (o), (s), bb_dot_s8)
#define bb_gru_s4(p, i, o, s) bb_gru((p), (i), (o), (s), bb_dot_s4)
#define bb_gru_s2(p, i, o, s) bb_gru((p), (i), (o), (s), bb_dot_s2)
#ifdef BB_KERNELS_SIZE_OPT
#define bb_gru_b1(p, i, o, s) bb_gru((p), (i), (o), (s), bb_dot_b1)
#else
/*
 * Speed builds: binary GRU, bit-identical to bb_gru(…, bb_dot_b1): on ±1 pair words (bb_gru_pairs'
 * expanded path) where its rows fit that buffer, else on subset-sum tables per step (bb_b1_matvec).
 */
bb_kstatus_t bb_gru_b1(const bb_gru_params_t *p, const int8_t *in, int8_t *out, void *scratch);
/* dot[r] = Σ_i w_r[i]·x[i], r < rows: binary rows (row_stride apart) against one int8 vector x[0..n). */
void bb_b1_matvec(const int8_t *x, uint32_t n, const uint8_t *w, uint32_t stride, uint32_t rows, int32_t *dot);
#endif

#ifndef BB_KERNELS_SIZE_OPT
/*
 * 4/2-bit GRU (speed builds): its gate rows expanded once per call into 16-bit pair words on the
 * stack (bb_pairs_expand, bb_conv_pairs.c's layout), each step's products from bb_pairs_matvec.
 * Falls back to bb_gru over bb_dot_s4 / bb_dot_s2 when the rows do not fit.
 */
bb_kstatus_t bb_gru_pairs(const bb_gru_params_t *p, const int8_t *in, int8_t *out, void *scratch, uint32_t bits);
/*
 * rows packed rows (stride apart, len weights each; bits 4, 2 or 1, binary as ±1) → pair words at out,
 * ⌈len/4⌉·2 per row; returns that count.
 */
uint32_t bb_pairs_expand(const uint8_t *w, uint32_t stride, uint32_t rows, uint32_t len, uint32_t bits, uint32_t *out);
/* dot[r] = Σ w_r·x for rows expanded by bb_pairs_expand, x[0..len), len ≤ BB_PAIRS_MATVEC_MAX_LEN. */
void bb_pairs_matvec(const int8_t *x, uint32_t len, const uint32_t *wp, uint32_t rows, int32_t *dot);
/*
 * dot[r] = Σ w_r·x, r < rows, straight from 4/2-bit rows (stride apart), x[0..len), len ≤
 * BB_GRU_PACKED_MAX_LEN: x packed once per call (M4: SMLAD lanes, bb_packed_matvec.c; M0 and host:
 * bb_fc_pairs_c.c's pair words). What bb_gru_pairs runs per step when the rows do not fit its buffer.
 */
#define BB_GRU_PACKED_MAX_LEN 64u
void bb_packed_matvec(const int8_t *x, uint32_t len, const uint8_t *w, uint32_t stride, uint32_t rows, uint32_t bits, int32_t *dot);
#endif

/* Q15 gates shared with the host: tanh and sigmoid of a Q3.12 value. */
extern const int16_t bb_tanh_q15_table[257];
int32_t bb_tanh_q15(int32_t v);
int32_t bb_sigmoid_q15(int32_t v);

/*
 * Pooling, 'valid' only (1-D pools are 2-D with kh = 1). Max: requant(max − in_zp); average:
 * requant(Σ (x − in_zp)) with mult/shift = s_in/(s_out·kh·kw). One requant for the whole tensor.
 */
bb_kstatus_t bb_max_pool_s8(const bb_conv_params_t *p, const bb_act_params_t *act, int32_t mult, int32_t shift, const int8_t *in,
                            int8_t *out);
bb_kstatus_t bb_avg_pool_s8(const bb_conv_params_t *p, const bb_act_params_t *act, int32_t mult, int32_t shift, const int8_t *in,
                            int8_t *out);
/* The plain loop nest the two above are checked against (kernel bench): same bytes, slower. */
bb_kstatus_t bb_max_pool_s8_ref(const bb_conv_params_t *p, const bb_act_params_t *act, int32_t mult, int32_t shift, const int8_t *in,
                                int8_t *out);
bb_kstatus_t bb_avg_pool_s8_ref(const bb_conv_params_t *p, const bb_act_params_t *act, int32_t mult, int32_t shift, const int8_t *in,
                                int8_t *out);

/* ReLU / ReLU6 / requantise: out = clamp(requant(x − in_zp) + out_zp, act_min, act_max). In place allowed. */
bb_kstatus_t bb_relu_s8(const bb_act_params_t *act, int32_t mult, int32_t shift, const int8_t *in, int8_t *out, uint32_t n);

/* Index of the largest value (first on ties): the device-side "softmax" of a classifier. */
uint32_t bb_argmax_s8(const int8_t *in, uint32_t n);

#endif /* BB_KERNELS_H */
