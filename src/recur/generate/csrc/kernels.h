/* recur's compiled generation loops: what the files in this folder share.
 *
 * Generating one token at a time is a chain of matrix-vector products: each step reads every
 * weight once and does two FLOPs per weight, so it is bound by how fast the cores stream weights,
 * and by per-call overhead once they are fast. The loops here read weights in three storage
 * formats (matmul.c), split large products over helper threads (helpers.c), compute the gates
 * (gates.c), draw the next token (sample.c) and run a whole stacked step in one call (stack.c);
 * module.c is the Python face. recur/generate/kernels.py and engine.py drive them.
 *
 * The AVX2+FMA versions are chosen at run time when the CPU has them; plain C versions serve every
 * other CPU.
 */
#ifndef RECUR_KERNELS_H
#define RECUR_KERNELS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define RECUR_X86 1
#define RECUR_AVX2 __attribute__((target("avx2,fma")))
#else
#define RECUR_X86 0
#endif

enum { FMT_F32 = 0, FMT_BF16 = 1, FMT_INT8 = 2 };
extern const Py_ssize_t RECUR_FMT_BYTES[3];

/* A weight matrix W [G, K] in one storage format (matmul.c); scale: int8's per-row scales, else NULL. */
typedef struct {
    int fmt;
    const void *data;
    const float *scale;
} RecurMatrix;

extern int recur_use_avx2; /* set at import from the CPU's features; module.c may turn it off */

/* Bytes of a stored W [G, K] (rows padded to whole blocks). */
Py_ssize_t recur_matrix_bytes(int fmt, Py_ssize_t G, Py_ssize_t K);

/* Rows [g0, g1) of y[B, G] += (x[B, K] · Wᵀ) ⊙ s, on this thread. */
void recur_matmul_rows(const RecurMatrix *W, const float *x, float *y, Py_ssize_t B, Py_ssize_t G, Py_ssize_t K,
                       Py_ssize_t g0, Py_ssize_t g1);

/* All rows, shared with the helper threads when the product is large (helpers.c). */
void recur_matmul(const RecurMatrix *W, const float *x, float *y, Py_ssize_t B, Py_ssize_t G, Py_ssize_t K);
int recur_use_helpers(int count);

/* Gates (gates.c): z, zx, zh pre-activations [B, 4H] / [B, 3H]; c, h [B, H] updated in place. */
void recur_lstm_cell(float *z, float *c, float *h, Py_ssize_t B, Py_ssize_t H);
void recur_gru_cell(const float *zx, const float *zh, float *h, Py_ssize_t B, Py_ssize_t H);
void recur_tanh(const float *z, float *h, Py_ssize_t count);
void recur_relu(const float *z, float *h, Py_ssize_t count);

/* One id from logits [V] (sample.c); p and sorted: scratch of V doubles each. */
Py_ssize_t recur_sample_row(const float *logits, Py_ssize_t V, double temperature, Py_ssize_t top_k, double top_p,
                            double u, double *p, double *sorted);

/* The stacked step (stack.c). */
extern PyTypeObject RecurStackType;

/* What ran since the last reset, so that tests can tell which path served a call (module.c's counts()):
 * products (recur_matmul calls), plain (of which on the plain-C loops), split (of which shared with
 * helper threads), steps (Stack.step calls). Bumped by the calling thread, which holds the GIL. */
typedef struct {
    Py_ssize_t products, plain, split, steps;
} RecurCounts;
extern RecurCounts recur_counts;

/* Rows the helper threads have computed since the last reset (helpers.c); reset only between products. */
Py_ssize_t recur_helper_rows(int reset);

#endif
