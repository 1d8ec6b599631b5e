/* Compiled inner loops of recur's generation engine (recur/generate/kernels.py is the Python face).
 *
 * Generating one token at a time is a chain of matrix-vector products: each step reads every
 * weight once and does two FLOPs per weight, so it is bound by how fast the core streams weights,
 * and by per-call overhead once the weights fit in cache. These loops read the weights at full
 * speed in three storage formats, and compute the gates without leaving C:
 *
 *   matmul_t   y[B, G] += (x[B, K] · W[G, K]ᵀ) ⊙ s[G]     W in float32 (s = 1), bfloat16 (s = 1)
 *                                                        or int8 with one scale per row s[g]
 *   lstm_cell  i, f, g, o = σ, σ, tanh, σ of z's four H-blocks;  c = f ⊙ c + i ⊙ g;  h = o ⊙ tanh(c)
 *   gru_cell   r, u = σ(zx + zh) over their blocks;  n = tanh(zx_n + r ⊙ zh_n);  h = (1 − u) ⊙ n + u ⊙ h
 *   tanh_into  h = tanh(z)
 *
 * bfloat16 is the top half of a float32, so widening it is a 16-bit shift. The AVX2+FMA versions
 * are chosen at run time when the CPU has them; plain C versions serve every other CPU. The AVX2
 * exp is Cephes' single-precision polynomial (relative error about 1e-7); σ(x) = 1 / (1 + e^{-x})
 * and tanh(x) = 2σ(2x) − 1, whose absolute error stays near 1e-7.
 *
 * Buffers arrive through the buffer protocol (NumPy arrays, C-contiguous); every size is checked
 * against the buffer's length before a byte is read, so a wrong call raises ValueError.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define RECUR_X86 1
#else
#define RECUR_X86 0
#endif

enum { FMT_F32 = 0, FMT_BF16 = 1, FMT_INT8 = 2 };
static const Py_ssize_t FMT_BYTES[3] = {4, 2, 1};

/* ---------------------------------------------------------------- portable C */

static inline float widen_bf16(uint16_t v) {
    uint32_t bits = (uint32_t)v << 16;
    float out;
    memcpy(&out, &bits, sizeof out);
    return out;
}

/* Storage. Row g of a float32 matrix is W[g*K : (g+1)*K]. Reduced-precision rows are padded to a
 * whole number of blocks (16 bf16 values, 32 int8 values) and interleaved inside each block so that
 * one 256-bit load widens to float32 with shifts and masks alone, no shuffles:
 *   bf16: 32-bit lane j of a block holds elements j (low half) and 8 + j (high half);
 *   int8: 32-bit lane j of a block holds elements j, 8 + j, 16 + j, 24 + j (bytes 0 to 3).
 * recur/generate/kernels.py packs matrices this way. */
static const Py_ssize_t FMT_BLOCK[3] = {1, 16, 32};

static inline Py_ssize_t row_stride(int fmt, Py_ssize_t K) {
    return (K + FMT_BLOCK[fmt] - 1) / FMT_BLOCK[fmt] * FMT_BLOCK[fmt];
}

static inline const void *row_at(int fmt, const void *W, Py_ssize_t g, Py_ssize_t K) {
    return (const char *)W + g * row_stride(fmt, K) * FMT_BYTES[fmt];
}

/* Element k of a row as float (int8: the integer, before its row's scale). */
static inline float load1(int fmt, const void *row, Py_ssize_t k) {
    if (fmt == FMT_F32) return ((const float *)row)[k];
    Py_ssize_t start = k / FMT_BLOCK[fmt] * FMT_BLOCK[fmt], within = k % FMT_BLOCK[fmt];
    if (fmt == FMT_BF16) return widen_bf16(((const uint16_t *)row)[start + (within % 8) * 2 + within / 8]);
    return (float)((const int8_t *)row)[start + (within % 8) * 4 + within / 8];
}

/* Rows [g0, g1) of y[B, G] += (x · Wᵀ) ⊙ s. */
static void matmul_t_plain(int fmt, const void *W, const float *scale, const float *x, float *y, Py_ssize_t B,
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

static inline float sigmoid1(float v) { return 1.0f / (1.0f + expf(-v)); }

static void lstm_cell_plain(float *z, float *c, float *h, Py_ssize_t B, Py_ssize_t H) {
    for (Py_ssize_t b = 0; b < B; b++) {
        float *zb = z + b * 4 * H, *cb = c + b * H, *hb = h + b * H;
        for (Py_ssize_t j = 0; j < H; j++) {
            float i = sigmoid1(zb[j]), f = sigmoid1(zb[H + j]), g = tanhf(zb[2 * H + j]), o = sigmoid1(zb[3 * H + j]);
            cb[j] = f * cb[j] + i * g;
            hb[j] = o * tanhf(cb[j]);
        }
    }
}

static void gru_cell_plain(const float *zx, const float *zh, float *h, Py_ssize_t B, Py_ssize_t H) {
    for (Py_ssize_t b = 0; b < B; b++) {
        const float *xb = zx + b * 3 * H, *hb_ = zh + b * 3 * H;
        float *hb = h + b * H;
        for (Py_ssize_t j = 0; j < H; j++) {
            float r = sigmoid1(xb[j] + hb_[j]), u = sigmoid1(xb[H + j] + hb_[H + j]);
            float n = tanhf(xb[2 * H + j] + r * hb_[2 * H + j]);
            hb[j] = n + u * (hb[j] - n);
        }
    }
}

static void tanh_plain(const float *z, float *h, Py_ssize_t count) {
    for (Py_ssize_t j = 0; j < count; j++) h[j] = tanhf(z[j]);
}

/* ---------------------------------------------------------------- AVX2 + FMA */
#if RECUR_X86
#define AVX2 __attribute__((target("avx2,fma")))

AVX2 static inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* Each kernel takes four weight rows at a time, which share every load of x, with two accumulators per row to
 * hide the FMA latency, and one block of 16
 * (float32, bf16) or 32 (int8) columns per iteration; the rows' last partial block goes through load1. */
#define ROWS_BY_FOUR(FMT, BLOCK, ...)                                                                  \
    const Py_ssize_t whole = K / (BLOCK) * (BLOCK), stride = row_stride(FMT, K);                        \
    Py_ssize_t g = g0;                                                                                  \
    for (; g + 4 <= g1; g += 4) {                                                                       \
        const Py_ssize_t rows[4] = {g * stride, (g + 1) * stride, (g + 2) * stride, (g + 3) * stride};  \
        for (Py_ssize_t b = 0; b < B; b++) {                                                            \
            const float *xb = x + b * K;                                                                \
            __m256 acc[4], acc2[4];                                                                     \
            for (int r = 0; r < 4; r++) acc[r] = acc2[r] = _mm256_setzero_ps();                         \
            for (Py_ssize_t k = 0; k < whole; k += (BLOCK)) {                                           \
                __VA_ARGS__                                                                             \
            }                                                                                           \
            for (int r = 0; r < 4; r++) {                                                               \
                const void *row = row_at(FMT, W, g + r, K);                                             \
                float total = hsum(_mm256_add_ps(acc[r], acc2[r]));                                                           \
                for (Py_ssize_t k = whole; k < K; k++) total += load1(FMT, row, k) * xb[k];             \
                y[b * G + g + r] += scale ? total * scale[g + r] : total;                               \
            }                                                                                           \
        }                                                                                               \
    }                                                                                                   \
    matmul_t_plain(FMT, W, scale, x, y, B, G, K, g, g1);

AVX2 static void matmul_t_avx2_f32(const void *W, const float *scale, const float *x, float *y, Py_ssize_t B,
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
AVX2 static void matmul_t_avx2_bf16(const void *W, const float *scale, const float *x, float *y, Py_ssize_t B,
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
AVX2 static void matmul_t_avx2_int8(const void *W, const float *scale, const float *x, float *y, Py_ssize_t B,
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

typedef void (*matmul_t_fn)(const void *, const float *, const float *, float *, Py_ssize_t, Py_ssize_t,
                            Py_ssize_t, Py_ssize_t, Py_ssize_t);
static const matmul_t_fn MATMUL_T_AVX2_BY_FMT[3] = {matmul_t_avx2_f32, matmul_t_avx2_bf16, matmul_t_avx2_int8};

AVX2 static inline __m256 exp8(__m256 x) {
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.3f)), _mm256_set1_ps(88.3f));
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

AVX2 static inline __m256 sigmoid8(__m256 v) {
    __m256 one = _mm256_set1_ps(1.0f);
    return _mm256_div_ps(one, _mm256_add_ps(one, exp8(_mm256_sub_ps(_mm256_setzero_ps(), v))));
}

AVX2 static inline __m256 tanh8(__m256 v) {
    __m256 s = sigmoid8(_mm256_add_ps(v, v));
    return _mm256_sub_ps(_mm256_add_ps(s, s), _mm256_set1_ps(1.0f));
}

AVX2 static void lstm_cell_avx2(float *z, float *c, float *h, Py_ssize_t B, Py_ssize_t H) {
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
        for (Py_ssize_t j = H8; j < H; j++) {
            float i = sigmoid1(zb[j]), f = sigmoid1(zb[H + j]), g = tanhf(zb[2 * H + j]), o = sigmoid1(zb[3 * H + j]);
            cb[j] = f * cb[j] + i * g;
            hb[j] = o * tanhf(cb[j]);
        }
    }
}

AVX2 static void gru_cell_avx2(const float *zx, const float *zh, float *h, Py_ssize_t B, Py_ssize_t H) {
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
        for (Py_ssize_t j = H8; j < H; j++) {
            float r = sigmoid1(xb[j] + hb_[j]), u = sigmoid1(xb[H + j] + hb_[H + j]);
            float n = tanhf(xb[2 * H + j] + r * hb_[2 * H + j]);
            hb[j] = n + u * (hb[j] - n);
        }
    }
}

AVX2 static void tanh_avx2(const float *z, float *h, Py_ssize_t count) {
    Py_ssize_t j = 0;
    for (; j + 8 <= count; j += 8) _mm256_storeu_ps(h + j, tanh8(_mm256_loadu_ps(z + j)));
    for (; j < count; j++) h[j] = tanhf(z[j]);
}
#endif

static int use_avx2 = 0;

/* ---------------------------------------------------------------- Python face */

static int check_len(Py_buffer *buf, Py_ssize_t needed, const char *name) {
    if (buf->len < needed) {
        PyErr_Format(PyExc_ValueError, "%s holds %zd bytes, needs %zd", name, buf->len, needed);
        return 0;
    }
    return 1;
}

static PyObject *py_matmul_t(PyObject *self, PyObject *args) {
    int fmt;
    Py_buffer W = {0}, scale = {0}, x = {0}, y = {0};
    Py_ssize_t B, G, K;
    PyObject *result = NULL;
    if (!PyArg_ParseTuple(args, "iy*z*y*w*nnn", &fmt, &W, &scale, &x, &y, &B, &G, &K)) return NULL;
    if (fmt < FMT_F32 || fmt > FMT_INT8 || B < 0 || G < 0 || K < 0) {
        PyErr_SetString(PyExc_ValueError, "matmul_t: format must be 0, 1 or 2 and sizes non-negative");
        goto done;
    }
    if (!check_len(&W, G * row_stride(fmt, K) * FMT_BYTES[fmt], "W") || !check_len(&x, B * K * 4, "x") ||
        !check_len(&y, B * G * 4, "y") || (scale.buf && !check_len(&scale, G * 4, "scale")))
        goto done;
    {
        const float *s = scale.buf ? (const float *)scale.buf : NULL;
#if RECUR_X86
        if (use_avx2)
            MATMUL_T_AVX2_BY_FMT[fmt](W.buf, s, (const float *)x.buf, (float *)y.buf, B, G, K, 0, G);
        else
#endif
            matmul_t_plain(fmt, W.buf, s, (const float *)x.buf, (float *)y.buf, B, G, K, 0, G);
    }
    result = Py_None;
    Py_INCREF(result);
done:
    PyBuffer_Release(&W);
    if (scale.buf) PyBuffer_Release(&scale);
    PyBuffer_Release(&x);
    PyBuffer_Release(&y);
    return result;
}

/* lstm_cell(z [B, 4H], c [B, H], h [B, H], B, H): gates from z (overwritten), c and h updated. */
static PyObject *py_lstm_cell(PyObject *self, PyObject *args) {
    Py_buffer z = {0}, c = {0}, h = {0};
    Py_ssize_t B, H;
    PyObject *result = NULL;
    if (!PyArg_ParseTuple(args, "w*w*w*nn", &z, &c, &h, &B, &H)) return NULL;
    if (B >= 0 && H >= 0 && check_len(&z, B * 4 * H * 4, "z") && check_len(&c, B * H * 4, "c") &&
        check_len(&h, B * H * 4, "h")) {
#if RECUR_X86
        if (use_avx2) lstm_cell_avx2(z.buf, c.buf, h.buf, B, H); else
#endif
        lstm_cell_plain(z.buf, c.buf, h.buf, B, H);
        result = Py_None;
        Py_INCREF(result);
    } else if (!PyErr_Occurred()) {
        PyErr_SetString(PyExc_ValueError, "lstm_cell: sizes must be non-negative");
    }
    PyBuffer_Release(&z);
    PyBuffer_Release(&c);
    PyBuffer_Release(&h);
    return result;
}

/* gru_cell(zx [B, 3H], zh [B, 3H], h [B, H], B, H): h updated in place. */
static PyObject *py_gru_cell(PyObject *self, PyObject *args) {
    Py_buffer zx = {0}, zh = {0}, h = {0};
    Py_ssize_t B, H;
    PyObject *result = NULL;
    if (!PyArg_ParseTuple(args, "y*y*w*nn", &zx, &zh, &h, &B, &H)) return NULL;
    if (B >= 0 && H >= 0 && check_len(&zx, B * 3 * H * 4, "zx") && check_len(&zh, B * 3 * H * 4, "zh") &&
        check_len(&h, B * H * 4, "h")) {
#if RECUR_X86
        if (use_avx2) gru_cell_avx2(zx.buf, zh.buf, h.buf, B, H); else
#endif
        gru_cell_plain(zx.buf, zh.buf, h.buf, B, H);
        result = Py_None;
        Py_INCREF(result);
    } else if (!PyErr_Occurred()) {
        PyErr_SetString(PyExc_ValueError, "gru_cell: sizes must be non-negative");
    }
    PyBuffer_Release(&zx);
    PyBuffer_Release(&zh);
    PyBuffer_Release(&h);
    return result;
}

/* tanh_into(z, h, count): h = tanh(z) over count floats. */
static PyObject *py_tanh_into(PyObject *self, PyObject *args) {
    Py_buffer z = {0}, h = {0};
    Py_ssize_t count;
    PyObject *result = NULL;
    if (!PyArg_ParseTuple(args, "y*w*n", &z, &h, &count)) return NULL;
    if (count >= 0 && check_len(&z, count * 4, "z") && check_len(&h, count * 4, "h")) {
#if RECUR_X86
        if (use_avx2) tanh_avx2(z.buf, h.buf, count); else
#endif
        tanh_plain(z.buf, h.buf, count);
        result = Py_None;
        Py_INCREF(result);
    } else if (!PyErr_Occurred()) {
        PyErr_SetString(PyExc_ValueError, "tanh_into: count must be non-negative");
    }
    PyBuffer_Release(&z);
    PyBuffer_Release(&h);
    return result;
}

/* ---------------------------------------------------------------- sampling
 * One id per row of logits [B, V], by the rule of recur/generate/sampling.py (its reference):
 *   T = 0: argmax.  Otherwise z = logits / T; keep the top_k largest z (ties at the k-th kept);
 *   p ∝ exp(z − max z) over the kept; top_p: keep the most likely tokens until the ones before
 *   reach top_p; then the first id whose cumulative kept probability exceeds u · total. */

static int compare_desc(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

static Py_ssize_t sample_row(const float *logits, Py_ssize_t V, double temperature, Py_ssize_t top_k,
                             double top_p, double u, double *p, double *sorted) {
    Py_ssize_t best = 0;
    for (Py_ssize_t v = 1; v < V; v++)
        if (logits[v] > logits[best]) best = v;
    if (temperature == 0.0) return best;
    double threshold = -INFINITY;  /* z below it is dropped */
    if (top_k > 0 && top_k < V) {
        for (Py_ssize_t v = 0; v < V; v++) sorted[v] = logits[v];
        qsort(sorted, (size_t)V, sizeof(double), compare_desc);
        threshold = sorted[top_k - 1];
    }
    double top = logits[best] / temperature, total = 0.0;
    for (Py_ssize_t v = 0; v < V; v++) {
        p[v] = logits[v] >= threshold ? exp(logits[v] / temperature - top) : 0.0;
        total += p[v];
    }
    if (top_p < 1.0) {
        for (Py_ssize_t v = 0; v < V; v++) sorted[v] = p[v];
        qsort(sorted, (size_t)V, sizeof(double), compare_desc);
        double before = 0.0, cut = 0.0;  /* the smallest probability kept */
        for (Py_ssize_t v = 0; v < V && sorted[v] > 0.0; v++) {
            if (before >= top_p * total * (1.0 - 1e-9)) break;  /* NUCLEUS_SLACK in sampling.py */
            cut = sorted[v];
            before += sorted[v];
        }
        total = 0.0;
        for (Py_ssize_t v = 0; v < V; v++) {
            if (p[v] < cut) p[v] = 0.0;
            total += p[v];
        }
    }
    double target = u * total, running = 0.0;
    Py_ssize_t last = best;
    for (Py_ssize_t v = 0; v < V; v++) {
        if (p[v] == 0.0) continue;
        running += p[v];
        last = v;
        if (running > target) return v;
    }
    return last;  /* rounding left the target at the very top */
}

/* sample(logits [B, V] float32, B, V, temperature, top_k (0: none), top_p (1: none), uniforms [B] float64,
 *        ids [B] int64): ids written. */
static PyObject *py_sample(PyObject *self, PyObject *args) {
    Py_buffer logits = {0}, uniforms = {0}, ids = {0};
    Py_ssize_t B, V, top_k;
    double temperature, top_p;
    PyObject *result = NULL;
    double *scratch = NULL;
    if (!PyArg_ParseTuple(args, "y*nndndy*w*", &logits, &B, &V, &temperature, &top_k, &top_p, &uniforms, &ids))
        return NULL;
    if (B < 0 || V < 1 || temperature < 0.0 || top_k < 0 || !(top_p > 0.0 && top_p <= 1.0)) {
        PyErr_SetString(PyExc_ValueError, "sample: needs B >= 0, V >= 1, temperature >= 0, top_k >= 0, 0 < top_p <= 1");
        goto done;
    }
    if (!check_len(&logits, B * V * 4, "logits") || !check_len(&uniforms, B * 8, "uniforms") ||
        !check_len(&ids, B * 8, "ids"))
        goto done;
    scratch = PyMem_Malloc(2 * (size_t)V * sizeof(double));
    if (!scratch) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t b = 0; b < B; b++)
        ((int64_t *)ids.buf)[b] = sample_row((const float *)logits.buf + b * V, V, temperature, top_k, top_p,
                                             ((const double *)uniforms.buf)[b], scratch, scratch + V);
    result = Py_None;
    Py_INCREF(result);
done:
    PyMem_Free(scratch);
    PyBuffer_Release(&logits);
    PyBuffer_Release(&uniforms);
    PyBuffer_Release(&ids);
    return result;
}

static PyObject *py_set_vectorised(PyObject *self, PyObject *args) {
    int want;
    if (!PyArg_ParseTuple(args, "p", &want)) return NULL;
#if RECUR_X86
    use_avx2 = want && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    use_avx2 = 0;
#endif
    return PyBool_FromLong(use_avx2);
}

static PyMethodDef methods[] = {
    {"matmul_t", py_matmul_t, METH_VARARGS, "matmul_t(fmt, W, scale|None, x, y, B, G, K): y += (x Wᵀ) ⊙ scale"},
    {"lstm_cell", py_lstm_cell, METH_VARARGS, "lstm_cell(z, c, h, B, H): one LSTM step's gates"},
    {"gru_cell", py_gru_cell, METH_VARARGS, "gru_cell(zx, zh, h, B, H): one GRU step's gates"},
    {"tanh_into", py_tanh_into, METH_VARARGS, "tanh_into(z, h, count): h = tanh(z)"},
    {"sample", py_sample, METH_VARARGS,
     "sample(logits, B, V, temperature, top_k, top_p, uniforms, ids): one id per row (see sampling.py)"},
    {"set_vectorised", py_set_vectorised, METH_VARARGS,
     "set_vectorised(flag): use AVX2+FMA where the CPU has it; returns whether it is used"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_kernels", "recur's compiled generation loops", -1,
                                    methods};

PyMODINIT_FUNC PyInit__kernels(void) {
#if RECUR_X86
    __builtin_cpu_init();
    use_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
    return PyModule_Create(&module);
}
