/* One id per row of logits [B, V], by the rule of recur/generate/sampling.py (its reference):
 *   T = 0: argmax.  Otherwise z = logits / T; keep the top_k largest z (ties at the k-th kept);
 *   p ∝ exp(z − max z) over the kept; top_p: keep the most likely tokens until the ones before
 *   reach top_p; then the first id whose cumulative kept probability exceeds u · total. */

#include "kernels.h"  /* Python.h first, as it asks */
#include <math.h>
#include <stdlib.h>

static int compare_desc(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

Py_ssize_t recur_sample_row(const float *logits, Py_ssize_t V, double temperature, Py_ssize_t top_k,
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
