/* The Python face of recur's compiled loops: ``recur.generate._kernels``.
 *
 * Buffers arrive through the buffer protocol (NumPy arrays, C-contiguous); every size is checked
 * against the buffer's length before a byte is read, so a wrong call raises ValueError. Callers
 * (recur/generate/kernels.py) pass float32 arrays and the storage formats of matmul.c.
 */
#include "kernels.h"

static int check_len(Py_buffer *buf, Py_ssize_t needed, const char *name) {
    if (buf->len < needed) {
        PyErr_Format(PyExc_ValueError, "%s holds %zd bytes, needs %zd", name, buf->len, needed);
        return 0;
    }
    return 1;
}

/* matmul_t(fmt, W, scale | None, x, y, B, G, K): y[B, G] += (x[B, K] · Wᵀ) ⊙ scale. */
static PyObject *py_matmul_t(PyObject *self, PyObject *args) {
    int fmt;
    Py_buffer W = {0}, scale = {0}, x = {0}, y = {0};
    Py_ssize_t B, G, K;
    PyObject *result = NULL;
    if (!PyArg_ParseTuple(args, "iy*z*y*w*nnn", &fmt, &W, &scale, &x, &y, &B, &G, &K)) return NULL;
    const Py_ssize_t scales = fmt == FMT_INT8_P16 ? (G + 15) / 16 * 16 : G;  /* panels pad theirs to 16 rows */
    if (fmt < FMT_F32 || fmt >= FMT_COUNT || B < 0 || G < 0 || K < 0) {
        PyErr_SetString(PyExc_ValueError, "matmul_t: format must be 0 to 4 and sizes non-negative");
    } else if ((fmt == FMT_INT8 || fmt == FMT_INT8_P16) && !scale.buf) {
        PyErr_SetString(PyExc_ValueError, "matmul_t: int8 weights need their scales");
    } else if (check_len(&W, recur_matrix_bytes(fmt, G, K), "W") && check_len(&x, B * K * 4, "x") &&
               check_len(&y, B * G * 4, "y") && (!scale.buf || check_len(&scale, scales * 4, "scale"))) {
        RecurMatrix m = {fmt, W.buf, scale.buf};
        recur_matmul(&m, x.buf, y.buf, B, G, K);
        result = Py_None;
        Py_INCREF(result);
    }
    PyBuffer_Release(&W);
    PyBuffer_Release(&scale);
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
    if (B < 0 || H < 0) {
        PyErr_SetString(PyExc_ValueError, "lstm_cell: sizes must be non-negative");
    } else if (check_len(&z, B * 4 * H * 4, "z") && check_len(&c, B * H * 4, "c") && check_len(&h, B * H * 4, "h")) {
        recur_lstm_cell(z.buf, c.buf, h.buf, B, H);
        result = Py_None;
        Py_INCREF(result);
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
    if (B < 0 || H < 0) {
        PyErr_SetString(PyExc_ValueError, "gru_cell: sizes must be non-negative");
    } else if (check_len(&zx, B * 3 * H * 4, "zx") && check_len(&zh, B * 3 * H * 4, "zh") &&
               check_len(&h, B * H * 4, "h")) {
        recur_gru_cell(zx.buf, zh.buf, h.buf, B, H);
        result = Py_None;
        Py_INCREF(result);
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
    if (count < 0) {
        PyErr_SetString(PyExc_ValueError, "tanh_into: count must be non-negative");
    } else if (check_len(&z, count * 4, "z") && check_len(&h, count * 4, "h")) {
        recur_tanh(z.buf, h.buf, count);
        result = Py_None;
        Py_INCREF(result);
    }
    PyBuffer_Release(&z);
    PyBuffer_Release(&h);
    return result;
}

/* sample(logits [B, V] float32, B, V, temperature, top_k (0: none), top_p (1: none), uniforms [B] float64,
 *        ids [B] int64): ids written. */
static PyObject *py_sample(PyObject *self, PyObject *args) {
    Py_buffer logits = {0}, uniforms = {0}, ids = {0};
    Py_ssize_t B, V, top_k;
    double temperature, top_p, *scratch = NULL;
    PyObject *result = NULL;
    if (!PyArg_ParseTuple(args, "y*nndndy*w*", &logits, &B, &V, &temperature, &top_k, &top_p, &uniforms, &ids))
        return NULL;
    if (B < 0 || V < 1 || temperature < 0.0 || top_k < 0 || !(top_p > 0.0 && top_p <= 1.0)) {
        PyErr_SetString(PyExc_ValueError, "sample: needs B >= 0, V >= 1, temperature >= 0, top_k >= 0, 0 < top_p <= 1");
    } else if (check_len(&logits, B * V * 4, "logits") && check_len(&uniforms, B * 8, "uniforms") &&
               check_len(&ids, B * 8, "ids")) {
        scratch = PyMem_Malloc(2 * (size_t)V * sizeof(double));
        if (!scratch) {
            PyErr_NoMemory();
        } else {
            for (Py_ssize_t b = 0; b < B; b++)
                ((int64_t *)ids.buf)[b] = recur_sample_row((const float *)logits.buf + b * V, V, temperature, top_k,
                                                           top_p, ((const double *)uniforms.buf)[b], scratch,
                                                           scratch + V);
            result = Py_None;
            Py_INCREF(result);
        }
    }
    PyMem_Free(scratch);
    PyBuffer_Release(&logits);
    PyBuffer_Release(&uniforms);
    PyBuffer_Release(&ids);
    return result;
}

static PyObject *py_set_threads(PyObject *self, PyObject *args) {
    int threads;
    if (!PyArg_ParseTuple(args, "i", &threads)) return NULL;
    if (threads < 1) {
        PyErr_SetString(PyExc_ValueError, "set_threads: at least 1 thread");
        return NULL;
    }
    return PyLong_FromLong(1 + recur_use_helpers(threads - 1));
}

static void use_level(int level) {
    const int best = recur_best_level();
    recur_level = level < LEVEL_PLAIN ? LEVEL_PLAIN : level > best ? best : level;
    recur_use_avx2 = recur_level >= LEVEL_AVX2;
}

static PyObject *py_set_vectorised(PyObject *self, PyObject *args) {
    int want;
    if (!PyArg_ParseTuple(args, "p", &want)) return NULL;
    use_level(want ? LEVEL_AVX512 : LEVEL_PLAIN);
    return PyBool_FromLong(recur_use_avx2);
}

/* set_level(level): 0 plain C, 1 AVX2, 2 AVX-512, capped at what the CPU has; returns the level in use. */
static PyObject *py_set_level(PyObject *self, PyObject *args) {
    int level;
    if (!PyArg_ParseTuple(args, "i", &level)) return NULL;
    use_level(level);
    return PyLong_FromLong(recur_level);
}

static PyObject *py_best_level(PyObject *self, PyObject *args) { return PyLong_FromLong(recur_best_level()); }

static PyObject *py_level(PyObject *self, PyObject *args) { return PyLong_FromLong(recur_level); }

/* counts(reset=False): what ran since the last reset (kernels.h's RecurCounts), as a dict. */
static PyObject *py_counts(PyObject *self, PyObject *args) {
    int reset = 0;
    if (!PyArg_ParseTuple(args, "|p", &reset)) return NULL;
    PyObject *counts = Py_BuildValue("{snsnsnsnsnsn}", "products", recur_counts.products, "plain", recur_counts.plain,
                                     "avx512", recur_counts.avx512, "split", recur_counts.split, "helper_rows", recur_helper_rows(reset), "steps",
                                     recur_counts.steps);
    if (counts && reset) recur_counts = (RecurCounts){0};
    return counts;
}

static PyMethodDef methods[] = {
    {"matmul_t", py_matmul_t, METH_VARARGS, "matmul_t(fmt, W, scale|None, x, y, B, G, K): y += (x Wᵀ) ⊙ scale"},
    {"lstm_cell", py_lstm_cell, METH_VARARGS, "lstm_cell(z, c, h, B, H): one LSTM step's gates"},
    {"gru_cell", py_gru_cell, METH_VARARGS, "gru_cell(zx, zh, h, B, H): one GRU step's gates"},
    {"tanh_into", py_tanh_into, METH_VARARGS, "tanh_into(z, h, count): h = tanh(z)"},
    {"sample", py_sample, METH_VARARGS,
     "sample(logits, B, V, temperature, top_k, top_p, uniforms, ids): one id per row (see sampling.py)"},
    {"set_threads", py_set_threads, METH_VARARGS,
     "set_threads(n): split large products over n threads (this one and n - 1 helpers); returns n in use"},
    {"set_vectorised", py_set_vectorised, METH_VARARGS,
     "set_vectorised(flag): use the best vector loops the CPU has (AVX-512, AVX2) or plain C; returns whether vector loops are used"},
    {"set_level", py_set_level, METH_VARARGS,
     "set_level(level): 0 plain C, 1 AVX2, 2 AVX-512 (capped at the CPU's best); returns the level in use"},
    {"best_level", py_best_level, METH_NOARGS, "best_level(): the best kernel level this CPU runs"},
    {"level", py_level, METH_NOARGS, "level(): the kernel level in use"},
    {"counts", py_counts, METH_VARARGS,
     "counts(reset=False): products, plain (not AVX2), avx512 (panel loops), split (with helpers), helper_rows and Stack steps run "
     "since the last reset"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, .m_name = "_kernels",
                                    .m_doc = "recur's compiled generation loops (src/recur/generate/csrc)",
                                    .m_size = -1, .m_methods = methods};

PyMODINIT_FUNC PyInit__kernels(void) {
    use_level(LEVEL_AVX512);
    if (PyType_Ready(&RecurStackType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    Py_INCREF(&RecurStackType);
    if (PyModule_AddObject(m, "Stack", (PyObject *)&RecurStackType) < 0) {
        Py_DECREF(&RecurStackType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
