/* Helper threads that split a product's rows with the calling thread.
 *
 * At batch 1 a step is a few matrix-vector products of ~20-100 µs each, too short for a pool that
 * sleeps between jobs. A product is cut into CHUNKS_PER_THREAD chunks per thread (whole panels of 16
 * rows); the caller and every helper claim chunks from one counter (a compare-and-swap on the job's
 * generation and the next chunk) until none is left, and the caller waits only for chunks a helper
 * has claimed. A helper that the OS has not scheduled (another process holds the core) then costs
 * nothing: the caller computes its chunks itself, where a fixed share would make it wait a time
 * slice. Helpers spin a while between jobs (the next product follows within microseconds) before
 * sleeping on a condition variable. Products below SPLIT_MIN_WEIGHTS weights run on the caller alone.
 * Two cores each bring their own L2 cache and memory traffic, which is what a step that streams
 * megabytes of weights is short of.
 */

#include "kernels.h"  /* Python.h first, as it asks */
#include <pthread.h>
#include <stdatomic.h>

#define MAX_HELPERS 7
#define SPLIT_MIN_WEIGHTS 65536
#define CHUNKS_PER_THREAD 4
#define SPIN_ROUNDS 20000 /* pause instructions before a helper sleeps (not timed; well under 1 ms on x86) */

/* The product being shared: written by the caller before it publishes the job's generation. */
static struct {
    const RecurMatrix *W;
    const float *x;
    float *y;
    Py_ssize_t B, G, K, chunk_rows, chunks;
} job;
/* generation << 32 | chunks << 16 | the next unclaimed chunk: a claimer reads the job's size from the
 * same word it swaps, never from job, which the caller rewrites once the last chunk is finished */
static _Atomic uint64_t claim;
static atomic_llong finished;       /* chunks of the current job computed */
static uint32_t generation;         /* the caller's; helpers read it from claim */

typedef struct {
    pthread_t thread;
    atomic_uint posted;    /* the generation the helper was last woken for */
    int sleeping;          /* guarded by sleep_lock */
    Py_ssize_t rows_done;  /* written by the helper before it counts a chunk finished */
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

/* Claims and computes chunks of generation ``gen`` until none is left, adding their rows to
 * ``*rows`` (before counting each finished, so the caller reads it settled). Once the job has moved
 * on (a newer generation in claim), the loop ends without touching it. */
static void run_chunks(uint32_t gen, Py_ssize_t *rows) {
    for (;;) {
        uint64_t seen = atomic_load_explicit(&claim, memory_order_acquire);
        if ((uint32_t)(seen >> 32) != gen || (seen & 0xFFFFu) >= ((seen >> 16) & 0xFFFFu)) return;
        if (!atomic_compare_exchange_weak_explicit(&claim, &seen, seen + 1, memory_order_acq_rel,
                                                   memory_order_relaxed))
            continue;
        /* the job cannot change until this chunk is counted finished */
        const Py_ssize_t g0 = (Py_ssize_t)(seen & 0xFFFFu) * job.chunk_rows;
        const Py_ssize_t g1 = g0 + job.chunk_rows < job.G ? g0 + job.chunk_rows : job.G;
        recur_matmul_rows(job.W, job.x, job.y, job.B, job.G, job.K, g0, g1);
        *rows += g1 - g0;
        atomic_fetch_add_explicit(&finished, 1, memory_order_release);
    }
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
        run_chunks((uint32_t)posted, &self->rows_done);
    }
    return NULL;
}

/* A forked child has none of its parent's threads: it starts again with none. */
static void forget_helpers(void) {
    helpers_started = helpers_used = 0;
    for (int i = 0; i < MAX_HELPERS; i++) {
        atomic_store(&helpers[i].posted, 0);
        helpers[i].sleeping = 0;
        helpers[i].rows_done = 0;
    }
    generation = 0;
    atomic_store(&claim, 0);
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
    /* chunks of whole 16-row panels, CHUNKS_PER_THREAD per thread */
    const Py_ssize_t chunk_rows = ((G + parts * CHUNKS_PER_THREAD - 1) / (parts * CHUNKS_PER_THREAD) + 15) & ~(Py_ssize_t)15;
    job.W = W, job.x = x, job.y = y, job.B = B, job.G = G, job.K = K;
    job.chunk_rows = chunk_rows, job.chunks = (G + chunk_rows - 1) / chunk_rows;
    generation = generation + 1 ? generation + 1 : 1;  /* 0 is the helpers' "never posted" */
    atomic_store_explicit(&finished, 0, memory_order_relaxed);
    atomic_store_explicit(&claim, (uint64_t)generation << 32 | (uint64_t)job.chunks << 16, memory_order_release);
    int sleeping = 0;
    for (int i = 0; i < parts - 1; i++) atomic_store_explicit(&helpers[i].posted, generation, memory_order_release);
    pthread_mutex_lock(&sleep_lock);
    for (int i = 0; i < parts - 1; i++) sleeping |= helpers[i].sleeping;
    if (sleeping) pthread_cond_broadcast(&wake);
    pthread_mutex_unlock(&sleep_lock);
    Py_ssize_t own = 0;
    run_chunks(generation, &own);
    while (atomic_load_explicit(&finished, memory_order_acquire) < job.chunks) relax();
}
