/* One id per row of logits [B, V], by the rule of recur/generate/sampling.py (its reference):
 *   T = 0: argmax.  Otherwise z = logits / T; keep the top_k largest z (ties at the k-th kept);
 *   p ∝ exp(z − max z) over the kept; top_p: keep the most likely tokens until the ones before
 *   reach top_p; then the first id whose cumulative kept probability exceeds u · total. */

#include "kernels.h"  /* Python.h first, as it asks */
#include <math.h>
#include <stdlib.h>

/* The k-th largest of logits[0..V) counting repeats (1 ≤ k < V): a min-heap of the k largest seen so
 * far, O(V log k), where sorting all V made a 10,000-word vocabulary's draw cost more than its step. */
static void sift_down(double *heap, Py_ssize_t n, Py_ssize_t i) {
    for (;;) {
        Py_ssize_t least = i, l = 2 * i + 1, r = l + 1;
        if (l < n && heap[l] < heap[least]) least = l;
        if (r < n && heap[r] < heap[least]) least = r;
        if (least == i) return;
        double t = heap[i];
        heap[i] = heap[least];
        heap[least] = t;
        i = least;
    }
}

static double kth_largest(const float *logits, Py_ssize_t V, Py_ssize_t k, double *heap) {
    for (Py_ssize_t v = 0; v < k; v++) heap[v] = logits[v];
    for (Py_ssize_t i = k / 2 - 1; i >= 0; i--) sift_down(heap, k, i);
    for (Py_ssize_t v = k; v < V; v++)
        if (logits[v] > heap[0]) {
            heap[0] = logits[v];
            sift_down(heap, k, 0);
        }
    return heap[0];
}

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
    if (top_k > 0 && top_k < V) threshold = kth_largest(logits, V, top_k, sorted);
    double top = logits[best] / temperature, total = 0.0;
    for (Py_ssize_t v = 0; v < V; v++) {
        p[v] = logits[v] >= threshold ? exp(logits[v] / temperature - top) : 0.0;
        total += p[v];
    }
    if (top_p < 1.0) {
        Py_ssize_t kept = 0;  /* only the tokens top-k kept can be in the nucleus: sort those */
        for (Py_ssize_t v = 0; v < V; v++)
            if (p[v] > 0.0) sorted[kept++] = p[v];
        qsort(sorted, (size_t)kept, sizeof(double), compare_desc);
        double before = 0.0, cut = 0.0;  /* the smallest probability kept */
        for (Py_ssize_t v = 0; v < kept; v++) {
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
