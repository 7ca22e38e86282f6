/*
 * fit_bench.c - see fit_bench.h for the contract of each benchmark.
 *
 * Build: cc -std=c11 -O2 -pthread -c fit_bench.c   (no -march needed)
 */
#if !defined(_POSIX_C_SOURCE) && !defined(__APPLE__)
#define _POSIX_C_SOURCE 200809L
#endif

#include "fit_bench.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__clang__)
#pragma STDC FP_CONTRACT ON
#endif

/* ------------------------------------------------------------------ */
/* cancellation                                                         */
/* ------------------------------------------------------------------ */

static volatile int *g_cancel_flag = NULL;

void fit_bench_set_cancel_flag(volatile int *flag) { g_cancel_flag = flag; }

static int cancelled(void)
{
    volatile int *f = g_cancel_flag;
    return f != NULL && *f != 0;
}

/* ------------------------------------------------------------------ */
/* time                                                                 */
/* ------------------------------------------------------------------ */

static double now_seconds(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0.0;
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ------------------------------------------------------------------ */
/* barrier (mutex + cond, generation counted; macOS has no              */
/* pthread_barrier_t)                                                   */
/* ------------------------------------------------------------------ */

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int count;               /* participants */
    int waiting;             /* arrived in current generation */
    unsigned long generation;
} fb_barrier;

static int fb_barrier_init(fb_barrier *b, int count)
{
    if (pthread_mutex_init(&b->mu, NULL) != 0)
        return -1;
    if (pthread_cond_init(&b->cv, NULL) != 0) {
        pthread_mutex_destroy(&b->mu);
        return -1;
    }
    b->count = count;
    b->waiting = 0;
    b->generation = 0;
    return 0;
}

static void fb_barrier_destroy(fb_barrier *b)
{
    pthread_cond_destroy(&b->cv);
    pthread_mutex_destroy(&b->mu);
}

static void fb_barrier_wait(fb_barrier *b)
{
    pthread_mutex_lock(&b->mu);
    unsigned long gen = b->generation;
    if (++b->waiting == b->count) {
        b->waiting = 0;
        b->generation++;
        pthread_cond_broadcast(&b->cv);
    } else {
        while (gen == b->generation)
            pthread_cond_wait(&b->cv, &b->mu);
    }
    pthread_mutex_unlock(&b->mu);
}

/* ------------------------------------------------------------------ */
/* generic runner                                                       */
/*                                                                      */
/* The calling thread is worker 0; threads-1 pthreads are created once. */
/* Every worker: init (first touch) -> loop { start barrier; if stop    */
/* break; work; end barrier } -> finish (verification) if not           */
/* cancelled. Worker 0 checks the cancel flag and takes the timestamps: */
/* t0 when it leaves the start barrier, t1 when it leaves the end       */
/* barrier, i.e. after the last worker has finished.                    */
/* ------------------------------------------------------------------ */

typedef struct fb_run fb_run;

typedef struct {
    fb_run *run;
    int index;
    int failed;      /* set by init/work/finish on failure */
    int rep;         /* repetition being run (0 = first, warm-ups included) */
    pthread_t tid;
} fb_worker;

typedef void (*fb_fn)(fb_worker *w);

enum { FB_RUN = 0, FB_STOP_DONE = 1, FB_STOP_CANCEL = 2 };
enum { FB_GATE_WAIT = 0, FB_GATE_GO = 1, FB_GATE_ABORT = 2 };

struct fb_run {
    int threads;
    int warmup;        /* untimed repetitions first */
    int reps;          /* timed repetitions */
    fb_fn init;        /* may be NULL */
    fb_fn work;
    fb_fn finish;      /* may be NULL */
    void *data;
    fb_barrier bar;
    int stop;          /* written by worker 0 before a start barrier */
    pthread_mutex_t gate_mu;
    pthread_cond_t gate_cv;
    int gate;
    double best;       /* min timed repetition */
    double total;      /* sum of timed repetitions */
};

static void fb_worker_loop(fb_worker *w)
{
    fb_run *r = w->run;
    if (r->init)
        r->init(w);
    for (;;) {
        fb_barrier_wait(&r->bar);
        if (r->stop != FB_RUN)
            break;
        r->work(w);
        w->rep++;
        fb_barrier_wait(&r->bar);
    }
    if (r->stop == FB_STOP_DONE && r->finish)
        r->finish(w);
}

static void *fb_thread_main(void *arg)
{
    fb_worker *w = (fb_worker *)arg;
    fb_run *r = w->run;
    pthread_mutex_lock(&r->gate_mu);
    while (r->gate == FB_GATE_WAIT)
        pthread_cond_wait(&r->gate_cv, &r->gate_mu);
    int go = (r->gate == FB_GATE_GO);
    pthread_mutex_unlock(&r->gate_mu);
    if (go)
        fb_worker_loop(w);
    return NULL;
}

static void fb_open_gate(fb_run *r, int state)
{
    pthread_mutex_lock(&r->gate_mu);
    r->gate = state;
    pthread_cond_broadcast(&r->gate_cv);
    pthread_mutex_unlock(&r->gate_mu);
}

/* Runs r; returns 0, FIT_BENCH_ECANCELLED, FIT_BENCH_ETHREAD, FIT_BENCH_ENOMEM
 * or FIT_BENCH_EVERIFY. */
static int fb_execute(fb_run *r)
{
    int T = r->threads;
    fb_worker *ws = (fb_worker *)calloc((size_t)T, sizeof(fb_worker));
    if (!ws)
        return FIT_BENCH_ENOMEM;
    if (pthread_mutex_init(&r->gate_mu, NULL) != 0) {
        free(ws);
        return FIT_BENCH_ETHREAD;
    }
    if (pthread_cond_init(&r->gate_cv, NULL) != 0) {
        pthread_mutex_destroy(&r->gate_mu);
        free(ws);
        return FIT_BENCH_ETHREAD;
    }
    if (fb_barrier_init(&r->bar, T) != 0) {
        pthread_cond_destroy(&r->gate_cv);
        pthread_mutex_destroy(&r->gate_mu);
        free(ws);
        return FIT_BENCH_ETHREAD;
    }
    r->gate = FB_GATE_WAIT;
    r->stop = FB_RUN;
    r->best = 0.0;
    r->total = 0.0;

    int created = 0, rc = 0;
    for (int i = 0; i < T; i++) {
        ws[i].run = r;
        ws[i].index = i;
        ws[i].failed = 0;
        ws[i].rep = 0;
    }
    for (int i = 1; i < T; i++) {
        if (pthread_create(&ws[i].tid, NULL, fb_thread_main, &ws[i]) != 0) {
            rc = FIT_BENCH_ETHREAD;
            break;
        }
        created++;
    }
    if (rc != 0) {
        fb_open_gate(r, FB_GATE_ABORT);
        for (int i = 1; i <= created; i++)
            pthread_join(ws[i].tid, NULL);
        goto out;
    }
    fb_open_gate(r, FB_GATE_GO);

    /* worker 0 == this thread */
    fb_worker *w0 = &ws[0];
    if (r->init)
        r->init(w0);
    int total_reps = r->warmup + r->reps;
    double best = 0.0, total = 0.0;
    for (int rep = 0; rep < total_reps; rep++) {
        if (cancelled()) {
            r->stop = FB_STOP_CANCEL;
            break;
        }
        fb_barrier_wait(&r->bar);
        double t0 = now_seconds();
        r->work(w0);
        w0->rep++;
        fb_barrier_wait(&r->bar);
        double t1 = now_seconds();
        if (rep >= r->warmup) {
            double dt = t1 - t0;
            if (dt <= 0.0)
                dt = 1e-9;
            if (best == 0.0 || dt < best)
                best = dt;
            total += dt;
        }
    }
    if (r->stop == FB_RUN)
        r->stop = FB_STOP_DONE;
    fb_barrier_wait(&r->bar); /* release workers into the stop check */
    if (r->stop == FB_STOP_DONE && r->finish)
        r->finish(w0);
    for (int i = 1; i < T; i++)
        pthread_join(ws[i].tid, NULL);

    r->best = best;
    r->total = total;
    if (r->stop == FB_STOP_CANCEL)
        rc = FIT_BENCH_ECANCELLED;
    else
        for (int i = 0; i < T; i++)
            if (ws[i].failed)
                rc = FIT_BENCH_EVERIFY;
out:
    fb_barrier_destroy(&r->bar);
    pthread_cond_destroy(&r->gate_cv);
    pthread_mutex_destroy(&r->gate_mu);
    free(ws);
    return rc;
}

static void *fb_alloc(size_t bytes)
{
    void *p = NULL;
    if (bytes == 0)
        bytes = 1;
    /* page alignment: slices start on page boundaries, nothing is touched here */
    if (posix_memalign(&p, 4096, bytes) != 0)
        return NULL;
    return p;
}

/* ------------------------------------------------------------------ */
/* STREAM copy / triad                                                  */
/* ------------------------------------------------------------------ */

#define FB_STREAM_SCALAR 3.0
#define FB_A0 1.0
#define FB_B0 2.0
#define FB_C0 0.5
#define FB_CHUNK 8 /* fixed-trip inner loop: gcc -O2 vectorises it */

enum { FB_COPY = 0, FB_TRIAD = 1 };

typedef struct {
    int kind;
    size_t n;       /* elements per array */
    size_t slice;   /* elements per worker (multiple of 512 = 4 KiB) */
    double *a, *b, *c;
} fb_stream;

static void fb_stream_range(const fb_stream *s, int idx, size_t *lo, size_t *hi)
{
    size_t l = (size_t)idx * s->slice;
    size_t h = l + s->slice;
    if (l > s->n)
        l = s->n;
    if (h > s->n)
        h = s->n;
    *lo = l;
    *hi = h;
}

static void fb_stream_init(fb_worker *w)
{
    fb_stream *s = (fb_stream *)w->run->data;
    size_t lo, hi;
    fb_stream_range(s, w->index, &lo, &hi);
    for (size_t i = lo; i < hi; i++) {
        s->a[i] = FB_A0;
        s->c[i] = FB_C0;
    }
    if (s->b)
        for (size_t i = lo; i < hi; i++)
            s->b[i] = FB_B0;
}

static void fb_copy_kernel(double *restrict c, const double *restrict a, size_t n)
{
    size_t i = 0;
    for (; i + FB_CHUNK <= n; i += FB_CHUNK)
        for (size_t j = 0; j < FB_CHUNK; j++)
            c[i + j] = a[i + j];
    for (; i < n; i++)
        c[i] = a[i];
}

static void fb_triad_kernel(double *restrict a, const double *restrict b,
                            const double *restrict c, double s, size_t n)
{
    size_t i = 0;
    for (; i + FB_CHUNK <= n; i += FB_CHUNK)
        for (size_t j = 0; j < FB_CHUNK; j++)
            a[i + j] = b[i + j] + s * c[i + j];
    for (; i < n; i++)
        a[i] = b[i] + s * c[i];
}

static void fb_stream_work(fb_worker *w)
{
    fb_stream *s = (fb_stream *)w->run->data;
    size_t lo, hi;
    fb_stream_range(s, w->index, &lo, &hi);
    if (hi <= lo)
        return;
    if (s->kind == FB_COPY)
        fb_copy_kernel(s->c + lo, s->a + lo, hi - lo);
    else
        fb_triad_kernel(s->a + lo, s->b + lo, s->c + lo, FB_STREAM_SCALAR, hi - lo);
}

static void fb_stream_finish(fb_worker *w)
{
    fb_stream *s = (fb_stream *)w->run->data;
    size_t lo, hi;
    fb_stream_range(s, w->index, &lo, &hi);
    if (hi <= lo)
        return;
    /* spot-check first, middle and last element of the slice */
    size_t idx[3] = { lo, lo + (hi - lo) / 2, hi - 1 };
    for (int k = 0; k < 3; k++) {
        size_t i = idx[k];
        if (s->kind == FB_COPY) {
            if (s->c[i] != FB_A0)
                w->failed = 1;
        } else {
            if (s->a[i] != FB_B0 + FB_STREAM_SCALAR * FB_C0)
                w->failed = 1;
        }
    }
}

static int fb_stream_bench(int kind, size_t bytesPerArray, int threads, int repeats, fit_bench_bw *out)
{
    if (!out || threads < 1 || repeats < 1)
        return FIT_BENCH_EINVAL;
    memset(out, 0, sizeof(*out));
    if (cancelled())
        return FIT_BENCH_ECANCELLED;
    size_t n = bytesPerArray / sizeof(double);
    if (n == 0)
        return FIT_BENCH_EINVAL;

    fb_stream s;
    memset(&s, 0, sizeof(s));
    s.kind = kind;
    s.n = n;
    const size_t page_elems = 4096 / sizeof(double);
    size_t per = (n + (size_t)threads - 1) / (size_t)threads;
    per = (per + page_elems - 1) / page_elems * page_elems;
    s.slice = per;
    /* clamp threads so that every worker has some work */
    int T = (int)((n + per - 1) / per);
    if (T > threads)
        T = threads;
    if (T < 1)
        T = 1;

    size_t bytes = n * sizeof(double);
    s.a = (double *)fb_alloc(bytes);
    s.c = (double *)fb_alloc(bytes);
    if (kind == FB_TRIAD)
        s.b = (double *)fb_alloc(bytes);
    if (!s.a || !s.c || (kind == FB_TRIAD && !s.b)) {
        free(s.a);
        free(s.b);
        free(s.c);
        return FIT_BENCH_ENOMEM;
    }

    fb_run r;
    memset(&r, 0, sizeof(r));
    r.threads = T;
    r.warmup = 0; /* init already touched every page */
    r.reps = repeats;
    r.init = fb_stream_init;
    r.work = fb_stream_work;
    r.finish = fb_stream_finish;
    r.data = &s;
    int rc = fb_execute(&r);

    free(s.a);
    free(s.b);
    free(s.c);
    if (rc != 0)
        return rc;
    double moved = (double)n * sizeof(double) * (kind == FB_COPY ? 2.0 : 3.0);
    out->seconds = r.best;
    out->bytes = moved;
    out->gbPerSecond = moved / r.best / 1e9;
    return 0;
}

int fit_bench_copy(size_t bytesPerArray, int threads, int repeats, fit_bench_bw *out)
{
    return fb_stream_bench(FB_COPY, bytesPerArray, threads, repeats, out);
}

int fit_bench_triad(size_t bytesPerArray, int threads, int repeats, fit_bench_bw *out)
{
    return fb_stream_bench(FB_TRIAD, bytesPerArray, threads, repeats, out);
}

/* ------------------------------------------------------------------ */
/* FP32 multiply-add throughput                                         */
/* ------------------------------------------------------------------ */

/* Independent accumulators per worker. Chosen so the vectorised loop keeps
 * them all in registers: x86-64 has 16 xmm registers (12 accumulators of 4
 * floats + 2 constants), arm64 has 32 NEON registers (16 x 4 floats). Enough
 * chains to cover mul+add / FMA latency x issue width on current cores. */
#if defined(__aarch64__) || defined(__arm64__)
#define FB_FMA_ACCS 64
#elif defined(__AVX__) /* only if someone builds with -mavx/-march: 12 ymm */
#define FB_FMA_ACCS 96
#else
#define FB_FMA_ACCS 48
#endif

/* Use a real fused multiply-add only where it is a single instruction for the
 * ISA the file is compiled for; otherwise fmaf would be a slow libm call.
 * Fused:   acc = fma(m, a, acc)  -> accumulator is the addend, which maps onto
 *          the destructive fmla / vfmadd231ps with no register moves; the
 *          compiler may not split a fused op, so m*a cannot be hoisted.
 * Unfused: acc = acc*m + a       -> the multiply depends on acc, so it cannot
 *          be hoisted either (acc converges to a/(1-m) = 1, no denormals). */
#if defined(__FP_FAST_FMAF) || defined(__aarch64__) || defined(__arm64__)
#define FB_FMA_FUSED 1
#define FB_MADD_STEP(acc, m, a) __builtin_fmaf((m), (a), (acc))
#else
#define FB_FMA_FUSED 0
#define FB_MADD_STEP(acc, m, a) ((acc) * (m) + (a))
#endif

int fit_bench_fma_accumulators(void) { return FB_FMA_ACCS; }

static volatile float g_fma_sink;
static volatile float g_fma_mul = 0.9999999f; /* volatile: not constant-folded */
static volatile float g_fma_add = 1.0e-7f;    /* acc -> 1.0, never denormal/inf */

typedef struct {
    long iterations;
    long warmup_iterations;
    float mul, add;
    float *partial; /* per worker */
} fb_fma;

static float fb_fma_kernel(long iterations, float m, float a, float seed)
{
    float acc[FB_FMA_ACCS];
    for (int j = 0; j < FB_FMA_ACCS; j++)
        acc[j] = seed + (float)j * 0.001f;
    for (long i = 0; i < iterations; i++) {
        /* gcc -O2 otherwise keeps acc[] in memory (load/op/store per vector);
         * fully unrolled, SRA + SLP keep it in registers. clang does this
         * unprompted. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 64
#endif
        for (int j = 0; j < FB_FMA_ACCS; j++)
            acc[j] = FB_MADD_STEP(acc[j], m, a);
    }
    float s = 0.0f;
    for (int j = 0; j < FB_FMA_ACCS; j++)
        s += acc[j];
    return s;
}

static void fb_fma_work(fb_worker *w)
{
    fb_fma *f = (fb_fma *)w->run->data;
    long it = (w->rep == 0) ? f->warmup_iterations : f->iterations;
    f->partial[w->index] += fb_fma_kernel(it, f->mul, f->add, (float)w->index * 0.01f);
}

int fit_bench_fma(int threads, long iterations, fit_bench_flops *out)
{
    if (!out || threads < 1 || iterations < 1)
        return FIT_BENCH_EINVAL;
    memset(out, 0, sizeof(*out));
    if (cancelled())
        return FIT_BENCH_ECANCELLED;
    fb_fma f;
    f.mul = g_fma_mul;
    f.add = g_fma_add;
    f.partial = (float *)calloc((size_t)threads, sizeof(float));
    if (!f.partial)
        return FIT_BENCH_ENOMEM;

    /* rep 0: short untimed warm-up (clock ramp, thread wake-up), ~1/20 of
     * the run; rep 1: the timed run */
    f.iterations = iterations;
    f.warmup_iterations = iterations / 20 + 1;
    fb_run r;
    memset(&r, 0, sizeof(r));
    r.threads = threads;
    r.warmup = 1;
    r.reps = 1;
    r.work = fb_fma_work;
    r.data = &f;
    int rc = fb_execute(&r);
    float s = 0.0f;
    for (int i = 0; i < threads; i++)
        s += f.partial[i];
    g_fma_sink = s;
    free(f.partial);
    if (rc != 0)
        return rc;
    double flops = (double)threads * (double)iterations * (double)FB_FMA_ACCS * 2.0;
    out->seconds = r.best;
    out->gflops = flops / r.best / 1e9;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Q8_0 matrix-vector product (synthetic decode)                        */
/* ------------------------------------------------------------------ */

#define FB_QK 32

/* Same layout and size as llama.cpp's block_q8_0: 2-byte half scale + 32 int8. */
typedef struct {
    uint16_t d;
    int8_t qs[FB_QK];
} fb_block_q8;

_Static_assert(sizeof(fb_block_q8) == 34, "block_q8_0 must be 34 bytes");

/* IEEE half -> float for normal numbers only (the generator only produces
 * normal scales); a few integer ops, no table, no F16C needed. */
static inline float fb_half_to_float(uint16_t h)
{
    uint32_t bits = ((uint32_t)(h & 0x8000u) << 16) | (((uint32_t)(h & 0x7fffu) + 0x1c000u) << 13);
    float f;
    memcpy(&f, &bits, sizeof(f));
    return f;
}

static inline uint64_t fb_xorshift64(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *s = x;
    return x;
}

/* random normal half of magnitude in [2^-10, 2^-6): biased exponent 5..8 */
static inline uint16_t fb_random_half_scale(uint64_t r)
{
    uint16_t exp = (uint16_t)(5 + (r & 3));          /* 2^(5-15) .. 2^(8-15) */
    uint16_t man = (uint16_t)((r >> 2) & 0x3ffu);
    uint16_t sign = (uint16_t)(((r >> 12) & 1u) << 15);
    return (uint16_t)(sign | (exp << 10) | man);
}

typedef struct {
    size_t rows;
    int nb;                 /* blocks per row */
    size_t row_bytes;       /* nb * 34 */
    int threads;
    fb_block_q8 *w;         /* rows * nb blocks */
    const int16_t *xq;      /* nb*32 int8-range activation quants, widened to int16 */
    const float *xd;        /* nb activation scales */
    float *y;               /* rows outputs */
} fb_q8;

static void fb_q8_range(const fb_q8 *q, int idx, size_t *lo, size_t *hi)
{
    *lo = q->rows * (size_t)idx / (size_t)q->threads;
    *hi = q->rows * (size_t)(idx + 1) / (size_t)q->threads;
}

static void fb_q8_init(fb_worker *w)
{
    fb_q8 *q = (fb_q8 *)w->run->data;
    size_t lo, hi;
    fb_q8_range(q, w->index, &lo, &hi);
    uint64_t st = 0x9E3779B97F4A7C15ull ^ ((uint64_t)(w->index + 1) * 0xD1B54A32D192ED03ull);
    size_t nblk = (hi - lo) * (size_t)q->nb;
    fb_block_q8 *b = q->w + lo * (size_t)q->nb;
    for (size_t i = 0; i < nblk; i++) {
        uint64_t r[4];
        for (int k = 0; k < 4; k++)
            r[k] = fb_xorshift64(&st);
        memcpy(b[i].qs, r, sizeof(r));
        b[i].d = fb_random_half_scale(r[0] >> 40);
    }
    for (size_t i = lo; i < hi; i++)
        q->y[i] = 0.0f;
}

/* int8 weights . int8-range activations (pre-widened to int16 once per call,
 * they are reused by every row). Widening the weight block into a local int16
 * array first lets both gcc and clang emit pmaddwd on baseline SSE2 (no
 * pmaddubsw / pmovsx there) and smull/smlal on NEON; measured the fastest of
 * several plain-C formulations with both compilers. */
static inline int32_t fb_dot_q8(const int8_t *restrict q, const int16_t *restrict x)
{
    int16_t q16[FB_QK];
    for (int i = 0; i < FB_QK; i++)
        q16[i] = q[i];
    int32_t s = 0;
    for (int i = 0; i < FB_QK; i++)
        s += (int32_t)q16[i] * (int32_t)x[i];
    return s;
}

static void fb_q8_work(fb_worker *w)
{
    fb_q8 *q = (fb_q8 *)w->run->data;
    size_t lo, hi;
    fb_q8_range(q, w->index, &lo, &hi);
    const int nb = q->nb;
    const int16_t *xq = q->xq;
    const float *xd = q->xd;
    for (size_t r = lo; r < hi; r++) {
        const fb_block_q8 *row = q->w + r * (size_t)nb;
        float acc = 0.0f;
        for (int b = 0; b < nb; b++) {
            int32_t s = fb_dot_q8(row[b].qs, xq + (size_t)b * FB_QK);
            acc += fb_half_to_float(row[b].d) * xd[b] * (float)s;
        }
        q->y[r] = acc;
    }
}

static volatile float g_q8_sink;

int fit_bench_q8_matvec(size_t weightBytes, int rowLength, int threads, int tokens, fit_bench_decode *out)
{
    if (!out || threads < 1 || tokens < 1 || rowLength < FB_QK || rowLength % FB_QK != 0)
        return FIT_BENCH_EINVAL;
    memset(out, 0, sizeof(*out));
    if (cancelled())
        return FIT_BENCH_ECANCELLED;
    fb_q8 q;
    memset(&q, 0, sizeof(q));
    q.nb = rowLength / FB_QK;
    q.row_bytes = (size_t)q.nb * sizeof(fb_block_q8);
    q.rows = weightBytes / q.row_bytes;
    if (q.rows == 0)
        return FIT_BENCH_EINVAL;
    q.threads = threads;
    if ((size_t)q.threads > q.rows)
        q.threads = (int)q.rows;

    int16_t *xq = (int16_t *)malloc((size_t)rowLength * sizeof(int16_t));
    float *xd = (float *)malloc((size_t)q.nb * sizeof(float));
    q.w = (fb_block_q8 *)fb_alloc(q.rows * q.row_bytes);
    q.y = (float *)fb_alloc(q.rows * sizeof(float));
    if (!xq || !xd || !q.w || !q.y) {
        free(xq);
        free(xd);
        free(q.w);
        free(q.y);
        return FIT_BENCH_ENOMEM;
    }
    /* activation vector: small, shared, cache resident */
    uint64_t st = 0x2545F4914F6CDD1Dull;
    for (int i = 0; i < rowLength; i++)
        xq[i] = (int16_t)(int8_t)(fb_xorshift64(&st) >> 56); /* int8 range */
    for (int b = 0; b < q.nb; b++)
        xd[b] = 1.0f / 127.0f * (1.0f + (float)(fb_xorshift64(&st) >> 40) / 16777216.0f);
    q.xq = xq;
    q.xd = xd;

    fb_run r;
    memset(&r, 0, sizeof(r));
    r.threads = q.threads;
    r.warmup = 1;
    r.reps = tokens;
    r.init = fb_q8_init;
    r.work = fb_q8_work;
    r.data = &q;
    int rc = fb_execute(&r);

    if (rc == 0) {
        float s = 0.0f;
        for (size_t i = 0; i < q.rows; i++)
            s += q.y[i];
        g_q8_sink = s;
    }
    free(xq);
    free(xd);
    free(q.w);
    free(q.y);
    if (rc != 0)
        return rc;
    double per = r.total / (double)tokens;
    double bytes = (double)q.rows * (double)q.row_bytes;
    out->seconds = per;
    out->bytes = bytes;
    out->gbPerSecond = bytes / per / 1e9;
    out->tokensPerSecond = 1.0 / per;
    return 0;
}
