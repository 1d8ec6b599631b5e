/* recur's compiled generation loops: what the files in this folder share.
 *
 * Generating one token at a time is a chain of matrix-vector products: each step reads every
 * weight once and does two FLOPs per weight, so it is bound by how fast the cores stream weights,
 * and by per-call overhead once they are fast. The loops here read weights in three storage
 * formats (matmul.c), split large products over helper threads (helpers.c), compute the gates
 * (gates.c), draw the next token (sample.c) and run a whole stacked step in one call (stack.c);
 * module.c is the Python face. recur/generate/kernels.py and engine.py drive them.
 *
 * Kernels are chosen at run time for what the CPU has (recur_level): AVX-512 with VNNI and BF16
 * dot products for bf16 and int8 weights packed in panels (panel.c), else AVX2+FMA, else plain C.
 * Only the chosen functions carry target attributes, so the module builds with plain -O3 anywhere.
 */
#ifndef RECUR_KERNELS_H
#define RECUR_KERNELS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

/* RECUR_NO_X86 builds the portable loops alone, as on other architectures (how that build is checked here). */
#if (defined(__x86_64__) || defined(__i386__)) && !defined(RECUR_NO_X86)
#include <immintrin.h>
#define RECUR_X86 1
#define RECUR_AVX2 __attribute__((target("avx2,fma")))
/* Cephes' single-precision exp, shared by the AVX2 (gates.c) and AVX-512 (gates512.c) loops:
 * e^x = 2^n · e^r, n = round(x / ln 2), r = x − n·ln 2 (ln 2 in two parts),
 * e^r ≈ 1 + r + r²·P(r), P's coefficients from the highest power down; x clamped to [EXP_MIN, EXP_MAX]. */
#define EXP_MIN (-87.3f)
#define EXP_MAX 88.3f
#define EXP_LOG2E 1.44269504088896341f
#define EXP_LN2_HI 0.693359375f
#define EXP_LN2_LO (-2.12194440e-4f)
static const float EXP_P[6] = {1.9875691500e-4f, 1.3981999507e-3f, 8.3334519073e-3f,
                               4.1665795894e-2f, 1.6666665459e-1f, 5.0000001201e-1f};
#else
#define RECUR_X86 0
#endif

/* Storage formats: row-major (fp32) or AVX2's interleaved blocks (matmul.c), or AVX-512's panels (panel.c). */
enum { FMT_F32 = 0, FMT_BF16 = 1, FMT_INT8 = 2, FMT_BF16_P16 = 3, FMT_INT8_P16 = 4, FMT_COUNT = 5 };
extern const Py_ssize_t RECUR_FMT_BYTES[FMT_COUNT];

/* Kernel levels, each using the ones below for what it lacks. */
enum { LEVEL_PLAIN = 0, LEVEL_AVX2 = 1, LEVEL_AVX512 = 2 };
extern int recur_level;   /* the level in use: the best the CPU has at import, or lower (module.c) */
int recur_best_level(void);

/* A weight matrix W [G, K] in one storage format (matmul.c); scale: int8's per-row scales, else NULL. */
typedef struct {
    int fmt;
    const void *data;
    const float *scale;
} RecurMatrix;

extern int recur_use_avx2; /* recur_level >= LEVEL_AVX2: the gates' and fp32 loops' switch */

/* Bytes of a stored W [G, K] (rows padded to whole blocks). */
Py_ssize_t recur_matrix_bytes(int fmt, Py_ssize_t G, Py_ssize_t K);

/* Rows [g0, g1) of y[B, G] += (x[B, K] · Wᵀ) ⊙ s, on this thread. */
void recur_matmul_rows(const RecurMatrix *W, const float *x, float *y, Py_ssize_t B, Py_ssize_t G, Py_ssize_t K,
                       Py_ssize_t g0, Py_ssize_t g1);

/* Rows [g0, g1) of a panel-stored W (panel.c); g0 and g1 multiples of 16 or g1 = G for the AVX-512 loops. */
Py_ssize_t recur_panel_bytes(int fmt, Py_ssize_t G, Py_ssize_t K);
void recur_panel_rows(const RecurMatrix *W, const float *x, float *y, Py_ssize_t B, Py_ssize_t G, Py_ssize_t K,
                      Py_ssize_t g0, Py_ssize_t g1);

/* All rows, shared with the helper threads when the product is large (helpers.c). */
void recur_matmul(const RecurMatrix *W, const float *x, float *y, Py_ssize_t B, Py_ssize_t G, Py_ssize_t K);
int recur_use_helpers(int count);

/* Gates (gates.c): z, zx, zh pre-activations [B, 4H] / [B, 3H]; c, h [B, H] updated in place. */
void recur_lstm_cell(float *z, float *c, float *h, Py_ssize_t B, Py_ssize_t H);
void recur_gru_cell(const float *zx, const float *zh, float *h, Py_ssize_t B, Py_ssize_t H);
void recur_tanh(const float *z, float *h, Py_ssize_t count);
void recur_relu(const float *z, float *h, Py_ssize_t count);
#if RECUR_X86 /* their AVX-512 versions (gates512.c), for recur_level >= LEVEL_AVX512 */
void recur_lstm512(float *z, float *c, float *h, Py_ssize_t B, Py_ssize_t H);
void recur_gru512(const float *zx, const float *zh, float *h, Py_ssize_t B, Py_ssize_t H);
void recur_tanh512(const float *z, float *h, Py_ssize_t count);
#endif

/* One id from logits [V] (sample.c); p and sorted: scratch of V doubles each. */
Py_ssize_t recur_sample_row(const float *logits, Py_ssize_t V, double temperature, Py_ssize_t top_k, double top_p,
                            double u, double *p, double *sorted);

/* The stacked step (stack.c). */
extern PyTypeObject RecurStackType;

/* What ran since the last reset, so that tests can tell which path served a call (module.c's counts()):
 * products (recur_matmul calls), plain (of which on the plain-C loops), avx512 (of which on panel.c's
 * AVX-512 loops), split (of which shared with
 * helper threads), steps (Stack.step calls). Bumped by the calling thread, which holds the GIL. */
typedef struct {
    Py_ssize_t products, plain, avx512, split, steps;
} RecurCounts;
extern RecurCounts recur_counts;

/* Rows the helper threads have computed since the last reset (helpers.c); reset only between products. */
Py_ssize_t recur_helper_rows(int reset);

#endif
