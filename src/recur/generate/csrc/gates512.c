/* gates.c's LSTM, GRU and tanh loops on 16 lanes (AVX-512), for the CPUs that panel.c's loops serve:
 * the same equations, the same Cephes exp (relative error ~1e-7) with σ(x) = 1 / (1 + e^{-x}) and
 * tanh(x) = 2σ(2x) − 1; the exponent's rounding by vrndscaleps and its 2ⁿ by vscalefps. The last
 * H mod 16 units run masked. */

#include "kernels.h"  /* Python.h first, as it asks */

#if RECUR_X86
#define RECUR_AVX512F __attribute__((target("avx512f")))

RECUR_AVX512F static inline __m512 exp16(__m512 x) {
    x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(EXP_MIN)), _mm512_set1_ps(EXP_MAX));  /* kernels.h */
    const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(EXP_LOG2E)),
                                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(EXP_LN2_HI), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(EXP_LN2_LO), r);
    __m512 p = _mm512_set1_ps(EXP_P[0]);
    for (int k = 1; k < 6; k++)
        p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(EXP_P[k]));
    p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    return _mm512_scalef_ps(p, n); /* e^r · 2^n */
}

RECUR_AVX512F static inline __m512 sigmoid16(__m512 v) {
    const __m512 one = _mm512_set1_ps(1.0f);
    return _mm512_div_ps(one, _mm512_add_ps(one, exp16(_mm512_sub_ps(_mm512_setzero_ps(), v))));
}

RECUR_AVX512F static inline __m512 tanh16(__m512 v) {
    const __m512 s = sigmoid16(_mm512_add_ps(v, v));
    return _mm512_sub_ps(_mm512_add_ps(s, s), _mm512_set1_ps(1.0f));
}

static inline __mmask16 lanes(Py_ssize_t left) { return left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1); }

RECUR_AVX512F void recur_lstm512(float *z, float *c, float *h, Py_ssize_t B, Py_ssize_t H) {
    for (Py_ssize_t b = 0; b < B; b++) {
        float *zb = z + b * 4 * H, *cb = c + b * H, *hb = h + b * H;
        for (Py_ssize_t j = 0; j < H; j += 16) {
            const __mmask16 m = lanes(H - j);
            const __m512 i = sigmoid16(_mm512_maskz_loadu_ps(m, zb + j)), f = sigmoid16(_mm512_maskz_loadu_ps(m, zb + H + j));
            const __m512 g = tanh16(_mm512_maskz_loadu_ps(m, zb + 2 * H + j)), o = sigmoid16(_mm512_maskz_loadu_ps(m, zb + 3 * H + j));
            const __m512 cn = _mm512_fmadd_ps(f, _mm512_maskz_loadu_ps(m, cb + j), _mm512_mul_ps(i, g));
            _mm512_mask_storeu_ps(cb + j, m, cn);
            _mm512_mask_storeu_ps(hb + j, m, _mm512_mul_ps(o, tanh16(cn)));
        }
    }
}

RECUR_AVX512F void recur_gru512(const float *zx, const float *zh, float *h, Py_ssize_t B, Py_ssize_t H) {
    for (Py_ssize_t b = 0; b < B; b++) {
        const float *xb = zx + b * 3 * H, *hb_ = zh + b * 3 * H;
        float *hb = h + b * H;
        for (Py_ssize_t j = 0; j < H; j += 16) {
            const __mmask16 m = lanes(H - j);
            const __m512 r = sigmoid16(_mm512_add_ps(_mm512_maskz_loadu_ps(m, xb + j), _mm512_maskz_loadu_ps(m, hb_ + j)));
            const __m512 u = sigmoid16(_mm512_add_ps(_mm512_maskz_loadu_ps(m, xb + H + j), _mm512_maskz_loadu_ps(m, hb_ + H + j)));
            const __m512 n = tanh16(_mm512_fmadd_ps(r, _mm512_maskz_loadu_ps(m, hb_ + 2 * H + j), _mm512_maskz_loadu_ps(m, xb + 2 * H + j)));
            _mm512_mask_storeu_ps(hb + j, m, _mm512_fmadd_ps(u, _mm512_sub_ps(_mm512_maskz_loadu_ps(m, hb + j), n), n));
        }
    }
}

RECUR_AVX512F void recur_tanh512(const float *z, float *h, Py_ssize_t count) {
    for (Py_ssize_t j = 0; j < count; j += 16) {
        const __mmask16 m = lanes(count - j);
        _mm512_mask_storeu_ps(h + j, m, tanh16(_mm512_maskz_loadu_ps(m, z + j)));
    }
}
#endif
