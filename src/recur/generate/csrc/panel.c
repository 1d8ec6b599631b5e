/* y[B, G] += (x[B, K] · W[G, K]ᵀ) ⊙ s[G] on AVX-512's dot-product instructions, with W in "panel"
 * layouts packed once at load (recur/generate/kernels.py, ``pack_panels``):
 *
 *   rows in panels of 16 (G padded to Gp = 16·⌈G/16⌉ with zero rows); a panel is a run of 64-byte
 *   blocks, block j holding, for each of its 16 rows r, the P consecutive weights k = P·j .. P·j+P-1
 *   in 32-bit lane r (P = 2 bf16 or 4 int8 values; K padded to Kp, a multiple of P, with zeros).
 *
 * One broadcast of P activations then meets 16 rows' weights in one instruction, and a panel's 16
 * sums sit in one register's lanes: no horizontal sums, one pass over the panel per batch row (the
 * panel, Kp·64/P bytes, stays in L1 across the batch).
 *
 *   FMT_BF16_P16: vdpbf16ps, lane r += w[r,2j]·a[2j] + w[r,2j+1]·a[2j+1] with bf16 a. x is split as
 *     x = hi + lo, hi = bf16(x), lo = bf16(x − hi): two instructions per block keep ~16 bits of x
 *     (|x − hi − lo| ≤ 2⁻¹⁷|x|), so the format's error is the weights' rounding, as on AVX2.
 *   FMT_INT8_P16: vpdpbusd, lane r += Σ_{i<4} u[4j+i]·q[r,4j+i] with u unsigned bytes. x is quantised
 *     per batch row, dynamically: s = max|x|/127, a = round(x/s) in [−127, 127], so |x − s·a| ≤ s/2.
 *     u = a + 128 makes it unsigned; Σ u·q = Σ a·q + 128·Σ_k q[r,k], and the row sums Σ_k q[r,k]
 *     (int32, stored after the panels) take the offset back out:
 *       y[b, g] += s_g · s · (acc − 128·rowsum_g).
 *     Exact in int32 while Kp ≤ 65,536 (255·127·Kp < 2³¹); kernels.py packs larger K the AVX2 way.
 *     (A second int8 part for the residual x − s·a cost a quarter of the speed on a 2×512 LSTM and
 *     moved its validation loss by under 1e-5 nats/char: bench/generate_quality.py.)
 *
 * The plain-C loops below read the same layouts with float32 x (no activation rounding): they serve
 * when the AVX-512 path is turned off after packing.
 */

#include "kernels.h"  /* Python.h first, as it asks */
#include <math.h>
#include <stdlib.h>
#include <string.h>

static inline Py_ssize_t per_lane(int fmt) { return fmt == FMT_BF16_P16 ? 2 : 4; }
static inline Py_ssize_t padded_rows(Py_ssize_t G) { return (G + 15) / 16 * 16; }
static inline Py_ssize_t padded_cols(int fmt, Py_ssize_t K) { return (K + per_lane(fmt) - 1) / per_lane(fmt) * per_lane(fmt); }

Py_ssize_t recur_panel_bytes(int fmt, Py_ssize_t G, Py_ssize_t K) {
    const Py_ssize_t Gp = padded_rows(G), Kp = padded_cols(fmt, K);
    return fmt == FMT_BF16_P16 ? Gp * Kp * 2 : Gp * Kp + Gp * 4;  /* int8: then the int32 row sums */
}

static inline float bf16_to_f32(uint16_t v) {
    uint32_t bits = (uint32_t)v << 16;
    float out;
    memcpy(&out, &bits, sizeof out);
    return out;
}

/* Weight (g, k) as float (int8: the integer, before its row's scale). */
static inline float panel_at(int fmt, const void *W, Py_ssize_t Kp, Py_ssize_t g, Py_ssize_t k) {
    const Py_ssize_t P = per_lane(fmt), index = ((g / 16) * (Kp / P) + k / P) * 16 * P + (g % 16) * P + k % P;
    return fmt == FMT_BF16_P16 ? bf16_to_f32(((const uint16_t *)W)[index]) : (float)((const int8_t *)W)[index];
}

static void panel_plain(const RecurMatrix *W, const float *x, float *y, Py_ssize_t B, Py_ssize_t G, Py_ssize_t K,
                        Py_ssize_t g0, Py_ssize_t g1) {
    const Py_ssize_t Kp = padded_cols(W->fmt, K);
    for (Py_ssize_t g = g0; g < g1; g++)
        for (Py_ssize_t b = 0; b < B; b++) {
            float acc = 0.0f;
            for (Py_ssize_t k = 0; k < K; k++) acc += panel_at(W->fmt, W->data, Kp, g, k) * x[b * K + k];
            y[b * G + g] += W->scale ? acc * W->scale[g] : acc;
        }
}

#if RECUR_X86
/* Per-thread scratch for the rounded activations: grown as needed, never shrunk. */
static _Thread_local uint32_t *scratch;
static _Thread_local Py_ssize_t scratch_words;

static uint32_t *scratch_for(Py_ssize_t words) {
    if (words > scratch_words) {
        uint32_t *grown = realloc(scratch, (size_t)words * sizeof(uint32_t));
        if (!grown) return NULL;
        scratch = grown;
        scratch_words = words;
    }
    return scratch;
}

/* Adds a panel's 16 sums to y[g .. g+16), masked where G ends inside the panel. */
#define RECUR_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx512bf16")))
RECUR_AVX512 static inline void add_lanes(float *y, Py_ssize_t g, Py_ssize_t G, __m512 v) {
    const __mmask16 m = G - g >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (G - g)) - 1);
    _mm512_mask_storeu_ps(y + g, m, _mm512_add_ps(_mm512_maskz_loadu_ps(m, y + g), v));
}

/* u [Kp/4] words per batch row (four unsigned bytes a + 128 each); returns the row's scale s.
 * _mm512_cvtps_epi32 rounds to nearest even; the clamp catches x/s a rounding above 127. */
RECUR_AVX512 static float quantise_int8(const float *x, Py_ssize_t K, Py_ssize_t Kp, uint32_t *u) {
    __m512 top = _mm512_setzero_ps();
    Py_ssize_t k = 0;
    for (; k + 16 <= K; k += 16) top = _mm512_max_ps(top, _mm512_abs_ps(_mm512_loadu_ps(x + k)));
    if (k < K) top = _mm512_max_ps(top, _mm512_abs_ps(_mm512_maskz_loadu_ps((__mmask16)((1u << (K - k)) - 1), x + k)));
    const float largest = _mm512_reduce_max_ps(top), s = largest > 0.0f ? largest / 127.0f : 1.0f;
    const __m512 inverse = _mm512_set1_ps(1.0f / s);
    const __m512i bias = _mm512_set1_epi32(128);
    for (k = 0; k < Kp; k += 16) {  /* 16 values = 4 words; the zero padding quantises to 128 */
        const __mmask16 m = K - k >= 16 ? (__mmask16)0xFFFF : K > k ? (__mmask16)((1u << (K - k)) - 1) : 0;
        const __m512 v = _mm512_min_ps(_mm512_max_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + k), inverse),
                                                     _mm512_set1_ps(-127.0f)), _mm512_set1_ps(127.0f));
        const __m128i bytes = _mm512_cvtepi32_epi8(_mm512_add_epi32(_mm512_cvtps_epi32(v), bias));
        const __mmask16 words = Kp - k >= 16 ? (__mmask16)0xF : (__mmask16)((1u << ((Kp - k) / 4)) - 1);
        _mm_mask_storeu_epi32(u + k / 4, (__mmask8)words, bytes);
    }
    return s;
}

/* hi, lo [Kp/2] words per batch row: the bf16 pairs (x[2j], x[2j+1]) of x = hi + lo, each rounded to
 * nearest even by vcvtneps2bf16 (16 floats give 16 bf16 in order: 8 words). */
RECUR_AVX512 static void split_bf16(const float *x, Py_ssize_t K, Py_ssize_t Kp, uint32_t *hi, uint32_t *lo) {
    for (Py_ssize_t k = 0; k < Kp; k += 16) {
        const __mmask16 m = K - k >= 16 ? (__mmask16)0xFFFF : K > k ? (__mmask16)((1u << (K - k)) - 1) : 0;
        const __m512 v = _mm512_maskz_loadu_ps(m, x + k);
        const __m256bh h = _mm512_cvtneps_pbh(v);
        const __m512 wide = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32((__m256i)h), 16));
        const __m256bh l = _mm512_cvtneps_pbh(_mm512_sub_ps(v, wide));
        const __mmask8 words = Kp - k >= 16 ? (__mmask8)0xFF : (__mmask8)((1u << ((Kp - k) / 2)) - 1);
        _mm256_mask_storeu_epi32(hi + k / 2, words, (__m256i)h);
        _mm256_mask_storeu_epi32(lo + k / 2, words, (__m256i)l);
    }
}

RECUR_AVX512 static int panel_bf16(const RecurMatrix *W, const float *x, float *y, Py_ssize_t B, Py_ssize_t G,
                                   Py_ssize_t K, Py_ssize_t g0, Py_ssize_t g1) {
    const Py_ssize_t Kp = padded_cols(FMT_BF16_P16, K), J = Kp / 2;
    uint32_t *words = scratch_for(2 * B * J);
    if (!words) return -1;
    for (Py_ssize_t b = 0; b < B; b++) split_bf16(x + b * K, K, Kp, words + 2 * b * J, words + (2 * b + 1) * J);
    const uint16_t *data = W->data;
    for (Py_ssize_t g = g0; g < g1; g += 16) {
        const uint16_t *panel = data + g * Kp;  /* panel g/16 starts after g/16 panels of 16·Kp values */
        Py_ssize_t b = 0;
        for (; B > 1 && b < B; b += 4) {  /* four batch rows a round, as panel_int8 does */
            const uint32_t *hi[4];
            __m512 acc[4][2];
            for (int t = 0; t < 4; t++) {
                hi[t] = words + 2 * (b + t < B ? b + t : b) * J;
                acc[t][0] = acc[t][1] = _mm512_setzero_ps();
            }
            for (Py_ssize_t j = 0; j < J; j++) {
                const __m512bh w = (__m512bh)_mm512_loadu_si512(panel + j * 32);
                for (int t = 0; t < 4; t++) {
                    acc[t][0] = _mm512_dpbf16_ps(acc[t][0], (__m512bh)_mm512_set1_epi32((int)hi[t][j]), w);
                    acc[t][1] = _mm512_dpbf16_ps(acc[t][1], (__m512bh)_mm512_set1_epi32((int)hi[t][J + j]), w);
                }
            }
            for (int t = 0; t < 4 && b + t < B; t++) add_lanes(y + (b + t) * G, g, G, _mm512_add_ps(acc[t][0], acc[t][1]));
        }
        for (; b < B; b++) {  /* batch 1: four blocks a round of one row */
            const uint32_t *hi = words + 2 * b * J, *lo = hi + J;
            __m512 acc[4], acc2[4];  /* independent accumulators: vdpbf16ps's latency, as for int8 */
            for (int i = 0; i < 4; i++) acc[i] = acc2[i] = _mm512_setzero_ps();
            Py_ssize_t j = 0;
            for (; j + 4 <= J; j += 4)
                for (int i = 0; i < 4; i++) {
                    const __m512bh w = (__m512bh)_mm512_loadu_si512(panel + (j + i) * 32);
                    acc[i] = _mm512_dpbf16_ps(acc[i], (__m512bh)_mm512_set1_epi32((int)hi[j + i]), w);
                    acc2[i] = _mm512_dpbf16_ps(acc2[i], (__m512bh)_mm512_set1_epi32((int)lo[j + i]), w);
                }
            for (; j < J; j++) {
                const __m512bh w = (__m512bh)_mm512_loadu_si512(panel + j * 32);
                acc[0] = _mm512_dpbf16_ps(acc[0], (__m512bh)_mm512_set1_epi32((int)hi[j]), w);
                acc2[0] = _mm512_dpbf16_ps(acc2[0], (__m512bh)_mm512_set1_epi32((int)lo[j]), w);
            }
            for (int i = 1; i < 4; i++) acc[0] = _mm512_add_ps(_mm512_add_ps(acc[0], acc[i]), acc2[i]);
            add_lanes(y + b * G, g, G, _mm512_add_ps(acc[0], acc2[0]));
        }
    }
    return 0;
}

RECUR_AVX512 static int panel_int8(const RecurMatrix *W, const float *x, float *y, Py_ssize_t B, Py_ssize_t G,
                                   Py_ssize_t K, Py_ssize_t g0, Py_ssize_t g1) {
    const Py_ssize_t Kp = padded_cols(FMT_INT8_P16, K), J = Kp / 4, Gp = padded_rows(G);
    uint32_t *words = scratch_for(B * J + B);
    if (!words) return -1;
    float *scales = (float *)(words + B * J);
    for (Py_ssize_t b = 0; b < B; b++) scales[b] = quantise_int8(x + b * K, K, Kp, words + b * J);
    const int8_t *data = W->data;
    const int32_t *rowsum = (const int32_t *)(data + Gp * Kp);
    for (Py_ssize_t g = g0; g < g1; g += 16) {
        const int8_t *panel = data + g * Kp;
        const __m512i offset = _mm512_slli_epi32(_mm512_loadu_si512(rowsum + g), 7);  /* 128 · rowsum */
        const __m512 scale = _mm512_loadu_ps(W->scale + g);  /* kernels.py pads the scales to Gp */
        Py_ssize_t b = 0;
        for (; B > 1 && b < B; b += 4) {
            /* four batch rows a round share each weight block (from L1 after the first row's pass);
             * a short last tile repeats its first row, whose extra sums are dropped. Two blocks per
             * row a round: eight independent accumulators hide vpdpbusd's latency. */
            const uint32_t *u[4];
            __m512i a[4][2];
            for (int t = 0; t < 4; t++) {
                u[t] = words + (b + t < B ? b + t : b) * J;
                a[t][0] = a[t][1] = _mm512_setzero_si512();
            }
            Py_ssize_t j = 0;
            for (; j + 2 <= J; j += 2) {
                const __m512i w0 = _mm512_loadu_si512(panel + j * 64), w1 = _mm512_loadu_si512(panel + j * 64 + 64);
                for (int t = 0; t < 4; t++) {
                    a[t][0] = _mm512_dpbusd_epi32(a[t][0], _mm512_set1_epi32((int)u[t][j]), w0);
                    a[t][1] = _mm512_dpbusd_epi32(a[t][1], _mm512_set1_epi32((int)u[t][j + 1]), w1);
                }
            }
            if (j < J) {
                const __m512i w0 = _mm512_loadu_si512(panel + j * 64);
                for (int t = 0; t < 4; t++) a[t][0] = _mm512_dpbusd_epi32(a[t][0], _mm512_set1_epi32((int)u[t][j]), w0);
            }
            for (int t = 0; t < 4 && b + t < B; t++) {
                const __m512 v = _mm512_cvtepi32_ps(_mm512_sub_epi32(_mm512_add_epi32(a[t][0], a[t][1]), offset));
                add_lanes(y + (b + t) * G, g, G, _mm512_mul_ps(v, _mm512_mul_ps(scale, _mm512_set1_ps(scales[b + t]))));
            }
        }
        for (; b < B; b++) {  /* batch 1: four blocks a round of one row */
            const uint32_t *u = words + b * J;
            /* four blocks a round into independent accumulators: vpdpbusd's latency (~5 cycles) would
             * otherwise bound the loop, not the weights' bytes */
            __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
            Py_ssize_t j = 0;
            for (; j + 4 <= J; j += 4) {
                const int8_t *w = panel + j * 64;
                a0 = _mm512_dpbusd_epi32(a0, _mm512_set1_epi32((int)u[j]), _mm512_loadu_si512(w));
                a1 = _mm512_dpbusd_epi32(a1, _mm512_set1_epi32((int)u[j + 1]), _mm512_loadu_si512(w + 64));
                a2 = _mm512_dpbusd_epi32(a2, _mm512_set1_epi32((int)u[j + 2]), _mm512_loadu_si512(w + 128));
                a3 = _mm512_dpbusd_epi32(a3, _mm512_set1_epi32((int)u[j + 3]), _mm512_loadu_si512(w + 192));
            }
            for (; j < J; j++)
                a0 = _mm512_dpbusd_epi32(a0, _mm512_set1_epi32((int)u[j]), _mm512_loadu_si512(panel + j * 64));
            const __m512i sum = _mm512_add_epi32(_mm512_add_epi32(a0, a1), _mm512_add_epi32(a2, a3));
            const __m512 v = _mm512_cvtepi32_ps(_mm512_sub_epi32(sum, offset));
            add_lanes(y + b * G, g, G, _mm512_mul_ps(v, _mm512_mul_ps(scale, _mm512_set1_ps(scales[b]))));
        }
    }
    return 0;
}
#endif

void recur_panel_rows(const RecurMatrix *W, const float *x, float *y, Py_ssize_t B, Py_ssize_t G, Py_ssize_t K,
                      Py_ssize_t g0, Py_ssize_t g1) {
#if RECUR_X86
    /* whole panels only (helpers.c splits at multiples of 16); a scratch allocation failure falls
     * through to the plain loop, which needs none */
    if (recur_level >= LEVEL_AVX512 && g0 % 16 == 0 && (g1 % 16 == 0 || g1 == G)) {
        if (!(W->fmt == FMT_BF16_P16 ? panel_bf16 : panel_int8)(W, x, y, B, G, K, g0, g1)) return;
    }
#endif
    panel_plain(W, x, y, B, G, K, g0, g1);
}
