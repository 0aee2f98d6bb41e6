/*
 * Memory-bound helpers of lib/kernels/ (im2col, col2im, elementwise ops, column sums), compiled on
 * first use by lib/kernels/native.ts with the system C compiler (cc -O3 -march=native, and
 * -fopenmp when available: the pragmas below are ignored without it) and called
 * through Deno's FFI on the tfjs wasm backend's memory. Every pointer argument is the base of that
 * memory; every position is a float index into it. The JS versions in im2col.ts / js_kernels.ts
 * compute the same results and are used when no compiler is present.
 */
#include <stdint.h>
#include <string.h>

/* Geometry, as lib/kernels/im2col.ts's ConvGeometry, in this order. */
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

void kmnist_im2col(float *heap, int32_t x_at, int32_t cols_at, const int32_t *g) {
  const float *restrict x = heap + x_at;
  float *restrict cols_base = heap + cols_at;
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
  float *db = heap + db_at;
  for (int64_t j = 0; j < cols; j++) {
    double s = 0;
    for (int t = 0; t < used; t++) s += acc[(int64_t)t * cols + j];
    db[j] = (float)s;
  }
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
 * lib/kernels/blas.ts loaded, found again with dlopen). The blocks go to the threads in a fixed
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

/*
 * Forward: out[n] = act(im2col(x[n]) · W + bias) for blocks of `per_block` images. Scratch: per
 * thread, per_block * OH*OW * K floats (K = FH*FW*C).
 */
void kmnist_conv_forward_blocks(float *heap, int32_t x_at, int32_t w_at, int32_t bias_at,
                                int32_t out_at, int32_t scratch_at, const int32_t *g, int32_t co,
                                int32_t per_block, int32_t activation, float alpha) {
  const BlockPlan p = plan_blocks(g, per_block);
  const int64_t rows = p.rows, k = p.k;
  const int saved = blas_get_threads();
  blas_set_threads(1);
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
  blas_set_threads(saved);
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
  const int saved = blas_get_threads();
  blas_set_threads(1);
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
  blas_set_threads(saved);
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
  const int saved = blas_get_threads();
  blas_set_threads(1);
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
  blas_set_threads(saved);
  float *dw = heap + dw_at;
  memcpy(dw, heap + scratch_at + per_block * rows * k, sizeof(float) * k * co);
  for (int t = 1; t < threads; t++) {
    const float *partial = heap + scratch_at + t * per_thread + per_block * rows * k;
    for (int64_t i = 0; i < k * co; i++) dw[i] += partial[i];
  }
}
