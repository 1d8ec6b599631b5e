/* A whole step of a stacked language model in one call, on buffers the engine owns:
 *
 *   layer 1: z = T[id] (a lookup: T = E W_ihᵀ + b)   or  z = b + W_ih E[id]   (no table)
 *   layer l: z = b + W_ih h^{l-1}
 *   then     LSTM/Elman: z += W_hh h, gates;   GRU: zh = b_hh + W_hh h, gates(z, zh)
 *   logits = b_out + W_out h^top
 *
 * ``Stack(batch, vocab, embedding, x0, layers, head)`` takes the arrays of ``engine.py``'s packed
 * layers once (holding their buffers until it is freed) and checks every size and item size; its
 * ``step(ids)`` then runs without touching Python objects. Layer tuples:
 *   (kind, D, H, table, ih_fmt, ih, ih_scale, bias_x, hh_fmt, hh, hh_scale, bias_h, h, c, z, zh)
 *   kind 0 LSTM, 1 GRU, 2 Elman tanh, 3 Elman ReLU; None where a part is absent.
 * Head tuple: (fmt, W_out, scale, bias, logits).
 */

#include "kernels.h"  /* Python.h first, as it asks */
#include <string.h>

enum { KIND_LSTM = 0, KIND_GRU = 1, KIND_TANH = 2, KIND_RELU = 3 };
static const Py_ssize_t GATES[4] = {4, 3, 1, 1};

typedef struct {
    int kind;
    Py_ssize_t D, H, G;
    const float *table, *bias_x, *bias_h;
    RecurMatrix ih, hh;
    float *h, *c, *z, *zh;
} StackLayer;

typedef struct {
    PyObject_HEAD
    Py_ssize_t B, V, D0, n_layers;
    StackLayer *layers;
    const float *embedding;
    float *x0;
    RecurMatrix head;
    const float *head_bias;
    float *logits;
    Py_buffer *views;
    int n_views, max_views;
} RecurStack;

/* The buffer of ``obj`` (C-contiguous, items of ``itemsize`` bytes, at least ``count`` of them), held
 * until the stack is freed; NULL for None when ``optional``. On error: NULL with an exception set. */
static void *hold(RecurStack *s, PyObject *obj, Py_ssize_t count, Py_ssize_t itemsize, int writable, int optional,
                  const char *name) {
    if (obj == Py_None) {
        if (!optional) PyErr_Format(PyExc_ValueError, "Stack: %s is required", name);
        return NULL;
    }
    if (s->n_views == s->max_views) {
        PyErr_SetString(PyExc_RuntimeError, "Stack: too many buffers");
        return NULL;
    }
    Py_buffer *view = &s->views[s->n_views];
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | (writable ? PyBUF_WRITABLE : 0)) < 0) return NULL;
    s->n_views++;
    if (view->itemsize != itemsize || view->len < count * itemsize) {
        PyErr_Format(PyExc_ValueError, "Stack: %s needs %zd items of %zd bytes, got %zd bytes in items of %zd", name,
                     count, itemsize, view->len, view->itemsize);
        return NULL;
    }
    return view->buf;
}

static int hold_matrix(RecurStack *s, RecurMatrix *m, int fmt, PyObject *data, PyObject *scale, Py_ssize_t G,
                       Py_ssize_t K, const char *name) {
    if (fmt < FMT_F32 || fmt >= FMT_COUNT) {
        PyErr_Format(PyExc_ValueError, "Stack: %s has unknown format %d", name, fmt);
        return -1;
    }
    m->fmt = fmt;
    m->data = hold(s, data, recur_matrix_bytes(fmt, G, K) / RECUR_FMT_BYTES[fmt], RECUR_FMT_BYTES[fmt], 0, 0, name);
    if (!m->data) return -1;
    const int int8 = fmt == FMT_INT8 || fmt == FMT_INT8_P16;  /* panels' scales are padded to 16 rows */
    m->scale = hold(s, scale, fmt == FMT_INT8_P16 ? (G + 15) / 16 * 16 : G, 4, 0, !int8, "int8 scales");
    return PyErr_Occurred() ? -1 : 0;
}

static int hold_layer(RecurStack *s, StackLayer *L, PyObject *spec, int first) {
    PyObject *table, *ih, *ih_scale, *bias_x, *hh, *hh_scale, *bias_h, *h, *c, *z, *zh;
    int ih_fmt, hh_fmt;
    if (!PyArg_ParseTuple(spec, "innOiOOOiOOOOOOO", &L->kind, &L->D, &L->H, &table, &ih_fmt, &ih, &ih_scale,
                          &bias_x, &hh_fmt, &hh, &hh_scale, &bias_h, &h, &c, &z, &zh))
        return -1;
    if (L->kind < KIND_LSTM || L->kind > KIND_RELU || L->D < 1 || L->H < 1) {
        PyErr_SetString(PyExc_ValueError, "Stack: a layer needs kind 0-3 and positive sizes");
        return -1;
    }
    const Py_ssize_t B = s->B, G = GATES[L->kind] * L->H;
    L->G = G;
    L->table = hold(s, table, s->V * G, 4, 0, 1, "table");
    if (PyErr_Occurred()) return -1;
    if (L->table && !first) {
        PyErr_SetString(PyExc_ValueError, "Stack: only the first layer looks its input up");
        return -1;
    }
    if (!L->table && hold_matrix(s, &L->ih, ih_fmt, ih, ih_scale, G, L->D, "W_ih") < 0) return -1;
    if (hold_matrix(s, &L->hh, hh_fmt, hh, hh_scale, G, L->H, "W_hh") < 0) return -1;
    L->bias_x = hold(s, bias_x, G, 4, 0, 0, "bias_x");
    L->bias_h = hold(s, bias_h, G, 4, 0, L->kind != KIND_GRU, "bias_h");
    L->h = hold(s, h, B * L->H, 4, 1, 0, "h");
    L->c = hold(s, c, B * L->H, 4, 1, 0, "c");
    L->z = hold(s, z, B * G, 4, 1, 0, "z");
    L->zh = hold(s, zh, B * G, 4, 1, L->kind != KIND_GRU, "zh");
    return PyErr_Occurred() ? -1 : 0;
}

static void stack_dealloc(RecurStack *s) {
    for (int i = 0; i < s->n_views; i++) PyBuffer_Release(&s->views[i]);
    PyMem_Free(s->views);
    PyMem_Free(s->layers);
    Py_TYPE(s)->tp_free((PyObject *)s);
}

static int stack_init(RecurStack *s, PyObject *args, PyObject *kwargs) {
    PyObject *embedding, *x0, *layers, *head, *head_data, *head_scale, *head_bias, *logits;
    int head_fmt;
    if (s->views) {
        PyErr_SetString(PyExc_RuntimeError, "Stack: already initialised");
        return -1;
    }
    if (!PyArg_ParseTuple(args, "nnOOO!O!", &s->B, &s->V, &embedding, &x0, &PyList_Type, &layers, &PyTuple_Type, &head))
        return -1;
    s->n_layers = PyList_GET_SIZE(layers);
    if (s->B < 1 || s->V < 1 || s->n_layers < 1) {
        PyErr_SetString(PyExc_ValueError, "Stack: needs batch >= 1, vocabulary >= 1 and at least one layer");
        return -1;
    }
    s->max_views = 4 + 14 * (int)s->n_layers + 5;
    s->views = PyMem_Calloc((size_t)s->max_views, sizeof(Py_buffer));
    s->layers = PyMem_Calloc((size_t)s->n_layers, sizeof(StackLayer));
    if (!s->views || !s->layers) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t l = 0; l < s->n_layers; l++)
        if (hold_layer(s, &s->layers[l], PyList_GET_ITEM(layers, l), l == 0) < 0) return -1;
    StackLayer *first = &s->layers[0], *top = &s->layers[s->n_layers - 1];
    for (Py_ssize_t l = 1; l < s->n_layers; l++)
        if (s->layers[l].D != s->layers[l - 1].H) {
            PyErr_SetString(PyExc_ValueError, "Stack: a layer's input size must be the hidden size below it");
            return -1;
        }
    s->D0 = first->D;
    if (!first->table) {
        s->embedding = hold(s, embedding, s->V * s->D0, 4, 0, 0, "embedding");
        s->x0 = hold(s, x0, s->B * s->D0, 4, 1, 0, "x0");
        if (PyErr_Occurred()) return -1;
    }
    if (!PyArg_ParseTuple(head, "iOOOO", &head_fmt, &head_data, &head_scale, &head_bias, &logits)) return -1;
    if (hold_matrix(s, &s->head, head_fmt, head_data, head_scale, s->V, top->H, "W_out") < 0) return -1;
    s->head_bias = hold(s, head_bias, s->V, 4, 0, 0, "head bias");
    s->logits = hold(s, logits, s->B * s->V, 4, 1, 0, "logits");
    return PyErr_Occurred() ? -1 : 0;
}

/* Every row of y [B, n] set to bias [n]. */
static void fill_rows(float *y, const float *bias, Py_ssize_t B, Py_ssize_t n) {
    for (Py_ssize_t b = 0; b < B; b++) memcpy(y + b * n, bias, (size_t)n * sizeof(float));
}

static PyObject *stack_step(RecurStack *s, PyObject *arg) {
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_C_CONTIGUOUS) < 0) return NULL;
    const Py_ssize_t B = s->B;
    if (view.itemsize != 8 || view.len < B * 8) {
        PyBuffer_Release(&view);
        return PyErr_Format(PyExc_ValueError, "step: needs %zd int64 ids", B);
    }
    const int64_t *ids = view.buf;
    for (Py_ssize_t b = 0; b < B; b++)
        if (ids[b] < 0 || ids[b] >= s->V) {
            PyBuffer_Release(&view);
            return PyErr_Format(PyExc_ValueError, "step: id %lld is outside the vocabulary of %zd", (long long)ids[b],
                                s->V);
        }
    recur_counts.steps++;
    const float *x = s->x0;
    for (Py_ssize_t l = 0; l < s->n_layers; l++) {
        StackLayer *L = &s->layers[l];
        if (L->table) {
            for (Py_ssize_t b = 0; b < B; b++) memcpy(L->z + b * L->G, L->table + ids[b] * L->G, L->G * sizeof(float));
        } else {
            if (l == 0)
                for (Py_ssize_t b = 0; b < B; b++)
                    memcpy(s->x0 + b * s->D0, s->embedding + ids[b] * s->D0, s->D0 * sizeof(float));
            fill_rows(L->z, L->bias_x, B, L->G);
            recur_matmul(&L->ih, x, L->z, B, L->G, L->D);
        }
        if (L->kind == KIND_GRU) {
            fill_rows(L->zh, L->bias_h, B, L->G);
            recur_matmul(&L->hh, L->h, L->zh, B, L->G, L->H);
            recur_gru_cell(L->z, L->zh, L->h, B, L->H);
        } else {
            recur_matmul(&L->hh, L->h, L->z, B, L->G, L->H);
            if (L->kind == KIND_LSTM) recur_lstm_cell(L->z, L->c, L->h, B, L->H);
            else if (L->kind == KIND_TANH) recur_tanh(L->z, L->h, B * L->H);
            else recur_relu(L->z, L->h, B * L->H);
        }
        x = L->h;
    }
    fill_rows(s->logits, s->head_bias, B, s->V);
    recur_matmul(&s->head, x, s->logits, B, s->V, s->layers[s->n_layers - 1].H);
    PyBuffer_Release(&view);
    Py_RETURN_NONE;
}

static PyMethodDef stack_methods[] = {
    {"step", (PyCFunction)stack_step, METH_O, "step(ids [B] int64): one step; the logits buffer holds the result"},
    {NULL, NULL, 0, NULL},
};

PyTypeObject RecurStackType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "recur.generate._kernels.Stack",
    .tp_basicsize = sizeof(RecurStack),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A stacked language model's step on the engine's buffers (see stack.c)",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)stack_init,
    .tp_dealloc = (destructor)stack_dealloc,
    .tp_methods = stack_methods,
};
