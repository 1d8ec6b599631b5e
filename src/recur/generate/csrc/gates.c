/* One step's gates, from the pre-activations z that the matrix products left:
 *
 *   LSTM   i, f, g, o = σ, σ, tanh, σ of z's four H-blocks;  c = f ⊙ c + i ⊙ g;  h = o ⊙ tanh(c)
 *   GRU    r, u = σ(zx + zh) over their blocks;  n = tanh(zx_n + r ⊙ zh_n);  h = (1 − u) ⊙ n + u ⊙ h
 *   Elman  h = tanh(z) or max(z, 0)
 *
 * The AVX2 exp is Cephes' single-precision polynomial (relative error about 1e-7) after the range
 * reduction x = n·ln 2 + r; σ(x) = 1 / (1 + e^{-x}) and tanh(x) = 2σ(2x) − 1, whose absolute error
 * stays near 1e-7.
 */

#include "kernels.h"  /* Python.h first, as it asks */
#include <math.h>

static inline float sigmoid1(float v) { return 1.0f / (1.0f + expf(-v)); }

static inline void lstm_unit(const float *zb, float *cb, float *hb, Py_ssize_t H, Py_ssize_t j) {
    float i = sigmoid1(zb[j]), f = sigmoid1(zb[H + j]), g = tanhf(zb[2 * H + j]), o = sigmoid1(zb[3 * H + j]);
    cb[j] = f * cb[j] + i * g;
    hb[j] = o * tanhf(cb[j]);
}

static inline void gru_unit(const float *xb, const float *hb_, float *hb, Py_ssize_t H, Py_ssize_t j) {
    float r = sigmoid1(xb[j] + hb_[j]), u = sigmoid1(xb[H + j] + hb_[H + j]);
    float n = tanhf(xb[2 * H + j] + r * hb_[2 * H + j]);
    hb[j] = n + u * (hb[j] - n);
}

#if RECUR_X86
RECUR_AVX2 static inline __m256 exp8(__m256 x) {
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(EXP_MIN)), _mm256_set1_ps(EXP_MAX));
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(EXP_LOG2E)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(EXP_LN2_HI), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(EXP_LN2_LO), r);
    __m256 p = _mm256_set1_ps(EXP_P[0]);
    for (int k = 1; k < 6; k++)
        p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(EXP_P[k]));
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(e)); /* e^r · 2^n */
}

RECUR_AVX2 static inline __m256 sigmoid8(__m256 v) {
    __m256 one = _mm256_set1_ps(1.0f);
    return _mm256_div_ps(one, _mm256_add_ps(one, exp8(_mm256_sub_ps(_mm256_setzero_ps(), v))));
}

RECUR_AVX2 static inline __m256 tanh8(__m256 v) {
    __m256 s = sigmoid8(_mm256_add_ps(v, v));
    return _mm256_sub_ps(_mm256_add_ps(s, s), _mm256_set1_ps(1.0f));
}

RECUR_AVX2 static void lstm_avx2(float *z, float *c, float *h, Py_ssize_t B, Py_ssize_t H) {
    const Py_ssize_t H8 = H & ~(Py_ssize_t)7;
    for (Py_ssize_t b = 0; b < B; b++) {
        float *zb = z + b * 4 * H, *cb = c + b * H, *hb = h + b * H;
        for (Py_ssize_t j = 0; j < H8; j += 8) {
            __m256 i = sigmoid8(_mm256_loadu_ps(zb + j)), f = sigmoid8(_mm256_loadu_ps(zb + H + j));
            __m256 g = tanh8(_mm256_loadu_ps(zb + 2 * H + j)), o = sigmoid8(_mm256_loadu_ps(zb + 3 * H + j));
            __m256 cn = _mm256_fmadd_ps(f, _mm256_loadu_ps(cb + j), _mm256_mul_ps(i, g));
            _mm256_storeu_ps(cb + j, cn);
            _mm256_storeu_ps(hb + j, _mm256_mul_ps(o, tanh8(cn)));
        }
        for (Py_ssize_t j = H8; j < H; j++) lstm_unit(zb, cb, hb, H, j);
    }
}

RECUR_AVX2 static void gru_avx2(const float *zx, const float *zh, float *h, Py_ssize_t B, Py_ssize_t H) {
    const Py_ssize_t H8 = H & ~(Py_ssize_t)7;
    for (Py_ssize_t b = 0; b < B; b++) {
        const float *xb = zx + b * 3 * H, *hb_ = zh + b * 3 * H;
        float *hb = h + b * H;
        for (Py_ssize_t j = 0; j < H8; j += 8) {
            __m256 r = sigmoid8(_mm256_add_ps(_mm256_loadu_ps(xb + j), _mm256_loadu_ps(hb_ + j)));
            __m256 u = sigmoid8(_mm256_add_ps(_mm256_loadu_ps(xb + H + j), _mm256_loadu_ps(hb_ + H + j)));
            __m256 n = tanh8(_mm256_fmadd_ps(r, _mm256_loadu_ps(hb_ + 2 * H + j), _mm256_loadu_ps(xb + 2 * H + j)));
            _mm256_storeu_ps(hb + j, _mm256_fmadd_ps(u, _mm256_sub_ps(_mm256_loadu_ps(hb + j), n), n));
        }
        for (Py_ssize_t j = H8; j < H; j++) gru_unit(xb, hb_, hb, H, j);
    }
}

RECUR_AVX2 static void tanh_avx2(const float *z, float *h, Py_ssize_t count) {
    Py_ssize_t j = 0;
    for (; j + 8 <= count; j += 8) _mm256_storeu_ps(h + j, tanh8(_mm256_loadu_ps(z + j)));
    for (; j < count; j++) h[j] = tanhf(z[j]);
}
#endif

void recur_lstm_cell(float *z, float *c, float *h, Py_ssize_t B, Py_ssize_t H) {
#if RECUR_X86
    if (recur_level >= LEVEL_AVX512) {
        recur_lstm512(z, c, h, B, H);
        return;
    }
    if (recur_use_avx2) {
        lstm_avx2(z, c, h, B, H);
        return;
    }
#endif
    for (Py_ssize_t b = 0; b < B; b++)
        for (Py_ssize_t j = 0; j < H; j++) lstm_unit(z + b * 4 * H, c + b * H, h + b * H, H, j);
}

void recur_gru_cell(const float *zx, const float *zh, float *h, Py_ssize_t B, Py_ssize_t H) {
#if RECUR_X86
    if (recur_level >= LEVEL_AVX512) {
        recur_gru512(zx, zh, h, B, H);
        return;
    }
    if (recur_use_avx2) {
        gru_avx2(zx, zh, h, B, H);
        return;
    }
#endif
    for (Py_ssize_t b = 0; b < B; b++)
        for (Py_ssize_t j = 0; j < H; j++) gru_unit(zx + b * 3 * H, zh + b * 3 * H, h + b * H, H, j);
}

void recur_tanh(const float *z, float *h, Py_ssize_t count) {
#if RECUR_X86
    if (recur_level >= LEVEL_AVX512) {
        recur_tanh512(z, h, count);
        return;
    }
    if (recur_use_avx2) {
        tanh_avx2(z, h, count);
        return;
    }
#endif
    for (Py_ssize_t j = 0; j < count; j++) h[j] = tanhf(z[j]);
}

void recur_relu(const float *z, float *h, Py_ssize_t count) {
    for (Py_ssize_t j = 0; j < count; j++) h[j] = z[j] > 0.0f ? z[j] : 0.0f;
}
