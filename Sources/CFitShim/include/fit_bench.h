/*
 * fit_bench.h - tiny hardware micro-benchmarks for `fit` (memory bandwidth,
 * FP32 multiply-add throughput, synthetic Q8_0 decode pass).
 *
 * C11 + pthreads only. Portable Linux/macOS, x86-64 and arm64. Meant to be
 * compiled with plain -O2 (no -march): the kernels are written as simple
 * fixed-trip-count loops so gcc (-O2 "very cheap" vectoriser) and clang both
 * auto-vectorise them for the baseline ISA (SSE2 on x86-64, NEON on arm64).
 *
 * Every function returns 0 on success or a negative FIT_BENCH_E* code; none
 * of them ever calls exit()/abort() or prints anything.
 *
 * Threading: each call creates (threads - 1) pthreads once; the calling
 * thread acts as worker 0. Every worker first-touches (initialises) its own
 * contiguous slice so pages land on its NUMA node. A mutex+condvar barrier
 * (pthread_barrier_t does not exist on macOS) releases all workers together;
 * a repetition's time runs from leaving the start barrier to the last worker
 * arriving at the end barrier (clock_gettime(CLOCK_MONOTONIC)).
 * If `threads` exceeds the amount of work (elements / rows) it is clamped.
 */
#ifndef FIT_BENCH_H
#define FIT_BENCH_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FIT_BENCH_OK          0
#define FIT_BENCH_ENOMEM     (-1) /* malloc / posix_memalign failed            */
#define FIT_BENCH_ECANCELLED (-2) /* cancel flag became nonzero                */
#define FIT_BENCH_EINVAL     (-3) /* bad argument (NULL out, sizes, counts)    */
#define FIT_BENCH_ETHREAD    (-4) /* pthread_create / mutex / cond init failed */
#define FIT_BENCH_EVERIFY    (-5) /* kernel produced a wrong result            */

typedef struct { double seconds; double bytes; double gbPerSecond; } fit_bench_bw;

/* STREAM-style copy (c = a) and triad (a = b + s*c) over arrays of
 * `bytesPerArray` bytes each (doubles, N = bytesPerArray / 8), `threads`
 * workers each on its own contiguous page-aligned slice, `repeats` timed
 * repetitions (>= 1). Reported: best (minimum) time, bytes per repetition as
 * STREAM counts them (copy 2*N*8, triad 3*N*8; write-allocate traffic not
 * counted) and the corresponding best GB/s (1 GB = 1e9 bytes).
 * Results are verified (a/c hold known values) -> FIT_BENCH_EVERIFY. */
int fit_bench_copy(size_t bytesPerArray, int threads, int repeats, fit_bench_bw *out);
int fit_bench_triad(size_t bytesPerArray, int threads, int repeats, fit_bench_bw *out);

typedef struct { double seconds; double gflops; } fit_bench_flops;

/* FP32 multiply-add throughput from registers. Each worker keeps
 * K = fit_bench_fma_accumulators() independent float accumulators (a local
 * array the compiler vectorises into K/4 128-bit registers) and does
 * `iterations` inner iterations of acc[j] = acc[j]*m + a over all of them.
 * flops = threads * iterations * K * 2.
 * Where the target has a hardware FMA at the baseline ISA (arm64, or x86 built
 * with -mfma) a fused fmaf is used; plain x86-64 -O2 builds get SSE2 mulps+addps
 * (see RESULTS.md: this is NOT the AVX2/AVX-512 peak of the machine).
 * `seconds` is the wall time of the single timed run (after a short warm-up). */
int fit_bench_fma(int threads, long iterations, fit_bench_flops *out);

typedef struct { double seconds; double bytes; double gbPerSecond; double tokensPerSecond; } fit_bench_decode;

/* Synthetic decode pass: Q8_0 matrix-vector product.
 * Weight layout is exactly llama.cpp's block_q8_0: 34 bytes per block of 32
 * weights = uint16 IEEE half scale + 32 int8 quants, blocks stored back to back,
 * rows of `rowLength` weights (rowLength must be a positive multiple of 32),
 * rows = weightBytes / (rowLength/32 * 34) (rounded down, must be >= 1).
 * The activation vector is int8-quantised in blocks of 32 with a float scale
 * per block (shared, cache resident). Rows are split contiguously across
 * `threads` workers; each worker fills its own rows with a xorshift pattern
 * (first touch). One untimed warm-up pass, then `tokens` (>= 1) timed passes.
 * Reported: mean seconds per pass, bytes of weights read per pass
 * (rows * rowBytes; the activation vector and the rows*4-byte output are not
 * counted), GB/s = bytes/seconds, tokensPerSecond = 1/seconds. */
int fit_bench_q8_matvec(size_t weightBytes, int rowLength, int threads, int tokens, fit_bench_decode *out);

/* Optional cancellation: when *flag becomes nonzero, a running benchmark
 * stops before its next repetition / pass and returns FIT_BENCH_ECANCELLED.
 * The flag may be set from a signal handler (use a volatile sig_atomic_t-sized
 * int). Pass NULL to disable. Not thread-safe w.r.t. running benchmarks: set it
 * before starting them. */
void fit_bench_set_cancel_flag(volatile int *flag);

/* K: number of float accumulators per worker in fit_bench_fma. */
int fit_bench_fma_accumulators(void);

#ifdef __cplusplus
}
#endif

#endif /* FIT_BENCH_H */
