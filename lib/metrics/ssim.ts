/**
 * Structural similarity (SSIM) of Wang et al. (2004): an 11x11 Gaussian window with sigma 1.5,
 * K1 = 0.01, K2 = 0.03, data range 1, population (weighted) variances, averaged over the "valid"
 * positions where the window fits (18x18 on a 28x28 image). This matches scikit-image's
 * `structural_similarity(a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
 * data_range=1)`.
 *
 * @module
 */
import { IMAGE_SIZE } from "../data/mod.ts";

/** Options of {@link ssim}. */
export interface SsimOptions {
  /** Image width (default 28). */
  width?: number;
  /** Image height (default 28). */
  height?: number;
  /** Window side (default 11). */
  windowSize?: number;
  /** Gaussian sigma of the window (default 1.5). */
  sigma?: number;
  /** Value range of the data (default 1). */
  dataRange?: number;
  /** K1 (default 0.01). */
  k1?: number;
  /** K2 (default 0.03). */
  k2?: number;
}

/** The normalised 1-D Gaussian of `size` taps (the 2-D window is its outer product). */
export function gaussianKernel(size = 11, sigma = 1.5): Float64Array {
  const kernel = new Float64Array(size);
  const centre = (size - 1) / 2;
  let sum = 0;
  for (let i = 0; i < size; i++) {
    kernel[i] = Math.exp(-((i - centre) ** 2) / (2 * sigma * sigma));
    sum += kernel[i];
  }
  for (let i = 0; i < size; i++) kernel[i] /= sum;
  return kernel;
}

/** Separable "valid" filtering of a w x h image with `kernel` in both directions. */
function filterValid(
  image: Float64Array,
  width: number,
  height: number,
  kernel: Float64Array,
): Float64Array {
  const size = kernel.length;
  const ow = width - size + 1, oh = height - size + 1;
  const rows = new Float64Array(height * ow);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < ow; x++) {
      let s = 0;
      for (let k = 0; k < size; k++) s += kernel[k] * image[y * width + x + k];
      rows[y * ow + x] = s;
    }
  }
  const out = new Float64Array(oh * ow);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      let s = 0;
      for (let k = 0; k < size; k++) s += kernel[k] * rows[(y + k) * ow + x];
      out[y * ow + x] = s;
    }
  }
  return out;
}

/**
 * Mean SSIM of each pair of images: `a` and `b` hold n images of width x height values each.
 *
 * @returns n values in [-1, 1]; 1 for identical images.
 */
export function ssimPerImage(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  options: SsimOptions = {},
): Float64Array {
  const {
    width = IMAGE_SIZE,
    height = IMAGE_SIZE,
    windowSize = 11,
    sigma = 1.5,
    dataRange = 1,
    k1 = 0.01,
    k2 = 0.03,
  } = options;
  const pixels = width * height;
  if (a.length !== b.length || a.length % pixels !== 0) {
    throw new Error(
      `ssim: inputs of ${a.length} and ${b.length} values are not the same whole number of ` +
        `${width}x${height} images.`,
    );
  }
  if (windowSize > width || windowSize > height) {
    throw new Error(
      `ssim: the ${windowSize}x${windowSize} window exceeds the ${width}x${height} image.`,
    );
  }
  const kernel = gaussianKernel(windowSize, sigma);
  const c1 = (k1 * dataRange) ** 2, c2 = (k2 * dataRange) ** 2;
  const n = a.length / pixels;
  const result = new Float64Array(n);
  const x = new Float64Array(pixels), y = new Float64Array(pixels);
  const xx = new Float64Array(pixels), yy = new Float64Array(pixels), xy = new Float64Array(pixels);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < pixels; p++) {
      const u = a[i * pixels + p], v = b[i * pixels + p];
      x[p] = u;
      y[p] = v;
      xx[p] = u * u;
      yy[p] = v * v;
      xy[p] = u * v;
    }
    const mx = filterValid(x, width, height, kernel);
    const my = filterValid(y, width, height, kernel);
    const sxx = filterValid(xx, width, height, kernel);
    const syy = filterValid(yy, width, height, kernel);
    const sxy = filterValid(xy, width, height, kernel);
    let sum = 0;
    for (let p = 0; p < mx.length; p++) {
      const ux = mx[p], uy = my[p];
      const vx = sxx[p] - ux * ux, vy = syy[p] - uy * uy, cxy = sxy[p] - ux * uy;
      sum += ((2 * ux * uy + c1) * (2 * cxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2));
    }
    result[i] = sum / mx.length;
  }
  return result;
}
