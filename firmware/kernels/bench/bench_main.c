/*
 * Kernel benchmark firmware (bench/kernels.ts builds and runs it on the virtual boards under
 * -icount). Runs the layer shapes through every weight width and the plain C int8 loop
 * built in this same image, timing each with the board's profiling counter (retired
 * instructions under -icount), and on boards with RAM to spare cross-checks every optimised
 * kernel against the portable reference on random data. Prints one line per result:
 *   BENCH <shape> <variant> <macs> <counter_units> <weight_bytes>
 *   CHECK <shape> <variant> <mismatches>
 *   DONE <overhead>
 */
#include <stdint.h>

#include "bb_app.h"
#include "bb_hal.h"
#include "uart_print.h"
#include "bb_kernels.h"
#include "bb_requant.h"
#include "bb_timing.h"

typedef struct {
    const char *name;
    uint16_t in_w, in_c, out_c, k; /* conv1d valid, stride 1; dense: in_w = 1, k = 1 */
    uint8_t small;                  /* fits the M0 build */
} shape_t;

static const shape_t shapes[] = {
    {"conv_128x9_k3_64", 128, 9, 64, 3, 0},
    {"conv_126x64_k3_64", 126, 64, 64, 3, 0},
    {"dense_3968_6", 1, 3968, 6, 1, 0},
    {"dense_256_64", 1, 256, 64, 1, 1},
    {"conv_62x16_k3_16", 62, 16, 16, 3, 1},
    {"conv_61x6_k3_6", 61, 6, 6, 3, 1}, /* seed 000's gesture conv (rows of 18, 6 filters), stride 1: 59 positions */
};

#ifdef BB_BENCH_SMALL
#define IN_MAX 1024u
#define OUT_MAX 1024u
#define W_MAX 0u /* weights are read from flash: instruction counts do not depend on their values */
#else
#define IN_MAX 8192u
#define OUT_MAX 8192u
#define W_MAX 24576u
#endif

static int8_t g_in[IN_MAX] __attribute__((aligned(4)));
static int8_t g_out[OUT_MAX] __attribute__((aligned(4)));
static int8_t g_ref[OUT_MAX] __attribute__((aligned(4)));
static int8_t g_scratch[1024] __attribute__((aligned(4)));
#if W_MAX
static uint8_t g_w[W_MAX] __attribute__((aligned(4)));
#endif
static int32_t g_bias[64], g_wsum[64], g_mult[64], g_shift[64];

static uint32_t rng = 12345u;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

typedef bb_kstatus_t (*conv_fn)(const bb_conv_params_t *p, const bb_act_params_t *act, const bb_chan_params_t *ch, const int8_t *in,
                                const uint8_t *w, int8_t *out, int8_t *scratch);

typedef struct {
    const char *name;
    uint32_t bits;
    bb_fc_fn fc;
    bb_fc_fn ref;  /* for the cross-check */
    conv_fn conv;  /* the layer entry point the model runner calls (0: bb_conv_generic over fc) */
} variant_t;

static const variant_t variants[] = {
    {"plain_c_s8", 8, bb_fc_s8_ref, 0, 0},
    {"s8", 8, bb_fc_s8, bb_fc_s8_ref, bb_conv2d_s8},
    {"s4", 4, bb_fc_s4, bb_fc_s4_ref, bb_conv2d_s4},
    {"s2", 2, bb_fc_s2, bb_fc_s2_ref, bb_conv2d_s2},
    {"b1", 1, bb_fc_b1, bb_fc_b1_ref, bb_conv2d_b1},
};

#if W_MAX
/* Valid random packed weights and matching weight sums. */
static void fill_weights(uint8_t *w, uint32_t rows, uint32_t row_len, uint32_t stride, uint32_t bits)
{
    for (uint32_t c = 0; c < rows; c++) {
        uint8_t *row = w + c * stride;
        for (uint32_t i = 0; i < stride; i++) row[i] = 0;
        int32_t sum = 0;
        for (uint32_t i = 0; i < row_len; i++) {
            int32_t v;
            switch (bits) {
            case 8: v = (int32_t)(rnd() % 255u) - 127; row[i] = (uint8_t)v; break;
            case 4: {
                v = (int32_t)(rnd() % 15u) - 7;
                const uint32_t j = i & 7u;
                row[(i >> 3) * 4u + (j & 3u)] |= (uint8_t)(((uint32_t)v & 0xFu) << (j < 4u ? 0u : 4u));
                break;
            }
            case 2: {
                v = (int32_t)(rnd() % 3u) - 1;
                const uint32_t bit = 2u * (i & 15u);
                row[(i >> 4) * 4u + (bit >> 3)] |= (uint8_t)(((uint32_t)v & 3u) << (bit & 7u));
                break;
            }
            default:
                v = (rnd() & 1u) ? 1 : -1;
                if (v > 0) row[(i >> 5) * 4u + ((i & 31u) >> 3)] |= (uint8_t)(1u << (i & 7u));
                break;
            }
            sum += v;
        }
        g_wsum[c] = sum;
    }
}

#endif

extern const uint8_t __bb_bench_flash_weights[];

/* in_len: the column entries fc reads (the padded row for the int8 kernel, as bb_conv1d_s8 passes). */
static uint32_t run_one(const shape_t *s, bb_fc_fn fc, conv_fn conv, const uint8_t *w, uint32_t stride, uint32_t in_len, int8_t *out)
{
    const bb_act_params_t act = {3, -2, -128, 127};
    const bb_chan_params_t ch = {g_bias, g_wsum, g_mult, g_shift};
    const bb_timing_mark_t t0 = bb_timing_start();
    if (s->k == 1u && s->in_w == 1u) {
        fc(&act, &ch, g_in, s->in_c, w, stride, s->out_c, out);
    } else {
        const bb_conv_params_t p = {1, s->in_w, s->in_c, 1, (uint16_t)(s->in_w - s->k + 1u), s->out_c, 1, s->k, 1, 1, 0, 0, stride};
        if (conv) conv(&p, &act, &ch, g_in, w, out, g_scratch);
        else bb_conv_generic(&p, &act, &ch, g_in, w, out, g_scratch, fc, in_len);
    }
    return bb_timing_elapsed(t0);
}

/*
 * Binary GRU (bb_gru_b1, speed builds: ±1 pair words where the rows fit bb_gru_pairs' buffer, else
 * subset-sum tables, rows of 9–16 inputs on their one-load path) against bb_gru over the bit-serial
 * bb_dot_b1, and the 4/2-bit GRU on pair words (bb_gru_pairs) against bb_gru over bb_dot_s4 /
 * bb_dot_s2: inputs of 1–13 and 16 values and 50, 97 (one table chunk is 48; the pair kernels take up
 * to 64), 1–7 units (3–21 rows), 1–3 steps, both output modes, any shifts, activations half at −128,
 * weights any bit patterns (the rows' padding too).
 */
static void gru_sweep(uint32_t bits)
{
    uint32_t bad = 0;
    static int32_t scratch[6u * 16u + 4u];
    static const uint32_t lens[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 16, 50, 97};
    /* Units 6, 7, 12, 16 (and 4 with 50 inputs): rows over bb_gru_pairs' buffer, bb_packed_matvec's paths. */
    static const uint32_t units[] = {1, 2, 3, 4, 5, 6, 7, 12, 16};
    for (uint32_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
        for (uint32_t ui = 0; ui < sizeof units / sizeof units[0]; ui += 1u + (lens[li] > 16u ? 2u : 0u)) {
            const uint32_t u = units[ui];
            const uint32_t in_len = lens[li], steps = 1u + rnd() % 3u;
            const uint32_t in_stride = ((in_len * bits + 31u) / 32u) * 4u, rec_stride = ((u * bits + 31u) / 32u) * 4u;
            static int32_t p_in[4][48], p_rec[4][48];
            for (uint32_t r = 0; r < 3u * u; r++) {
                p_in[0][r] = (int32_t)(rnd() % 2001u) - 1000;
                p_in[1][r] = (int32_t)(rnd() % 41u) - 20;
                p_in[2][r] = (int32_t)(0x40000000u + rnd() % 0x40000000u);
                p_in[3][r] = (int32_t)(rnd() % 24u) - 14; /* −14 … 9: both requant branches and saturation */
                p_rec[0][r] = (int32_t)(rnd() % 2001u) - 1000;
                p_rec[1][r] = (int32_t)(rnd() % 11u) - 5;
                p_rec[2][r] = (int32_t)(0x40000000u + rnd() % 0x40000000u);
                p_rec[3][r] = (int32_t)(rnd() % 24u) - 14;
            }
#if W_MAX
            for (uint32_t i = 0; i < 3u * u * in_stride + 3u * u * rec_stride; i++) g_w[i] = (uint8_t)rnd();
            const uint8_t *w = g_w;
#else
            const uint8_t *w = __bb_bench_flash_weights + 4u * (rnd() % 1024u); /* any bit patterns */
#endif
            const bb_gru_params_t gp = {
                .steps = steps,
                .in_len = in_len,
                .units = u,
                .in_zp = (int32_t)(rnd() % 256u) - 128,
                .return_sequences = rnd() & 1u,
                .w_in = w,
                .in_stride = in_stride,
                .in_ch = {p_in[0], p_in[1], p_in[2], p_in[3]},
                .w_rec = w + 3u * u * in_stride,
                .rec_stride = rec_stride,
                .rec_ch = {p_rec[0], p_rec[1], p_rec[2], p_rec[3]},
            };
            for (uint32_t i = 0; i < steps * in_len; i++) g_in[i] = (int8_t)(rnd() & 1u ? 0x80u : rnd());
            if (bits == 1u) {
                bb_gru_b1(&gp, g_in, g_out, scratch);
                bb_gru(&gp, g_in, g_ref, scratch, bb_dot_b1);
            } else {
                bb_gru_pairs(&gp, g_in, g_out, scratch, bits);
                bb_gru(&gp, g_in, g_ref, scratch, bits == 4u ? bb_dot_s4 : bb_dot_s2);
            }
            const uint32_t n = gp.return_sequences ? steps * u : u;
            for (uint32_t i = 0; i < n; i++) bad += g_out[i] != g_ref[i];
        }
    }
    bb_print(bits == 1u ? "CHECK gru_sweep b1 " : bits == 4u ? "CHECK gru_sweep s4 " : "CHECK gru_sweep s2 ");
    bb_print_u32(bad);
    bb_print("\n");
}

/*
 * bb_requant32 (every kernel's requantiser) and the binary kernels' forms (bb_requant32_b1, _wide,
 * and _s16 on accumulators that fit int16), their 32-bit branches compiled for this core, against
 * the exact int64 form saturated as bb_requant32 documents: every shift, accumulators small and
 * large, both ends of the multiplier range, and ±1 around powers of two.
 */
static void requant_sweep(void)
{
    uint32_t bad = 0;
    for (uint32_t i = 0; i < 20000u; i++) {
        const uint32_t kind = i & 3u;
        int32_t acc = kind == 0u   ? (int32_t)rnd()
                      : kind == 1u ? (int32_t)(rnd() % 4001u) - 2000
                      : kind == 2u ? (int32_t)(rnd() % 400001u) - 200000
                                   : (int32_t)((1u << (rnd() % 31u)) + (rnd() % 3u) - 1u) * ((rnd() & 1u) ? 1 : -1);
        const int32_t mult = i % 7u == 0u ? (int32_t)0x7FFFFFFF : i % 11u == 0u ? 0x40000000 : (int32_t)(0x40000000u + rnd() % 0x40000000u);
        const int32_t shift = (int32_t)(i % 62u) - 31;
        const int64_t e = bb_requant(acc, mult, shift);
        const int32_t want = e > 0x7FFFFF00 ? 0x7FFFFF00 : e < -0x7FFFFF00 ? -0x7FFFFF00 : (int32_t)e;
        bad += bb_requant32(acc, mult, shift) != want;
        bad += bb_requant32_b1(acc, mult, shift) != want;
        bad += bb_requant32_wide(acc, mult, shift) != want;
        if (bb_fits_s16(acc)) bad += bb_requant32_s16(acc, mult, shift) != want;
    }
    bb_print("CHECK requant32 all ");
    bb_print_u32(bad);
    bb_print("\n");
}

typedef bb_kstatus_t (*pool_fn)(const bb_conv_params_t *p, const bb_act_params_t *act, int32_t mult, int32_t shift, const int8_t *in,
                                int8_t *out);

/* Pools as the runner calls them: 'valid', channels last, one requant (identity: mult 2^30, shift 1). */
static bb_conv_params_t pool_params(uint16_t in_h, uint16_t in_w, uint16_t c, uint16_t kh, uint16_t kw, uint16_t sh, uint16_t sw)
{
    const bb_conv_params_t p = {in_h, in_w, c, (uint16_t)((in_h - kh) / sh + 1u), (uint16_t)((in_w - kw) / sw + 1u), c, kh, kw, sh, sw, 0, 0, 0};
    return p;
}

/*
 * Pool shapes timed against the plain loop nest (bb_*_pool_s8_ref) and checked against it:
 *   POOL <shape> <variant> <outputs> <counter_units>
 * seed 000's gesture pool (59 × 6, window 2, identity requant), the MNIST model's second pool
 * (11 × 11 × 64, 2 × 2; M4 only), a small 2-D one both boards hold, each as max (identity), max with
 * a scale change and average.
 */
static void pool_bench(void)
{
    static const struct {
        const char *name;
        uint16_t in_h, in_w, c, kh, kw;
        uint8_t small;
    } ps[] = {
        {"pool_59x6_k2", 1, 59, 6, 1, 2, 1},
        {"pool_8x8x12_k2x2", 8, 8, 12, 2, 2, 1},
        {"pool_11x11x64_k2x2", 11, 11, 64, 2, 2, 0},
    };
    for (uint32_t si = 0; si < sizeof ps / sizeof ps[0]; si++) {
#ifdef BB_BENCH_SMALL
        if (!ps[si].small) continue;
#endif
        const bb_conv_params_t p = pool_params(ps[si].in_h, ps[si].in_w, ps[si].c, ps[si].kh, ps[si].kw, ps[si].kh, ps[si].kw);
        const uint32_t n = (uint32_t)p.out_h * p.out_w * p.out_c;
        for (uint32_t vi = 0; vi < 6u; vi++) {
            const uint32_t kind = vi >> 1, fast = vi & 1u; /* kind 0: max identity, 1: max rescaled, 2: average */
            const bb_act_params_t act = {-3, kind == 0u ? -3 : 5, -128, 127};
            const int32_t mult = kind == 0u ? 0x40000000 : kind == 1u ? 0x5A3C1F00 : 0x4CCCCCCD;
            const int32_t shift = kind == 0u ? 1 : kind == 1u ? 0 : -1 - (int32_t)(p.kh * p.kw > 2u);
            const pool_fn fn = kind == 2u ? (fast ? bb_avg_pool_s8 : bb_avg_pool_s8_ref) : (fast ? bb_max_pool_s8 : bb_max_pool_s8_ref);
            const bb_timing_mark_t t0 = bb_timing_start();
            fn(&p, &act, mult, shift, g_in, fast ? g_out : g_ref);
            const uint32_t dt = bb_timing_elapsed(t0);
            static const char *const names[] = {"max_ref", "max", "max_rq_ref", "max_rq", "avg_ref", "avg"};
            bb_print("POOL ");
            bb_print(ps[si].name);
            bb_print(" ");
            bb_print(names[vi]);
            bb_print(" ");
            bb_print_u32(n);
            bb_print(" ");
            bb_print_u32(dt);
            bb_print("\n");
            if (fast) {
                uint32_t bad = 0;
                for (uint32_t i = 0; i < n; i++) bad += g_out[i] != g_ref[i];
                bb_print("CHECK ");
                bb_print(ps[si].name);
                bb_print(" ");
                bb_print(names[vi]);
                bb_print(" ");
                bb_print_u32(bad);
                bb_print("\n");
            }
        }
    }
}

/*
 * The pool kernels (bb_max_pool_s8, bb_avg_pool_s8: 1×2 and 2×2 windows unrolled, the M4's four
 * channels at a time with an overlapping last group, the identity requant without a multiply, the
 * 16-bit requant) against the plain loop nest: 1–4 rows, 1–9 columns, 1–13 channels (every count
 * mod 4), windows up to 3 × 4 with strides 1–3 (≠ the window too), zero points anywhere,
 * act_min/act_max cutting in or not, identity / rescaling (multipliers ≥ 0.5 and saturating ones
 * too) / tiny multipliers. Bytes past the output must stay untouched.
 */
static void pool_sweep(int is_max)
{
    uint32_t bad = 0;
    for (uint32_t it = 0; it < 3000u; it++) {
        const uint16_t in_h = (uint16_t)(1u + rnd() % 4u), in_w = (uint16_t)(1u + rnd() % 9u), c = (uint16_t)(1u + rnd() % 13u);
        /* half the cases on the unrolled windows (1×2, 2×2) */
        const uint32_t shape = rnd() % 4u;
        uint16_t kh = (uint16_t)(1u + rnd() % in_h), kw = (uint16_t)(1u + rnd() % (in_w < 4u ? in_w : 4u));
        if (kh > 3u) kh = 3u;
        if (shape == 0u && in_w >= 2u) kh = 1u, kw = 2u;
        if (shape == 1u && in_w >= 2u && in_h >= 2u) kh = 2u, kw = 2u;
        const uint16_t sh = (uint16_t)(1u + rnd() % 3u), sw = (uint16_t)(1u + rnd() % 3u);
        const bb_conv_params_t p = pool_params(in_h, in_w, c, kh, kw, sh, sw);
        const uint32_t kind = rnd() % 4u; /* 0: identity; 1: multiplier 0.5–4; 2: below 0.5; 3: anything, 0 included */
        const int32_t mult = kind == 0u ? 0x40000000 : kind == 3u && (rnd() & 7u) == 0u ? 0 : (int32_t)(0x40000000u + rnd() % 0x40000000u);
        const int32_t shift = kind == 0u ? 1 : kind == 1u ? -1 + (int32_t)(rnd() % 4u) : kind == 2u ? -2 - (int32_t)(rnd() % 10u) : (int32_t)(rnd() % 62u) - 31;
        const int32_t in_zp = (rnd() & 3u) == 0u ? 0 : (int32_t)(rnd() % 256u) - 128;
        const int32_t out_zp = (rnd() & 1u) ? in_zp : (int32_t)(rnd() % 256u) - 128;
        const int32_t lo = (rnd() & 1u) ? -128 : -128 + (int32_t)(rnd() % 150u);
        const int32_t hi = (rnd() & 1u) || lo > 100 ? 127 : lo + (int32_t)(rnd() % (uint32_t)(128 - lo));
        const bb_act_params_t act = {in_zp, out_zp, lo, hi};
        for (uint32_t i = 0; i < (uint32_t)in_h * in_w * c; i++) g_in[i] = (int8_t)((rnd() & 3u) == 0u ? ((rnd() & 1u) ? 0x80u : 0x7Fu) : rnd());
        const uint32_t n = (uint32_t)p.out_h * p.out_w * c;
        for (uint32_t i = 0; i < n + 8u; i++) g_out[i] = g_ref[i] = (int8_t)(0x5Au + i);
        if (is_max) {
            bb_max_pool_s8(&p, &act, mult, shift, g_in, g_out);
            bb_max_pool_s8_ref(&p, &act, mult, shift, g_in, g_ref);
        } else {
            bb_avg_pool_s8(&p, &act, mult, shift, g_in, g_out);
            bb_avg_pool_s8_ref(&p, &act, mult, shift, g_in, g_ref);
        }
        for (uint32_t i = 0; i < n + 8u; i++) bad += g_out[i] != g_ref[i];
    }
    bb_print(is_max ? "CHECK pool_sweep max " : "CHECK pool_sweep avg ");
    bb_print_u32(bad);
    bb_print("\n");
}

void bb_main(void)
{
    bb_hal_init();
    for (uint32_t i = 0; i < 64u; i++) {
        g_bias[i] = (int32_t)(rnd() % 2001u) - 1000;
        g_mult[i] = (int32_t)(0x40000000u + rnd() % 0x3FFFFFFFu);
        g_shift[i] = -9 - (int32_t)(rnd() % 3u);
    }
    for (uint32_t i = 0; i < IN_MAX; i++) g_in[i] = (int8_t)rnd();
    /* Counter overhead of an empty measurement, reported so the host can subtract it. */
    const bb_timing_mark_t t0 = bb_timing_start();
    const uint32_t overhead = bb_timing_elapsed(t0);
    bb_print("BOARD ");
    bb_print(bb_hal_board_info()->cpu);
    bb_print("\n");
    for (uint32_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        const shape_t *s = &shapes[si];
#ifdef BB_BENCH_SMALL
        if (!s->small) continue;
#endif
        const uint32_t row_len = (uint32_t)s->k * s->in_c;
        const uint32_t out_w = s->in_w - s->k + 1u;
        const uint32_t macs = out_w * s->out_c * row_len;
        for (uint32_t vi = 0; vi < sizeof variants / sizeof variants[0]; vi++) {
            const variant_t *v = &variants[vi];
            const uint32_t stride = ((row_len * v->bits + 31u) / 32u) * 4u;
#if W_MAX
            uint8_t *w = g_w;
            fill_weights(w, s->out_c, row_len, stride, v->bits);
#else
            const uint8_t *w = __bb_bench_flash_weights;
            for (uint32_t c = 0; c < s->out_c; c++) g_wsum[c] = 0;
#endif
            /* The optimised int8 conv reads the zero-padded row whole; the plain C baseline the row only. */
            const uint32_t in_len = v->ref && v->bits == 8u ? stride : row_len;
            const uint32_t dt = run_one(s, v->fc, v->conv, w, stride, in_len, g_out);
            bb_print("BENCH ");
            bb_print(s->name);
            bb_print(" ");
            bb_print(v->name);
            bb_print(" ");
            bb_print_u32(macs);
            bb_print(" ");
            bb_print_u32(dt);
            bb_print(" ");
            bb_print_u32(stride * s->out_c);
            bb_print("\n");
            /* Flash rows (the M0) have nonzero padding, which the int8 conv reads: no check of int8 on rows that are not whole words. */
            if (v->ref && (W_MAX || v->bits != 8u || row_len % 4u == 0u)) {
                run_one(s, v->ref, 0, w, stride, row_len, g_ref);
                uint32_t bad = 0;
                for (uint32_t i = 0; i < out_w * s->out_c; i++) bad += g_out[i] != g_ref[i];
                bb_print("CHECK ");
                bb_print(s->name);
                bb_print(" ");
                bb_print(v->name);
                bb_print(" ");
                bb_print_u32(bad);
                bb_print("\n");
            }
        }
    }
    /* Odd shapes the layer table does not reach (row tails, leftover rows, short rows): every
     * optimised kernel against its portable reference on random weights and activations. */
    for (uint32_t vi = 1; vi < sizeof variants / sizeof variants[0]; vi++) {
        const variant_t *v = &variants[vi];
        uint32_t bad = 0;
        for (uint32_t in_len = 1; in_len <= (IN_MAX > 1100u ? 1100u : IN_MAX - 16u); in_len += in_len < 80u ? 1u : 239u) {
            for (uint32_t n_out = 1; n_out <= 9u; n_out++) {
                const uint32_t stride = ((in_len * v->bits + 31u) / 32u) * 4u;
                const bb_act_params_t act = {(int32_t)(rnd() % 256u) - 128, (int32_t)(rnd() % 256u) - 128, -128, 127};
                const bb_chan_params_t ch = {g_bias, g_wsum, g_mult, g_shift};
                for (uint32_t i = 0; i < n_out; i++) {
                    /* every requantisation branch, saturation included (kind 0–3), else scales that spread the
                     * outputs over int8 (kind 4–7: multipliers 0.25–4, binary layers'; 8–15 below 0.25), so a
                     * wrong sum shows in the output instead of saturating with the right one */
                    const uint32_t kind = rnd() % 16u;
                    g_bias[i] = kind < 4u ? (int32_t)(rnd() % 200001u) - 100000 : (int32_t)(rnd() % 4001u) - 2000;
                    g_mult[i] = (int32_t)(0x40000000u + rnd() % 0x40000000u);
                    g_shift[i] = kind < 4u ? (int32_t)(rnd() % 62u) - 31 : kind < 8u ? -1 + (int32_t)(rnd() % 4u) : -2 - (int32_t)(rnd() % 8u);
                }
#if W_MAX
                const uint8_t *sw = g_w;
                fill_weights(g_w, n_out, in_len, stride, v->bits);
#else
                const uint8_t *sw = __bb_bench_flash_weights + 4u * (rnd() % 1024u); /* any bit patterns */
#endif
                for (uint32_t i = 0; i < in_len + 8u; i++) g_in[i] = (int8_t)(rnd() & 1u ? 0x80u : rnd()); /* half at the extreme −128 */
                v->fc(&act, &ch, g_in + (in_len & 3u), in_len, sw, stride, n_out, g_out);
                v->ref(&act, &ch, g_in + (in_len & 3u), in_len, sw, stride, n_out, g_ref);
                for (uint32_t i = 0; i < n_out; i++) bad += g_out[i] != g_ref[i];
            }
        }
        bb_print("CHECK sweep ");
        bb_print(v->name);
        bb_print(" ");
        bb_print_u32(bad);
        bb_print("\n");
    }
    /* Convolutions through the runner's entry points against bb_conv_generic over the portable
     * reference: row lengths 1–65 (every length mod 4), kernel widths 1–5, 'same' padding,
     * strides 1–2, 1, 3 or 5 input rows (kernel height 1, or 3 over padded rows, or 3 at stride 2 down), 1–17 output channels
     * (partial channel blocks), multipliers below 0.5 and (binary layers' per-channel scales) above.
     * The M0 (binary, 4- and 2-bit: their own conv kernels; int8 runs its fc kernel, swept above) reads
     * its weights from flash (any bits, Σw unrelated to them: both sides use the same). */
    /* Output channels: partial blocks of 4 (1, 2, 3 left over: the M4's groups of 2 and 4, the M0's odd row), and 17: more than the 4/2-bit pair kernel takes (bb_conv_pairs.c, ≤ 16 rows). */
    static const uint8_t conv_outs[] = {1, 2, 3, 6, 9, 17};
    for (uint32_t vi = 1; vi < sizeof variants / sizeof variants[0]; vi++) {
        const variant_t *v = &variants[vi];
#if !W_MAX
        if (v->bits == 8u) continue; /* flash rows have nonzero padding, which the int8 conv reads (bb_conv1d_s8) */
#endif
        uint32_t bad = 0;
        for (uint32_t in_c = 1; in_c <= 13u; in_c += 3u) {
            for (uint32_t k = 1; k <= 5u; k += 2u) {
                for (uint32_t ni = 0; ni < sizeof conv_outs / sizeof conv_outs[0]; ni++) {
                    const uint32_t n_out = conv_outs[ni];
                    for (uint32_t mode = 0; mode < 16u; mode++) {
                        /* mode 8–11: kernel 3 rows high over 3 input rows, one padded row above and below;
                         * 12–15: kernel 3 rows high over 5 input rows, stride 2 down, no padded rows (the MNIST conv's shape; 12 columns: 5 rows of 13 channels fit the M0's input buffer) */
                        const uint32_t tall2 = (mode & 12u) == 12u;
                        const uint16_t kh = mode & 8u ? 3u : 1u, pad_t = kh == 3u && !tall2 ? 1u : 0u;
                        const uint32_t row_len = kh * k * in_c, stride = ((row_len * v->bits + 31u) / 32u) * 4u;
                        const uint16_t in_w = tall2 ? 12u : 20u, sw = (uint16_t)(1u + (mode & 1u)), pad = (uint16_t)(mode & 2u ? k / 2u : 0u);
                        const uint16_t in_h = tall2 ? 5u : mode & 12u ? 3u : 1u, sh = tall2 ? 2u : in_h == 1u || kh == 3u ? 1u : 2u;
                        const uint16_t out_h = (uint16_t)((in_h + 2u * pad_t - kh) / sh + 1u);
                        const uint16_t out_w = (uint16_t)((in_w + 2u * pad - k) / sw + 1u);
                        const bb_conv_params_t p = {in_h, in_w, (uint16_t)in_c, out_h, out_w, (uint16_t)n_out, kh, (uint16_t)k, sh, sw, pad_t, pad, stride};
                        const bb_act_params_t act = {(int32_t)(rnd() % 256u) - 128, (int32_t)(rnd() % 256u) - 128, -128 + (int32_t)(rnd() % 100u), 127};
                        const bb_chan_params_t ch = {g_bias, g_wsum, g_mult, g_shift};
                        for (uint32_t i = 0; i < n_out; i++) { /* mostly scales that spread the outputs over int8; now and then any */
                            const uint32_t kind = rnd() % 16u; /* 0: any; 1–4: multiplier 0.25–4 (binary layers); else < 0.25 */
                            g_bias[i] = kind == 0u ? (int32_t)(rnd() % 200001u) - 100000 : (int32_t)(rnd() % 4001u) - 2000;
                            g_mult[i] = (int32_t)(0x40000000u + rnd() % 0x40000000u);
                            g_shift[i] = kind == 0u ? (int32_t)(rnd() % 62u) - 31 : kind <= 4u ? -1 + (int32_t)(rnd() % 4u) : -2 - (int32_t)(rnd() % 8u);
                        }
#if W_MAX
                        const uint8_t *cw = g_w;
                        fill_weights(g_w, n_out, row_len, stride, v->bits);
#else
                        const uint8_t *cw = __bb_bench_flash_weights + 4u * (rnd() % 1024u);
                        for (uint32_t i = 0; i < n_out; i++) g_wsum[i] = (int32_t)(rnd() % 41u) - 20;
#endif
                        for (uint32_t i = 0; i < (uint32_t)in_h * in_w * in_c; i++) g_in[i] = (int8_t)(rnd() & 1u ? 0x80u : rnd());
                        const uint32_t n_outs = (uint32_t)out_h * out_w * n_out;
                        for (uint32_t i = 0; i < 4u; i++) g_out[n_outs + i] = 0x5A; /* nothing may be stored past the output */
                        v->conv(&p, &act, &ch, g_in, cw, g_out, g_scratch);
                        bb_conv_generic(&p, &act, &ch, g_in, cw, g_ref, g_scratch, v->ref, row_len);
                        for (uint32_t i = 0; i < n_outs; i++) bad += g_out[i] != g_ref[i];
                        for (uint32_t i = 0; i < 4u; i++) bad += g_out[n_outs + i] != 0x5A;
                    }
                }
            }
        }
        bb_print("CHECK conv_sweep ");
        bb_print(v->name);
        bb_print(" ");
        bb_print_u32(bad);
        bb_print("\n");
    }
    gru_sweep(1u);
    gru_sweep(4u);
    gru_sweep(2u);
    requant_sweep();
    pool_bench();
    pool_sweep(1);
    pool_sweep(0);
    bb_print("DONE ");
    bb_print_u32(overhead);
    bb_print("\n");
    bb_hal_uart_flush();
    for (;;) bb_hal_wait_for_interrupt();
}
