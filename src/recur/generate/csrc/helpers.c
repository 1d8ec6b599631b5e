/* Helper threads that split a product's rows with the calling thread.
 *
 * At batch 1 a step is a few matrix-vector products of ~100 µs each, too short for a pool that
 * sleeps between jobs. Each helper takes its share of rows when a job is posted (a counter bumped
 * with release order), signals done the same way, and spins a while between jobs (the next product
 * follows within microseconds) before sleeping on a condition variable. Products below
 * SPLIT_MIN_WEIGHTS weights run on the caller alone. Two cores each bring their own L2 cache and
 * memory traffic, which is what a step that streams megabytes of weights is short of.
 */

#include "kernels.h"  /* Python.h first, as it asks */
#include <pthread.h>
#include <stdatomic.h>

#define MAX_HELPERS 7
#define SPLIT_MIN_WEIGHTS 65536
#define SPIN_ROUNDS 20000 /* pause instructions before a helper sleeps (not timed; well under 1 ms on x86) */

typedef struct {
    const RecurMatrix *W;
    const float *x;
    float *y;
    Py_ssize_t B, G, K, g0, g1;
} RowsJob;

typedef struct {
    pthread_t thread;
    RowsJob job;
    atomic_uint posted, done;
    int sleeping;          /* guarded by sleep_lock */
    Py_ssize_t rows_done;  /* written by the helper before it signals done; read once it has */
} Helper;

static Helper helpers[MAX_HELPERS];
static int helpers_started = 0, helpers_used = 0;
static pthread_mutex_t sleep_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
RecurCounts recur_counts;

static inline void relax(void) {
#if RECUR_X86
    _mm_pause();
#endif
}

static void *helper_main(void *arg) {
    Helper *self = arg;
    unsigned seen = 0;
    for (;;) {
        unsigned posted;
        int spins = 0;
        while ((posted = atomic_load_explicit(&self->posted, memory_order_acquire)) == seen) {
            if (++spins < SPIN_ROUNDS) {
                relax();
                continue;
            }
            pthread_mutex_lock(&sleep_lock);
            self->sleeping = 1;
            while (atomic_load_explicit(&self->posted, memory_order_acquire) == seen)
                pthread_cond_wait(&wake, &sleep_lock);
            self->sleeping = 0;
            pthread_mutex_unlock(&sleep_lock);
            spins = 0;
        }
        seen = posted;
        RowsJob *j = &self->job;
        recur_matmul_rows(j->W, j->x, j->y, j->B, j->G, j->K, j->g0, j->g1);
        self->rows_done += j->g1 - j->g0;
        atomic_store_explicit(&self->done, seen, memory_order_release);
    }
    return NULL;
}

/* A forked child has none of its parent's threads: it starts again with none. */
static void forget_helpers(void) {
    helpers_started = helpers_used = 0;
    for (int i = 0; i < MAX_HELPERS; i++) {
        atomic_store(&helpers[i].posted, 0);
        atomic_store(&helpers[i].done, 0);
        helpers[i].sleeping = 0;
        helpers[i].rows_done = 0;
    }
    pthread_mutex_init(&sleep_lock, NULL);
    pthread_cond_init(&wake, NULL);
}

int recur_use_helpers(int count) {
    static int fork_handler_set = 0;
    if (!fork_handler_set) {
        pthread_atfork(NULL, NULL, forget_helpers);
        fork_handler_set = 1;
    }
    if (count < 0) count = 0;
    if (count > MAX_HELPERS) count = MAX_HELPERS;
    while (helpers_started < count) {
        Helper *h = &helpers[helpers_started];
        if (pthread_create(&h->thread, NULL, helper_main, h) != 0) break;
        pthread_detach(h->thread);
        helpers_started++;
    }
    helpers_used = count < helpers_started ? count : helpers_started;
    return helpers_used;
}

/* Called between products (the caller holds the GIL), when every helper has signalled done. */
Py_ssize_t recur_helper_rows(int reset) {
    Py_ssize_t rows = 0;
    for (int i = 0; i < helpers_started; i++) {
        rows += helpers[i].rows_done;
        if (reset) helpers[i].rows_done = 0;
    }
    return rows;
}

void recur_matmul(const RecurMatrix *W, const float *x, float *y, Py_ssize_t B, Py_ssize_t G, Py_ssize_t K) {
    const int parts = 1 + helpers_used;
    recur_counts.products++;
    recur_counts.plain += recur_level == LEVEL_PLAIN;
    recur_counts.avx512 += recur_level >= LEVEL_AVX512 && W->fmt >= FMT_BF16_P16;
    if (parts == 1 || G * K * B < SPLIT_MIN_WEIGHTS || G < 8 * parts) {
        recur_matmul_rows(W, x, y, B, G, K, 0, G);
        return;
    }
    recur_counts.split++;
    const Py_ssize_t share = (G / parts + 15) & ~(Py_ssize_t)15; /* whole panels of 16 rows (panel.c) */
    unsigned tickets[MAX_HELPERS];
    int sleeping = 0;
    for (int i = 0; i < parts - 1; i++) {
        Helper *h = &helpers[i];
        Py_ssize_t g0 = (i + 1) * share, g1 = i + 2 == parts ? G : (i + 2) * share;
        h->job = (RowsJob){W, x, y, B, G, K, g0 < G ? g0 : G, g1 < G ? g1 : G};
        tickets[i] = atomic_load_explicit(&h->posted, memory_order_relaxed) + 1;
        atomic_store_explicit(&h->posted, tickets[i], memory_order_release);
    }
    pthread_mutex_lock(&sleep_lock);
    for (int i = 0; i < parts - 1; i++) sleeping |= helpers[i].sleeping;
    if (sleeping) pthread_cond_broadcast(&wake);
    pthread_mutex_unlock(&sleep_lock);
    recur_matmul_rows(W, x, y, B, G, K, 0, share < G ? share : G);
    for (int i = 0; i < parts - 1; i++)
        while (atomic_load_explicit(&helpers[i].done, memory_order_acquire) != tickets[i]) relax();
}
