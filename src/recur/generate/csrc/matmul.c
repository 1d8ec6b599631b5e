/* y[B, G] += (x[B, K] · W[G, K]ᵀ) ⊙ s[G], with W stored in float32 (s = 1), bfloat16 (s = 1) or int8
 * with one scale per row.
 *
 * Storage. Row g of a float32 matrix is W[g*K : (g+1)*K]. Reduced-precision rows are padded to a
 * whole number of blocks (16 bf16 values, 32 int8 values) and interleaved inside each block so that
 * one 256-bit load widens to float32 with shifts and masks alone, no shuffles:
 *   bf16: 32-bit lane j of a block holds elements j (low half) and 8 + j (high half);
 *   int8: 32-bit lane j of a block holds elements j, 8 + j, 16 + j, 24 + j (bytes 0 to 3).
 * bfloat16 is the top half of a float32, so a lane shifted left 16 (or masked) is the float.
 * recur/generate/kernels.py packs matrices this way.
 */

#include "kernels.h"  /* Python.h first, as it asks */
#include <string.h>

const Py_ssize_t RECUR_FMT_BYTES[FMT_COUNT] = {4, 2, 1, 2, 1};
static const Py_ssize_t FMT_BLOCK[3] = {1, 16, 32};
int recur_use_avx2 = 0, recur_level = LEVEL_PLAIN;

static inline Py_ssize_t row_stride(int fmt, Py_ssize_t K) {
    return (K + FMT_BLOCK[fmt] - 1) / FMT_BLOCK[fmt] * FMT_BLOCK[fmt];
}

Py_ssize_t recur_matrix_bytes(int fmt, Py_ssize_t G, Py_ssize_t K) {
    if (fmt >= FMT_BF16_P16) return recur_panel_bytes(fmt, G, K);
    return G * row_stride(fmt, K) * RECUR_FMT_BYTES[fmt];
}

static inline const void *row_at(int fmt, const void *W, Py_ssize_t g, Py_ssize_t K) {
    return (const char *)W + g * row_stride(fmt, K) * RECUR_FMT_BYTES[fmt];
}

static inline float widen_bf16(uint16_t v) {
    uint32_t bits = (uint32_t)v << 16;
    float out;
    memcpy(&out, &bits, sizeof out);
    return out;
}

/* Element k of a row as float (int8: the integer, before its row's scale). */
static inline float load1(int fmt, const void *row, Py_ssize_t k) {
    if (fmt == FMT_F32) return ((const float *)row)[k];
    Py_ssize_t start = k / FMT_BLOCK[fmt] * FMT_BLOCK[fmt], within = k % FMT_BLOCK[fmt];
    if (fmt == FMT_BF16) return widen_bf16(((const uint16_t *)row)[start + (within % 8) * 2 + within / 8]);
    return (float)((const int8_t *)row)[start + (within % 8) * 4 + within / 8];
}

static void matmul_plain(int fmt, const void *W, const float *scale, const float *x, float *y, Py_ssize_t B,
                         Py_ssize_t G, Py_ssize_t K, Py_ssize_t g0, Py_ssize_t g1) {
    for (Py_ssize_t g = g0; g < g1; g++) {
        const void *row = row_at(fmt, W, g, K);
        for (Py_ssize_t b = 0; b < B; b++) {
            const float *xb = x + b * K;
            float acc = 0.0f;
            for (Py_ssize_t k = 0; k < K; k++) acc += load1(fmt, row, k) * xb[k];
            y[b * G + g] += scale ? acc * scale[g] : acc;
        }
    }
}

#if RECUR_X86
RECUR_AVX2 static inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* Each kernel takes four weight rows at a time, which share every load of x, with two accumulators
 * per row to hide the FMA latency, and one block of 16 (float32, bf16) or 32 (int8) columns per
 * iteration; the rows' last partial block goes through load1. */
#define ROWS_BY_FOUR(FMT, BLOCK, ...)                                                                  \
    const Py_ssize_t whole = K / (BLOCK) * (BLOCK), stride = row_stride(FMT, K);                       \
    Py_ssize_t g = g0;                                                                                 \
    for (; g + 4 <= g1; g += 4) {                                                                      \
        const Py_ssize_t rows[4] = {g * stride, (g + 1) * stride, (g + 2) * stride, (g + 3) * stride}; \
        for (Py_ssize_t b = 0; b < B; b++) {                                                           \
            const float *xb = x + b * K;                                                               \
            __m256 acc[4], acc2[4];                                                                    \
            for (int r = 0; r < 4; r++) acc[r] = acc2[r] = _mm256_setzero_ps();                        \
            for (Py_ssize_t k = 0; k < whole; k += (BLOCK)) {                                          \
                __VA_ARGS__                                                                            \
            }                                                                                          \
            for (int r = 0; r < 4; r++) {                                                              \
                const void *row = row_at(FMT, W, g + r, K);                                            \
                float total = hsum(_mm256_add_ps(acc[r], acc2[r]));                                    \
                for (Py_ssize_t k = whole; k < K; k++) total += load1(FMT, row, k) * xb[k];            \
                y[b * G + g + r] += scale ? total * scale[g + r] : total;                              \
            }                                                                                          \
        }                                                                                              \
    }                                                                                                  \
    matmul_plain(FMT, W, scale, x, y, B, G, K, g, g1);

RECUR_AVX2 static void matmul_avx2_f32(const void *W, const float *scale, const float *x, float *y, Py_ssize_t B,
                                       Py_ssize_t G, Py_ssize_t K, Py_ssize_t g0, Py_ssize_t g1) {
    const float *w = W;
    ROWS_BY_FOUR(FMT_F32, 16, {
        __m256 x0 = _mm256_loadu_ps(xb + k), x1 = _mm256_loadu_ps(xb + k + 8);
        for (int r = 0; r < 4; r++) {
            acc[r] = _mm256_fmadd_ps(_mm256_loadu_ps(w + rows[r] + k), x0, acc[r]);
            acc2[r] = _mm256_fmadd_ps(_mm256_loadu_ps(w + rows[r] + k + 8), x1, acc2[r]);
        }
    })
}

/* 16 bf16 per load: the low halves shifted up are the block's elements 0-7, the high halves masked 8-15. */
RECUR_AVX2 static void matmul_avx2_bf16(const void *W, const float *scale, const float *x, float *y, Py_ssize_t B,
                                        Py_ssize_t G, Py_ssize_t K, Py_ssize_t g0, Py_ssize_t g1) {
    const uint16_t *w = W;
    const __m256i high = _mm256_set1_epi32((int)0xFFFF0000u);
    ROWS_BY_FOUR(FMT_BF16, 16, {
        __m256 x0 = _mm256_loadu_ps(xb + k), x1 = _mm256_loadu_ps(xb + k + 8);
        for (int r = 0; r < 4; r++) {
            __m256i v = _mm256_loadu_si256((const __m256i *)(w + rows[r] + k));
            acc[r] = _mm256_fmadd_ps(_mm256_castsi256_ps(_mm256_slli_epi32(v, 16)), x0, acc[r]);
            acc2[r] = _mm256_fmadd_ps(_mm256_castsi256_ps(_mm256_and_si256(v, high)), x1, acc2[r]);
        }
    })
}

/* 32 int8 per load: byte j of each lane, moved to the top byte and masked, is the int32 q·2^24; its
 * float conversion is exact, and x is scaled by 2^-24 (exact too) to cancel it. */
RECUR_AVX2 static void matmul_avx2_int8(const void *W, const float *scale, const float *x, float *y, Py_ssize_t B,
                                        Py_ssize_t G, Py_ssize_t K, Py_ssize_t g0, Py_ssize_t g1) {
    const int8_t *w = W;
    const __m256i top = _mm256_set1_epi32((int)0xFF000000u);
    const __m256 unit = _mm256_set1_ps(1.0f / 16777216.0f);
    ROWS_BY_FOUR(FMT_INT8, 32, {
        __m256 x0 = _mm256_mul_ps(_mm256_loadu_ps(xb + k), unit);
        __m256 x1 = _mm256_mul_ps(_mm256_loadu_ps(xb + k + 8), unit);
        __m256 x2 = _mm256_mul_ps(_mm256_loadu_ps(xb + k + 16), unit);
        __m256 x3 = _mm256_mul_ps(_mm256_loadu_ps(xb + k + 24), unit);
        for (int r = 0; r < 4; r++) {
            __m256i v = _mm256_loadu_si256((const __m256i *)(w + rows[r] + k));
            acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_slli_epi32(v, 24)), x0, acc[r]);
            acc2[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_and_si256(_mm256_slli_epi32(v, 16), top)), x1, acc2[r]);
            acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_and_si256(_mm256_slli_epi32(v, 8), top)), x2, acc[r]);
            acc2[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_and_si256(v, top)), x3, acc2[r]);
        }
    })
}

typedef void (*matmul_fn)(const void *, const float *, const float *, float *, Py_ssize_t, Py_ssize_t, Py_ssize_t,
                          Py_ssize_t, Py_ssize_t);
static const matmul_fn MATMUL_AVX2[3] = {matmul_avx2_f32, matmul_avx2_bf16, matmul_avx2_int8};
#endif

void recur_matmul_rows(const RecurMatrix *W, const float *x, float *y, Py_ssize_t B, Py_ssize_t G, Py_ssize_t K,
                       Py_ssize_t g0, Py_ssize_t g1) {
    if (W->fmt >= FMT_BF16_P16) {
        recur_panel_rows(W, x, y, B, G, K, g0, g1);
        return;
    }
#if RECUR_X86
    if (recur_use_avx2) {
        MATMUL_AVX2[W->fmt](W->data, W->scale, x, y, B, G, K, g0, g1);
        return;
    }
#endif
    matmul_plain(W->fmt, W->data, W->scale, x, y, B, G, K, g0, g1);
}

/* The best level this CPU runs: AVX-512 needs F, BW, VL, VNNI and BF16 together (Zen 4, Sapphire Rapids and later). */
int recur_best_level(void) {
#if RECUR_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bf16"))
        return LEVEL_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return LEVEL_AVX2;
#endif
    return LEVEL_PLAIN;
}
