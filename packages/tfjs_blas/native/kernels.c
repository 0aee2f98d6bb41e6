/*
 * Memory-bound helpers of packages/tfjs_blas/ (im2col, col2im, elementwise ops, column sums), compiled on
 * first use by packages/tfjs_blas/native.ts with the system C compiler (cc -O3 -march=native, and
 * -fopenmp when available: the pragmas below are ignored without it) and called
 * through Deno's FFI on the tfjs wasm backend's memory. Every pointer argument is the base of that
 * memory; every position is a float index into it. The JS versions in im2col.ts / js_kernels.ts
 * compute the same results and are used when no compiler is present.
 */
#include <stdint.h>
#include <string.h>

/* Geometry, as packages/tfjs_blas/im2col.ts's ConvGeometry, in this order. */
enum { N, H, W, C, OH, OW, FH, FW, SH, SW, DH, DW, PT, PL };

/* Loops over at least this many floats run on all cores (OpenMP, when compiled with -fopenmp). */
#define PARALLEL_MIN 262144

/* memcpy / memset, inlined for the short runs of few-channel images (a call costs more). */
static inline void copy_floats(float *restrict d, const float *restrict s, int64_t n) {
  if (n >= 16) memcpy(d, s, sizeof(float) * n);
  else for (int64_t k = 0; k < n; k++) d[k] = s[k];
}
static inline void zero_floats(float *d, int64_t n) {
  if (n >= 16) memset(d, 0, sizeof(float) * n);
  else for (int64_t k = 0; k < n; k++) d[k] = 0.0f;
}

static void im2col_at(const float *restrict x, float *restrict cols_base, const int32_t *g);

void kmnist_im2col(float *heap, int32_t x_at, int32_t cols_at, const int32_t *g) {
  im2col_at(heap + x_at, heap + cols_at, g);
}

/* im2col from x into cols_base (any memory). */
static void im2col_at(const float *restrict x, float *restrict cols_base, const int32_t *g) {
  const int64_t h = g[H], w = g[W], c = g[C], fh = g[FH], fw = g[FW];
  const int64_t per_image = g[OH] * g[OW] * fh * fw * c;
#pragma omp parallel for if (g[N] * per_image >= PARALLEL_MIN) schedule(static)
  for (int64_t n = 0; n < g[N]; n++) {
    const float *xn = x + n * h * w * c;
    float *out = cols_base + n * per_image;
    for (int64_t y = 0; y < g[OH]; y++) {
      const int64_t y0 = y * g[SH] - g[PT];
      for (int64_t xo = 0; xo < g[OW]; xo++) {
        const int64_t x0 = xo * g[SW] - g[PL];
        for (int64_t i = 0; i < fh; i++) {
          const int64_t yy = y0 + i * g[DH];
          if (yy < 0 || yy >= h) {
            zero_floats(out, fw * c);
            out += fw * c;
            continue;
          }
          const float *row = xn + yy * w * c;
          if (g[DW] == 1 && x0 >= 0 && x0 + fw <= w) {
            copy_floats(out, row + x0 * c, fw * c);
            out += fw * c;
            continue;
          }
          for (int64_t j = 0; j < fw; j++) {
            const int64_t xx = x0 + j * g[DW];
            if (xx < 0 || xx >= w) zero_floats(out, c);
            else copy_floats(out, row + xx * c, c);
            out += c;
          }
        }
      }
    }
  }
}

/* Taps (t, o) of one axis that read input coordinate p: o * stride + t * dilation - pad = p. */
static int readers(int64_t p, int64_t out_size, int64_t filter, int64_t stride, int64_t dilation,
                   int64_t pad, int64_t *taps, int64_t *outs) {
  int count = 0;
  for (int64_t t = 0; t < filter; t++) {
    const int64_t q = p + pad - t * dilation;
    if (q < 0 || q % stride != 0) continue;
    const int64_t o = q / stride;
    if (o < out_size) {
      taps[count] = t;
      outs[count] = o;
      count++;
    }
  }
  return count;
}

/* dx (NHWC) = sum over taps of the cols rows that read each pixel (a gather, in tap order). */
void kmnist_col2im(float *heap, int32_t cols_at, int32_t dx_at, const int32_t *g) {
  const float *restrict cols = heap + cols_at;
  float *restrict dx = heap + dx_at;
  const int64_t h = g[H], w = g[W], c = g[C], fw = g[FW], oh = g[OH], ow = g[OW];
  const int64_t row_len = g[FH] * fw * c;
  if (g[FH] > 64 || fw > 64) return; /* the caller checks this */
  /* Per input column xx: its readers' offsets within an image's cols, (ox * row_len + tx * c). */
  int64_t xcount[w > 0 ? w : 1];
  int64_t xoff[(w > 0 ? w : 1) * fw];
  for (int64_t xx = 0; xx < w; xx++) {
    int64_t taps[64], outs[64];
    xcount[xx] = readers(xx, ow, fw, g[SW], g[DW], g[PL], taps, outs);
    for (int64_t b = 0; b < xcount[xx]; b++) xoff[xx * fw + b] = outs[b] * row_len + taps[b] * c;
  }
#pragma omp parallel for if (g[N] * h * w * c >= PARALLEL_MIN) schedule(static)
  for (int64_t n = 0; n < g[N]; n++) {
    int64_t ty[64], oy[64];
    const float *cn = cols + n * oh * ow * row_len;
    for (int64_t yy = 0; yy < h; yy++) {
      const int ny = readers(yy, oh, g[FH], g[SH], g[DH], g[PT], ty, oy);
      float *d = dx + (n * h + yy) * w * c;
      if (c == 1) {
        for (int64_t xx = 0; xx < w; xx++) {
          float acc = 0.0f;
          int first = 1;
          for (int a = 0; a < ny; a++) {
            const float *s = cn + oy[a] * ow * row_len + ty[a] * fw;
            for (int64_t b = 0; b < xcount[xx]; b++) {
              acc = first ? s[xoff[xx * fw + b]] : acc + s[xoff[xx * fw + b]];
              first = 0;
            }
          }
          d[xx] = acc;
        }
        continue;
      }
      for (int64_t xx = 0; xx < w; xx++, d += c) {
        int first = 1;
        for (int a = 0; a < ny; a++) {
          const float *s0 = cn + oy[a] * ow * row_len + ty[a] * fw * c;
          for (int64_t b = 0; b < xcount[xx]; b++) {
            const float *s = s0 + xoff[xx * fw + b];
            if (first) {
              copy_floats(d, s, c);
              first = 0;
            } else {
              for (int64_t k = 0; k < c; k++) d[k] += s[k];
            }
          }
        }
        if (first) zero_floats(d, c);
      }
    }
  }
}

/* out[r, j] = x[r, j] + b[j] (b of length n), or a same-shape add when n == 0. */
void kmnist_add(float *heap, int32_t a_at, int32_t b_at, int32_t out_at, int32_t size, int32_t n) {
  const float *restrict a = heap + a_at, *restrict b = heap + b_at;
  float *restrict out = heap + out_at;
  if (n == 0) {
    _Pragma("omp parallel for if (size >= PARALLEL_MIN) schedule(static)")
    for (int64_t i = 0; i < size; i++) out[i] = a[i] + b[i];
    return;
  }
#pragma omp parallel for if (size >= PARALLEL_MIN) schedule(static)
  for (int64_t r = 0; r < size; r += n)
    for (int64_t j = 0; j < n; j++) out[r + j] = a[r + j] + b[j];
}

/* out = a * b elementwise (same shapes). */
void kmnist_mul(float *heap, int32_t a_at, int32_t b_at, int32_t out_at, int32_t size) {
  const float *restrict a = heap + a_at, *restrict b = heap + b_at;
  float *restrict out = heap + out_at;
  _Pragma("omp parallel for if (size >= PARALLEL_MIN) schedule(static)")
  for (int64_t i = 0; i < size; i++) out[i] = a[i] * b[i];
}

/* out = max(x, 0), NaN kept (tfjs's Relu). */
void kmnist_relu(float *heap, int32_t x_at, int32_t out_at, int32_t size) {
  const float *restrict x = heap + x_at;
  float *restrict out = heap + out_at;
  _Pragma("omp parallel for if (size >= PARALLEL_MIN) schedule(static)")
  for (int64_t i = 0; i < size; i++) out[i] = x[i] < 0.0f ? 0.0f : x[i];
}

/* out = x > 0 ? 1 : alpha, NaN kept (tfjs's Step). */
void kmnist_step(float *heap, int32_t x_at, int32_t out_at, int32_t size, float alpha) {
  const float *restrict x = heap + x_at;
  float *restrict out = heap + out_at;
#pragma omp parallel for if (size >= PARALLEL_MIN) schedule(static)
  for (int64_t i = 0; i < size; i++) {
    const float v = x[i];
    out[i] = v > 0.0f ? 1.0f : (v != v ? v : alpha);
  }
}

/* out[j] = sum over rows of x[r, j] (x is [rows, cols]), accumulated in double per column. */
void kmnist_column_sum(float *heap, int32_t x_at, int32_t out_at, int32_t rows, int32_t cols) {
  const float *restrict x = heap + x_at;
  float *restrict out = heap + out_at;
  double acc[cols > 0 ? cols : 1];
  for (int64_t j = 0; j < cols; j++) acc[j] = 0;
  for (int64_t r = 0; r < rows; r++) {
    const float *row = x + r * (int64_t)cols;
    for (int64_t j = 0; j < cols; j++) acc[j] += row[j];
  }
  for (int64_t j = 0; j < cols; j++) out[j] = (float)acc[j];
}

/* ReLU's gradient in one pass: dy · step(x) (tfjs: mul(dy, cast(step(x)))), NaN in x kept. */
void kmnist_relu_grad(float *heap, int32_t dy_at, int32_t x_at, int32_t out_at, int32_t size) {
  const float *restrict dy = heap + dy_at, *restrict x = heap + x_at;
  float *restrict out = heap + out_at;
#pragma omp parallel for if (size >= PARALLEL_MIN) schedule(static)
  for (int64_t i = 0; i < size; i++) {
    const float v = x[i];
    out[i] = dy[i] * (v > 0.0f ? 1.0f : (v != v ? v : 0.0f));
  }
}

#include <math.h>

/*
 * Sigmoid, 1 / (1 + e^-x), eight floats at a time (GCC vector extensions; libm's expf is a scalar
 * call that the compiler cannot vectorise): e^t as t = n ln2 + r, |r| <= ln2 / 2, Cephes' expf
 * polynomial for e^r and 2^n from the exponent bits. Within 1.5e-7 relative of the exact sigmoid
 * (measured over [-100, 100]); 0 where e^-x overflows float32 (x < -88.72, as 1 / (1 + inf)); NaN
 * stays NaN.
 */
typedef float f8 __attribute__((vector_size(32)));
typedef int32_t i8 __attribute__((vector_size(32)));
static inline f8 select8(i8 mask, f8 yes, f8 no) {
  return (f8)((mask & (i8)yes) | (~mask & (i8)no));
}
static inline f8 sigmoid8(f8 x) {
  const f8 zero = x - x, nan_free = select8(x != x, zero, x);
  f8 t = -nan_free;
  const i8 overflow = t > 88.72283f;
  t = select8(t < -87.0f, zero - 87.0f, select8(t > 88.0f, zero + 88.0f, t));
  const f8 shifter = zero + 12582912.0f; /* 1.5 * 2^23: adding it rounds to an integer */
  const f8 n = (t * 1.44269504088896341f + shifter) - shifter;
  f8 r = t - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  f8 p = zero + 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  const f8 e = p * (f8)((__builtin_convertvector(n, i8) + 127) << 23);
  return select8(x != x, x, select8(overflow, zero, 1.0f / (1.0f + e)));
}
static void sigmoid_in_place(float *row, int64_t n) {
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) {
    f8 v;
    memcpy(&v, row + j, sizeof v);
    v = sigmoid8(v);
    memcpy(row + j, &v, sizeof v);
  }
  if (j < n) {
    f8 v = {0};
    memcpy(&v, row + j, sizeof(float) * (n - j));
    v = sigmoid8(v);
    memcpy(row + j, &v, sizeof(float) * (n - j));
  }
}

/*
 * In place on c[m, n]: adds bias[n] (when bias_at >= 0) and applies an activation:
 * 0 linear, 1 relu, 2 relu6, 3 leakyrelu (alpha), 4 elu, 5 sigmoid (sigmoid8 above).
 */
void kmnist_bias_act(float *heap, int32_t c_at, int32_t m, int32_t n, int32_t bias_at,
                     int32_t act, float alpha) {
  float *restrict c = heap + c_at;
  const float *restrict bias = bias_at >= 0 ? heap + bias_at : 0;
#pragma omp parallel for if ((int64_t)m * n >= PARALLEL_MIN) schedule(static)
  for (int64_t r = 0; r < m; r++) {
    float *row = c + r * (int64_t)n;
    if (bias)
      for (int64_t j = 0; j < n; j++) row[j] += bias[j];
    switch (act) {
    case 1:
      for (int64_t j = 0; j < n; j++) row[j] = row[j] < 0.0f ? 0.0f : row[j];
      break;
    case 2:
      for (int64_t j = 0; j < n; j++) row[j] = fminf(fmaxf(row[j], 0.0f), 6.0f);
      break;
    case 3:
      for (int64_t j = 0; j < n; j++) row[j] = row[j] < 0.0f ? row[j] * alpha : row[j];
      break;
    case 4:
      for (int64_t j = 0; j < n; j++) row[j] = row[j] < 0.0f ? expm1f(row[j]) : row[j];
      break;
    case 5:
      sigmoid_in_place(row, n);
      break;
    default:
      break;
    }
  }
}

/* out[k] = Σ_t partials[t][k] over `threads` per-thread partials of `size` doubles, in thread
 * order (so a given thread count gives the same bits on every run). */
static void sum_partials(const double *partials, int threads, int64_t size, float *out) {
  for (int64_t k = 0; k < size; k++) {
    double s = 0;
    for (int t = 0; t < threads; t++) s += partials[(int64_t)t * size + k];
    out[k] = (float)s;
  }
}

/*
 * The gradient of out = act(z + bias) from dy and the output y, in one pass: dz = dy · act'(y)
 * (act 1 relu: y > 0, NaN kept as tfjs's step does; 5 sigmoid: y (1 - y)), written to dz_at, and
 * db[j] = Σ_r dz[r, j]. The rows are split into one contiguous run per thread; each thread sums
 * its run in double, and the runs are added in thread order (the same bits on every run for a
 * given thread count). Returns 0, or -1 when out of memory (nothing written).
 */
#include <stdlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif
int32_t kmnist_bias_act_grad(float *heap, int32_t dy_at, int32_t y_at, int32_t dz_at,
                             int32_t db_at, int32_t rows, int32_t cols, int32_t act) {
  const float *restrict dy = heap + dy_at, *restrict y = heap + y_at;
  float *restrict dz = heap + dz_at;
  int max_threads = 1;
#ifdef _OPENMP
  max_threads = omp_get_max_threads();
#endif
  double *acc = calloc((size_t)max_threads * (cols > 0 ? cols : 1), sizeof(double));
  if (acc == 0) return -1;
  int used = 1;
#pragma omp parallel if ((int64_t)rows * cols >= PARALLEL_MIN)
  {
    int t = 0, nt = 1;
#ifdef _OPENMP
    t = omp_get_thread_num();
    nt = omp_get_num_threads();
#pragma omp single
    used = nt;
#endif
    double *a = acc + (int64_t)t * cols;
    const int64_t r0 = (int64_t)rows * t / nt, r1 = (int64_t)rows * (t + 1) / nt;
    for (int64_t r = r0; r < r1; r++) {
      const float *dyr = dy + r * cols, *yr = y + r * cols;
      float *dzr = dz + r * cols;
      if (act == 5) {
        for (int64_t j = 0; j < cols; j++) dzr[j] = dyr[j] * (yr[j] * (1.0f - yr[j]));
      } else {
        for (int64_t j = 0; j < cols; j++) {
          const float v = yr[j];
          dzr[j] = dyr[j] * (v > 0.0f ? 1.0f : (v != v ? v : 0.0f));
        }
      }
      for (int64_t j = 0; j < cols; j++) a[j] += dzr[j];
    }
  }
  sum_partials(acc, used, cols, heap + db_at);
  free(acc);
  return 0;
}

/*
 * One Adam step over a variable, in double precision as lib/train/optimizer.ts's JS loop (with
 * -ffp-contract=off, the same result): m, v updated in place; out = the new weights. Vectorised
 * (sqrt needs -fno-math-errno for that; it stays correctly rounded) and, for big variables, split
 * over the cores: each element is independent, so the split does not change a single bit.
 * (A float32 version is 1.6x faster at first, but after ~800 steps the moments of weights whose
 * gradient is 0 (dead ReLUs) decay into float32 subnormals, and subnormal arithmetic made the
 * whole multilayer step 2x slower; in double the arithmetic stays normal.)
 */
#define ADAM_PARALLEL_MIN 65536
void kmnist_adam(const float *restrict g, const float *restrict w, float *restrict m,
                 float *restrict v, float *restrict out, int32_t size, double b1, double b2,
                 double c1, double c2, double step_size, double inv_sqrt_bias2, double eps) {
#pragma omp parallel for simd if (size >= ADAM_PARALLEL_MIN) schedule(static)
  for (int64_t i = 0; i < size; i++) {
    const double gi = g[i];
    const double mi = b1 * m[i] + c1 * gi;
    const double vi = b2 * v[i] + c2 * gi * gi;
    m[i] = (float)mi;
    v[i] = (float)vi;
    out[i] = (float)(w[i] - (step_size * mi) / (__builtin_sqrt(vi) * inv_sqrt_bias2 + eps));
  }
}

/*
 * Convolutions in blocks of images, the blocks shared out over the cores (OpenMP), each thread
 * running single-threaded OpenBLAS sgemm on its own block with its own scratch: every block's
 * im2col matrix stays in that core's cache, im2col/col2im run on both cores, and there is no
 * OpenBLAS thread hand-off per small GEMM. OpenBLAS is bound by kmnist_bind_blas (the library that
 * packages/tfjs_blas/blas.ts loaded, found again with dlopen). The blocks go to the threads in a fixed
 * static order, so for a given thread count the results are the same on every run.
 */
#include <dlfcn.h>
#ifdef _OPENMP
#include <omp.h>
#endif

typedef void (*sgemm_t)(int, int, int, int, int, int, float, const float *, int, const float *,
                        int, float, float *, int);
static sgemm_t blas_sgemm = 0;
/* The threads the blocked kernels use: fixed when bound (their scratch is sized for it). */
static int bound_threads = 1;
static void (*blas_set_threads)(int) = 0;
static int (*blas_get_threads)(void) = 0;
enum { ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112 };

/*
 * OpenBLAS's thread count is one value for the whole process, and sgemm's rounding depends on it
 * (measured: 1288 of the 6400 sums of a 100x64x784 product differ between 1 and 2 threads). Deno
 * runs workers (`deno test --parallel`'s test modules, a notebook's workers) as threads of one
 * process, so one worker's switch to 2 threads changed another's products mid-run and its losses
 * in the last digits. Every OpenBLAS call from this package therefore runs under this one lock,
 * with the thread count set inside it: the blocked kernels hold it for their whole call (their
 * threads run single-threaded sgemm), kmnist_sgemm for one product.
 */
#include <pthread.h>
static pthread_mutex_t blas_lock = PTHREAD_MUTEX_INITIALIZER;

static void blas_begin(int threads) {
  pthread_mutex_lock(&blas_lock);
  if (blas_get_threads() != threads) blas_set_threads(threads);
}

static void blas_end(void) { pthread_mutex_unlock(&blas_lock); }

/* Binds OpenBLAS at `path`; returns the threads the blocked kernels use (0 on failure). */
int32_t kmnist_bind_blas(const char *path) {
  void *lib = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
  if (lib == 0) lib = dlopen(path, RTLD_NOW);
  if (lib == 0) return 0;
  blas_sgemm = (sgemm_t)dlsym(lib, "cblas_sgemm");
  blas_set_threads = (void (*)(int))dlsym(lib, "openblas_set_num_threads");
  blas_get_threads = (int (*)(void))dlsym(lib, "openblas_get_num_threads");
  if (blas_sgemm == 0 || blas_set_threads == 0 || blas_get_threads == 0) return 0;
#ifdef _OPENMP
  bound_threads = omp_get_max_threads();
#endif
  return bound_threads;
}

/*
 * C = alpha A·B + beta C (row-major, transposes 111 no / 112 yes) on `threads` OpenBLAS threads,
 * under the process-wide lock above, so that no other thread changes the count during the call.
 * Needs kmnist_bind_blas.
 */
void kmnist_sgemm(int32_t threads, int32_t trans_a, int32_t trans_b, int32_t m, int32_t n,
                  int32_t k, float alpha, const float *a, int32_t lda, const float *b, int32_t ldb,
                  float beta, float *c, int32_t ldc) {
  blas_begin(threads);
  blas_sgemm(ROW_MAJOR, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  blas_end();
}

static int thread_index(void) {
#ifdef _OPENMP
  return omp_get_thread_num();
#else
  return 0;
#endif
}

/* Sizes shared by the blocked drivers: rows per image (OH*OW), K (FH*FW*C), floats per input
 * image, and the number of blocks of `per_block` images. */
typedef struct {
  int64_t rows, k, pixels, blocks;
} BlockPlan;

static BlockPlan plan_blocks(const int32_t *g, int32_t per_block) {
  const BlockPlan p = {(int64_t)g[OH] * g[OW], (int64_t)g[FH] * g[FW] * g[C],
                       (int64_t)g[H] * g[W] * g[C], (g[N] + per_block - 1) / per_block};
  return p;
}

/* Block `b`: writes its geometry (g with N = its image count) to `gb`; returns its first image. */
static int64_t block_at(const int32_t *g, int32_t per_block, int64_t b, int32_t *gb) {
  const int64_t b0 = b * per_block;
  for (int i = 0; i <= PL; i++) gb[i] = g[i];
  gb[N] = (int32_t)(g[N] - b0 < per_block ? g[N] - b0 : per_block);
  return b0;
}

/* out = Σ_t first[t * stride .. + size), the threads' float partials added in thread order. */
static void add_in_thread_order(const float *first, int64_t stride, int threads, int64_t size,
                                float *out) {
  memcpy(out, first, sizeof(float) * size);
  for (int t = 1; t < threads; t++) {
    const float *partial = first + t * stride;
    for (int64_t i = 0; i < size; i++) out[i] += partial[i];
  }
}

/*
 * Forward: out[n] = act(im2col(x[n]) · W + bias) for blocks of `per_block` images. Scratch: per
 * thread, per_block * OH*OW * K floats (K = FH*FW*C).
 */
void kmnist_conv_forward_blocks(float *heap, int32_t x_at, int32_t w_at, int32_t bias_at,
                                int32_t out_at, int32_t scratch_at, const int32_t *g, int32_t co,
                                int32_t per_block, int32_t activation, float alpha) {
  const BlockPlan p = plan_blocks(g, per_block);
  const int64_t rows = p.rows, k = p.k;
  blas_begin(1);
#pragma omp parallel for num_threads(bound_threads) schedule(static)
  for (int64_t b = 0; b < p.blocks; b++) {
    int32_t gb[PL + 1];
    const int64_t b0 = block_at(g, per_block, b, gb), nb = gb[N];
    const int64_t s_at = scratch_at + (int64_t)thread_index() * per_block * rows * k;
    kmnist_im2col(heap, (int32_t)(x_at + b0 * p.pixels), (int32_t)s_at, gb);
    float *c = heap + out_at + b0 * rows * co;
    blas_sgemm(ROW_MAJOR, NO_TRANS, NO_TRANS, (int)(nb * rows), co, (int)k, 1.0f, heap + s_at,
               (int)k, heap + w_at, co, 0.0f, c, co);
    if (activation != 0 || bias_at >= 0) {
      kmnist_bias_act(heap, (int32_t)(c - heap), (int32_t)(nb * rows), co, bias_at, activation,
                      alpha);
    }
  }
  blas_end();
}

/*
 * Input gradient (and conv2dTranspose): dx[n] = col2im(dy[n] · Wᵀ) for blocks of images, then
 * (conv2dTranspose layers) bias and activation as kmnist_bias_act while the block is in cache
 * (bias_at < 0 and activation 0 for none). Scratch: per thread, per_block * OH*OW * K floats.
 */
void kmnist_conv_input_grad_blocks(float *heap, int32_t dy_at, int32_t w_at, int32_t dx_at,
                                   int32_t scratch_at, const int32_t *g, int32_t co,
                                   int32_t per_block, int32_t bias_at, int32_t activation,
                                   float alpha) {
  const BlockPlan p = plan_blocks(g, per_block);
  const int64_t rows = p.rows, k = p.k;
  blas_begin(1);
#pragma omp parallel for num_threads(bound_threads) schedule(static)
  for (int64_t b = 0; b < p.blocks; b++) {
    int32_t gb[PL + 1];
    const int64_t b0 = block_at(g, per_block, b, gb), nb = gb[N];
    const int64_t s_at = scratch_at + (int64_t)thread_index() * per_block * rows * k;
    blas_sgemm(ROW_MAJOR, NO_TRANS, TRANS, (int)(nb * rows), (int)k, co, 1.0f,
               heap + dy_at + b0 * rows * co, co, heap + w_at, co, 0.0f, heap + s_at, (int)k);
    kmnist_col2im(heap, (int32_t)s_at, (int32_t)(dx_at + b0 * p.pixels), gb);
    if (activation != 0 || bias_at >= 0) {
      kmnist_bias_act(heap, (int32_t)(dx_at + b0 * p.pixels), (int32_t)(nb * g[H] * g[W]), g[C],
                      bias_at, activation, alpha);
    }
  }
  blas_end();
}

/*
 * Filter gradient: dW = Σ over blocks of im2col(x_block)ᵀ · dy_block. Each thread sums its own
 * contiguous run of blocks into its own partial dW; the partials are then added in thread order.
 * Scratch: per thread, per_block * OH*OW * K + K * CO floats.
 */
void kmnist_conv_filter_grad_blocks(float *heap, int32_t x_at, int32_t dy_at, int32_t dw_at,
                                    int32_t scratch_at, const int32_t *g, int32_t co,
                                    int32_t per_block) {
  const BlockPlan p = plan_blocks(g, per_block);
  const int64_t rows = p.rows, k = p.k;
  const int64_t per_thread = per_block * rows * k + k * co;
  int threads = 1;
  blas_begin(1);
#pragma omp parallel num_threads(bound_threads)
  {
#ifdef _OPENMP
#pragma omp single
    threads = omp_get_num_threads();
#endif
    const int t = thread_index();
    float *cols = heap + scratch_at + t * per_thread;
    float *partial = cols + per_block * rows * k;
    int first = 1;
#pragma omp for schedule(static)
    for (int64_t b = 0; b < p.blocks; b++) {
      int32_t gb[PL + 1];
      const int64_t b0 = block_at(g, per_block, b, gb), nb = gb[N];
      kmnist_im2col(heap, (int32_t)(x_at + b0 * p.pixels), (int32_t)(cols - heap), gb);
      blas_sgemm(ROW_MAJOR, TRANS, NO_TRANS, (int)k, co, (int)(nb * rows), 1.0f, cols, (int)k,
                 heap + dy_at + b0 * rows * co, co, first ? 0.0f : 1.0f, partial, co);
      first = 0;
    }
    if (first) zero_floats(partial, k * co);
  }
  blas_end();
  add_in_thread_order(heap + scratch_at + per_block * rows * k, per_thread, threads, k * co,
                      heap + dw_at);
}

/*
 * The whole backward pass of a conv2dTranspose layer y = act(conv2dTranspose(in, W) + bias), in
 * blocks of images over the cores. The geometry g is the forward convolution's whose input grad
 * the layer's forward is: input y (H x W x C), output `in` (OH x OW x CO), filter W [K, CO]. Per
 * block: dz = dy · act'(y) (act 1 relu, 5 sigmoid; 0 linear: dz = dy, no copy) into the thread's
 * scratch with the bias gradient's partial sums; cols = im2col(dz) once; din = cols · W (the
 * layer input's gradient); dW partial += colsᵀ · in. Three passes over memory (the im2col matrix
 * and dz stay in cache) instead of the separate kernels' seven. Partials are added in thread
 * order. Scratch: per thread, per_block * (H*W*C + OH*OW*K) + K * CO floats. Returns 0, or -1
 * when out of memory (nothing written).
 */
int32_t kmnist_conv_transpose_backward_blocks(float *heap, int32_t dy_at, int32_t y_at,
                                              int32_t in_at, int32_t w_at, int32_t din_at,
                                              int32_t dw_at, int32_t db_at, int32_t scratch_at,
                                              const int32_t *g, int32_t co, int32_t per_block,
                                              int32_t act) {
  const BlockPlan p = plan_blocks(g, per_block);
  const int64_t rows = p.rows, k = p.k, c = g[C];
  const int64_t per_thread = per_block * (p.pixels + rows * k) + k * co;
  double *db_partials = calloc((size_t)bound_threads * (c > 0 ? c : 1), sizeof(double));
  if (db_partials == 0) return -1;
  int threads = 1;
  blas_begin(1);
#pragma omp parallel num_threads(bound_threads)
  {
#ifdef _OPENMP
#pragma omp single
    threads = omp_get_num_threads();
#endif
    const int t = thread_index();
    float *dz = heap + scratch_at + t * per_thread;
    float *cols = dz + per_block * p.pixels;
    float *partial = cols + per_block * rows * k;
    double *db = db_partials + t * c;
    int first = 1;
#pragma omp for schedule(static)
    for (int64_t b = 0; b < p.blocks; b++) {
      int32_t gb[PL + 1];
      const int64_t b0 = block_at(g, per_block, b, gb), nb = gb[N];
      const float *dyb = heap + dy_at + b0 * p.pixels, *yb = heap + y_at + b0 * p.pixels;
      const float *src = dyb;
      for (int64_t r = 0; r < nb * g[H] * g[W]; r++) {
        const float *dyr = dyb + r * c, *yr = yb + r * c;
        float *dzr = dz + r * c;
        if (act == 5) {
          for (int64_t j = 0; j < c; j++) dzr[j] = dyr[j] * (yr[j] * (1.0f - yr[j]));
        } else if (act == 1) {
          for (int64_t j = 0; j < c; j++) {
            const float v = yr[j];
            dzr[j] = dyr[j] * (v > 0.0f ? 1.0f : (v != v ? v : 0.0f));
          }
        }
        const float *sr = act == 0 ? dyr : dzr;
        for (int64_t j = 0; j < c; j++) db[j] += sr[j];
      }
      if (act != 0) src = dz;
      im2col_at(src, cols, gb);
      blas_sgemm(ROW_MAJOR, NO_TRANS, NO_TRANS, (int)(nb * rows), co, (int)k, 1.0f, cols, (int)k,
                 heap + w_at, co, 0.0f, heap + din_at + b0 * rows * co, co);
      blas_sgemm(ROW_MAJOR, TRANS, NO_TRANS, (int)k, co, (int)(nb * rows), 1.0f, cols, (int)k,
                 heap + in_at + b0 * rows * co, co, first ? 0.0f : 1.0f, partial, co);
      first = 0;
    }
    if (first) zero_floats(partial, k * co);
  }
  blas_end();
  add_in_thread_order(heap + scratch_at + per_block * (p.pixels + rows * k), per_thread, threads,
                      k * co, heap + dw_at);
  sum_partials(db_partials, threads, c, heap + db_at);
  free(db_partials);
  return 0;
}

/*
 * Convolutions whose input has one channel (C == 1: a first layer on grey images, and the
 * gradients of a conv2dTranspose down to one channel), computed directly rather than as
 * im2col + GEMM: the GEMM's inner dimension (FH*FW = 9) or output width (9) is too small for
 * sgemm to run fast. Each output pixel's CO channels are one vectorised row. Images are shared out
 * over the cores in a fixed static order (the same bits on every run for a given thread count).
 */

/* rows[p, :] += bias, then the activation (codes as kmnist_bias_act), for `pixels` rows of c. */
static void bias_act_rows(float *heap, int64_t at, int64_t pixels, int64_t c, int32_t bias_at,
                          int32_t act, float alpha) {
  if (act == 0 && bias_at < 0) return;
  if (c == 1) { /* one long row: kmnist_bias_act vectorises along it */
    float *r = heap + at;
    if (bias_at >= 0)
      for (int64_t i = 0; i < pixels; i++) r[i] += heap[bias_at];
    kmnist_bias_act(heap, (int32_t)at, 1, (int32_t)pixels, -1, act, alpha);
    return;
  }
  kmnist_bias_act(heap, (int32_t)at, (int32_t)pixels, (int32_t)c, bias_at, act, alpha);
}

/*
 * Sixteen floats as one vector (GCC vector extensions: one AVX-512 register, or two AVX ones).
 * The direct kernels below run their channel loops sixteen channels at a time when the channel
 * count is a multiple of 16, so that each tap is one broadcast and one fused multiply-add.
 */
typedef float v16 __attribute__((vector_size(64)));
static inline v16 load16(const float *p) {
  v16 v;
  memcpy(&v, p, sizeof v);
  return v;
}
static inline void store16(float *p, v16 v) { memcpy(p, &v, sizeof v); }

/* The sum of a vector's sixteen floats, as a tree (four dependent adds, not sixteen). */
typedef int32_t vi16 __attribute__((vector_size(64)));
static inline float sum16(v16 v) {
  v += __builtin_shuffle(v, (vi16){8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7});
  v += __builtin_shuffle(v, (vi16){4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3});
  v += __builtin_shuffle(v, (vi16){2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1});
  v += __builtin_shuffle(v, (vi16){1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0});
  return v[0];
}

/*
 * The direct convolutions may fuse multiplies and adds (FMA, as sgemm does), unlike the rest of
 * this file, compiled with -ffp-contract=off so that Adam rounds as its JS version.
 */
#define CONTRACT __attribute__((optimize("fp-contract=fast")))

/* Thread-private scratch of at least `floats` floats (grown when needed; kept for the thread's
 * life). */
static float *thread_scratch(int64_t floats) {
  static __thread float *buffer = 0;
  static __thread int64_t size = 0;
  if (floats > size) {
    free(buffer);
    buffer = malloc(sizeof(float) * floats);
    size = buffer == 0 ? 0 : floats;
  }
  return buffer;
}

/*
 * Image n of x (one channel) zero-padded into xp, so that tap (i, j) of output pixel (oy, ox)
 * reads xp[(oy * SH + i * DH) * xpw + ox * SW + j * DW] with no bounds checks. Returns xpw (the
 * padded width); *xph receives the padded height.
 */
static int64_t pad_image(const float *restrict xn, float *restrict xp, const int32_t *g,
                         int64_t *xph) {
  const int64_t h = g[H], wd = g[W];
  const int64_t ph = (int64_t)(g[OH] - 1) * g[SH] + (int64_t)(g[FH] - 1) * g[DH] + 1;
  const int64_t pw = (int64_t)(g[OW] - 1) * g[SW] + (int64_t)(g[FW] - 1) * g[DW] + 1;
  for (int64_t r = 0; r < ph; r++) {
    const int64_t iy = r - g[PT];
    float *dst = xp + r * pw;
    if (iy < 0 || iy >= h) {
      zero_floats(dst, pw);
      continue;
    }
    for (int64_t c = 0; c < pw; c++) {
      const int64_t ix = c - g[PL];
      dst[c] = ix < 0 || ix >= wd ? 0.0f : xn[iy * wd + ix];
    }
  }
  *xph = ph;
  return pw;
}

/* Offsets of the taps in a padded image (see pad_image); returns the tap count. */
static int64_t tap_offsets(const int32_t *g, int64_t xpw, int64_t *off) {
  int64_t t = 0;
  for (int64_t i = 0; i < g[FH]; i++)
    for (int64_t j = 0; j < g[FW]; j++) off[t++] = i * g[DH] * xpw + j * g[DW];
  return t;
}

/* Floats of a padded image (see pad_image). */
static int64_t padded_floats(const int32_t *g) {
  return ((int64_t)(g[OH] - 1) * g[SH] + (int64_t)(g[FH] - 1) * g[DH] + 1) *
         ((int64_t)(g[OW] - 1) * g[SW] + (int64_t)(g[FW] - 1) * g[DW] + 1);
}

/*
 * One image of the C == 1 forward: on[p, c0..c0+15] = Σ_t W[t, c0..] · xp[base(p) + off[t]].
 * `taps` is a constant where the caller is specialised (3x3), so that the filter vectors stay in
 * registers.
 */
CONTRACT static inline void conv1_forward_image(const float *restrict xp, int64_t xpw,
                                       const int64_t *restrict off, const int64_t taps,
                                       const float *restrict w, float *restrict on,
                                       const int32_t *g, int64_t co) {
  const int64_t oh = g[OH], ow = g[OW], sh = g[SH], sw = g[SW];
  for (int64_t c0 = 0; c0 + 16 <= co; c0 += 16) {
    v16 wv[taps];
    for (int64_t t = 0; t < taps; t++) wv[t] = load16(w + t * co + c0);
    for (int64_t oy = 0; oy < oh; oy++) {
      const float *row = xp + oy * sh * xpw;
      float *out = on + oy * ow * co + c0;
      for (int64_t ox = 0; ox < ow; ox++) {
        const float *px = row + ox * sw;
        v16 o = wv[0] * px[off[0]];
        for (int64_t t = 1; t < taps; t++) o += wv[t] * px[off[t]];
        store16(out + ox * co, o);
      }
    }
  }
  for (int64_t c = co - co % 16; c < co; c++) {
    for (int64_t oy = 0; oy < oh; oy++) {
      for (int64_t ox = 0; ox < ow; ox++) {
        const float *px = xp + oy * sh * xpw + ox * sw;
        float o = w[c] * px[off[0]];
        for (int64_t t = 1; t < taps; t++) o += w[t * co + c] * px[off[t]];
        on[(oy * ow + ox) * co + c] = o;
      }
    }
  }
}

/*
 * Forward, C == 1: out[n, oy, ox, :] = act(Σ_taps x[n, iy, ix] · W[tap, :] + bias), sixteen
 * channels at a time from a zero-padded copy of each image. Returns 0, or -1 when out of memory.
 */
CONTRACT int32_t kmnist_conv1_forward(float *heap, int32_t x_at, int32_t w_at, int32_t bias_at,
                             int32_t out_at, const int32_t *g, int32_t co, int32_t act,
                             float alpha) {
  const int64_t rows = (int64_t)g[OH] * g[OW], pixels = (int64_t)g[H] * g[W];
  const int64_t taps = (int64_t)g[FH] * g[FW];
  if (taps > 64 * 64) return -1;
  int failed = 0;
#pragma omp parallel for if (g[N] * rows * co >= PARALLEL_MIN) schedule(static)
  for (int64_t n = 0; n < g[N]; n++) {
    float *xp = thread_scratch(padded_floats(g));
    if (xp == 0) {
      failed = 1;
      continue;
    }
    int64_t xph, off[64 * 64];
    const int64_t xpw = pad_image(heap + x_at + n * pixels, xp, g, &xph);
    tap_offsets(g, xpw, off);
    float *on = heap + out_at + n * rows * co;
    if (taps == 9)
      conv1_forward_image(xp, xpw, off, 9, heap + w_at, on, g, co);
    else
      conv1_forward_image(xp, xpw, off, taps, heap + w_at, on, g, co);
    bias_act_rows(heap, out_at + n * rows * co, rows, co, bias_at, act, alpha);
  }
  return failed ? -1 : 0;
}

/*
 * One image of the C == 1 filter gradient: acc[t, c0..c0+15] = Σ_p xp[base(p) + off[t]] ·
 * dy[p, c0..], one accumulator per tap (in registers where `taps` is a constant).
 */
CONTRACT static inline void conv1_filter_grad_image(const float *restrict xp, int64_t xpw,
                                           const int64_t *restrict off, const int64_t taps,
                                           const float *restrict dyn, float *restrict acc,
                                           const int32_t *g, int64_t co) {
  const int64_t oh = g[OH], ow = g[OW], sh = g[SH], sw = g[SW];
  for (int64_t c0 = 0; c0 + 16 <= co; c0 += 16) {
    v16 a[taps];
    for (int64_t t = 0; t < taps; t++) a[t] = (v16){0};
    for (int64_t oy = 0; oy < oh; oy++) {
      const float *row = xp + oy * sh * xpw;
      const float *d = dyn + oy * ow * co + c0;
      for (int64_t ox = 0; ox < ow; ox++) {
        const float *px = row + ox * sw;
        const v16 dv = load16(d + ox * co);
        for (int64_t t = 0; t < taps; t++) a[t] += dv * px[off[t]];
      }
    }
    for (int64_t t = 0; t < taps; t++) store16(acc + t * co + c0, a[t]);
  }
  for (int64_t c = co - co % 16; c < co; c++) {
    for (int64_t t = 0; t < taps; t++) {
      float a = 0.0f;
      for (int64_t oy = 0; oy < oh; oy++)
        for (int64_t ox = 0; ox < ow; ox++)
          a += dyn[(oy * ow + ox) * co + c] * xp[oy * sh * xpw + ox * sw + off[t]];
      acc[t * co + c] = a;
    }
  }
}

/*
 * Filter gradient, C == 1: dW[tap, :] = Σ_{n, p} x[n, p's input for tap] · dy[n, p, :], sixteen
 * channels at a time from a zero-padded copy of each image. Each image is summed in float, then
 * added to its thread's double partial; the partials are added in thread order. Returns 0, or
 * -1 when out of memory (nothing written).
 */
CONTRACT int32_t kmnist_conv1_filter_grad(float *heap, int32_t x_at, int32_t dy_at, int32_t dw_at,
                                 const int32_t *g, int32_t co) {
  const int64_t rows = (int64_t)g[OH] * g[OW], pixels = (int64_t)g[H] * g[W];
  const int64_t taps = (int64_t)g[FH] * g[FW], size = taps * co;
  if (taps > 64 * 64) return -1;
  int max_threads = 1;
#ifdef _OPENMP
  max_threads = omp_get_max_threads();
#endif
  double *partials = calloc((size_t)max_threads * size, sizeof(double));
  if (partials == 0) return -1;
  int used = 1, failed = 0;
#pragma omp parallel if (g[N] * rows * co >= PARALLEL_MIN)
  {
    int t0 = 0;
#ifdef _OPENMP
    t0 = omp_get_thread_num();
#pragma omp single
    used = omp_get_num_threads();
#endif
    float *scratch = thread_scratch(padded_floats(g) + size);
    double *restrict part = partials + t0 * size;
#pragma omp for schedule(static)
    for (int64_t n = 0; n < g[N]; n++) {
      if (scratch == 0) {
        failed = 1;
        continue;
      }
      float *xp = scratch, *acc = scratch + padded_floats(g);
      int64_t xph, off[64 * 64];
      const int64_t xpw = pad_image(heap + x_at + n * pixels, xp, g, &xph);
      tap_offsets(g, xpw, off);
      const float *dyn = heap + dy_at + n * rows * co;
      if (taps == 9)
        conv1_filter_grad_image(xp, xpw, off, 9, dyn, acc, g, co);
      else
        conv1_filter_grad_image(xp, xpw, off, taps, dyn, acc, g, co);
      for (int64_t k = 0; k < size; k++) part[k] += acc[k];
    }
  }
  if (failed) {
    free(partials);
    return -1;
  }
  sum_partials(partials, used, size, heap + dw_at);
  free(partials);
  return 0;
}

/*
 * Pixels [from, to) of one row of the C == 1 input gradient whose every tap is in range (stride
 * 1): out[x] = Σ_t dy[base + x * co - doff[t], :] · W[t, :], co a multiple of 16, sixteen
 * channels at a time. `taps` is a constant where the caller is specialised (3x3).
 */
static inline CONTRACT void conv1_input_grad_run(const float *restrict base,
                                                 const int64_t *restrict doff,
                                                 const int64_t taps, const float *restrict w,
                                                 int64_t co, int64_t from, int64_t to,
                                                 float *restrict out) {
  int64_t x = from;
  /* Four pixels at a time: four independent chains of adds, each filter vector loaded once. */
  for (; x + 4 <= to; x += 4) {
    const float *p = base + x * co;
    v16 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
    for (int64_t c = 0; c < co; c += 16) {
      for (int64_t t = 0; t < taps; t++) {
        const v16 wt = load16(w + t * co + c);
        const float *q = p - doff[t] + c;
        a0 += load16(q) * wt;
        a1 += load16(q + co) * wt;
        a2 += load16(q + 2 * co) * wt;
        a3 += load16(q + 3 * co) * wt;
      }
    }
    out[x] = sum16(a0);
    out[x + 1] = sum16(a1);
    out[x + 2] = sum16(a2);
    out[x + 3] = sum16(a3);
  }
  for (; x < to; x++) {
    const float *p = base + x * co;
    v16 a = {0};
    for (int64_t c = 0; c < co; c += 16)
      for (int64_t t = 0; t < taps; t++) a += load16(p - doff[t] + c) * load16(w + t * co + c);
    out[x] = sum16(a);
  }
}

/*
 * Input gradient, C == 1 (and a conv2dTranspose down to one channel, with its bias and
 * activation): dx[n, iy, ix] = Σ over the (tap, output pixel) pairs that read (iy, ix) of
 * dy[n, pixel, :] · W[tap, :], sixteen channels at a time into one vector summed at the end;
 * then bias_act_rows.
 */
CONTRACT void kmnist_conv1_input_grad(float *heap, int32_t dy_at, int32_t w_at, int32_t dx_at,
                             const int32_t *g, int32_t co, int32_t bias_at, int32_t act,
                             float alpha) {
  const float *restrict dy = heap + dy_at, *restrict w = heap + w_at;
  const int64_t h = g[H], wd = g[W], oh = g[OH], ow = g[OW], fw = g[FW];
  if (g[FH] > 64 || fw > 64) return; /* the caller checks this */
  int64_t xcount[wd > 0 ? wd : 1];
  int64_t xtap[(wd > 0 ? wd : 1) * fw], xout[(wd > 0 ? wd : 1) * fw];
  for (int64_t ix = 0; ix < wd; ix++) {
    xcount[ix] = readers(ix, ow, fw, g[SW], g[DW], g[PL], xtap + ix * fw, xout + ix * fw);
  }
  const int64_t vec = co - co % 16;
  /* Stride 1, dilation 1: a pixel whose every tap is in range reads dy at (iy + PT - i,
   * ix + PL - j) for tap (i, j), a fixed offset doff[tap] back from (iy + PT, ix + PL). */
  const int unit = g[SH] == 1 && g[SW] == 1 && g[DH] == 1 && g[DW] == 1;
  const int64_t taps = (int64_t)g[FH] * fw;
  int64_t doff[64 * 64];
  if (unit)
    for (int64_t i = 0; i < g[FH]; i++)
      for (int64_t j = 0; j < fw; j++) doff[i * fw + j] = (i * ow + j) * co;
#pragma omp parallel for if (g[N] * oh * ow * co >= PARALLEL_MIN) schedule(static)
  for (int64_t n = 0; n < g[N]; n++) {
    int64_t ty[64], oy[64];
    float *dxn = heap + dx_at + n * h * wd;
    for (int64_t iy = 0; iy < h; iy++) {
      const int ny = readers(iy, oh, g[FH], g[SH], g[DH], g[PT], ty, oy);
      const int interior_row = unit && ny == g[FH];
      for (int64_t ix = 0; ix < wd; ix++) {
        v16 acc = {0};
        float rest = 0.0f;
        if (interior_row && xcount[ix] == fw && vec == co) {
          /* A run of pixels whose every tap is in range: fixed offsets, no reader lists. */
          int64_t end = ix + 1;
          while (end < wd && xcount[end] == fw) end++;
          const float *base = dy + ((n * oh + iy + g[PT]) * ow + g[PL]) * co;
          if (taps == 9)
            conv1_input_grad_run(base, doff, 9, w, co, ix, end, dxn + iy * wd);
          else
            conv1_input_grad_run(base, doff, taps, w, co, ix, end, dxn + iy * wd);
          ix = end - 1;
          continue;
        }
        for (int a = 0; a < ny; a++) {
          const float *row = dy + (n * oh + oy[a]) * ow * co;
          const float *wrow = w + ty[a] * fw * co;
          for (int64_t b = 0; b < xcount[ix]; b++) {
            const float *restrict d = row + xout[ix * fw + b] * co;
            const float *restrict wt = wrow + xtap[ix * fw + b] * co;
            for (int64_t c = 0; c < vec; c += 16) acc += load16(d + c) * load16(wt + c);
            for (int64_t c = vec; c < co; c++) rest += d[c] * wt[c];
          }
        }
        dxn[iy * wd + ix] = sum16(acc) + rest;
      }
    }
    bias_act_rows(heap, dx_at + n * h * wd, h * wd, 1, bias_at, act, alpha);
  }
}
