/**
 * Per-image pixel metrics on plain arrays: MSE, binary cross-entropy and PSNR.
 *
 * @module
 */
import { IMAGE_PIXELS } from "../data/mod.ts";

/** Probabilities are clipped to [1e-7, 1 - 1e-7] before taking logs (as Keras does). */
export const BCE_CLIP = 1e-7;

/** Options of the per-image metrics. */
export interface PixelOptions {
  /** Pixels per image (default 784). */
  pixels?: number;
}

function imageCount(target: ArrayLike<number>, output: ArrayLike<number>, pixels: number): number {
  if (target.length !== output.length) {
    throw new Error(
      `Metric inputs differ in size: ${target.length} target vs ${output.length} output values.`,
    );
  }
  if (target.length % pixels !== 0) {
    throw new Error(
      `Metric input of ${target.length} values is not a whole number of ${pixels}-pixel images.`,
    );
  }
  return target.length / pixels;
}

/** Mean squared error of each image (mean over its pixels), in float64. */
export function msePerImage(
  target: ArrayLike<number>,
  output: ArrayLike<number>,
  options: PixelOptions = {},
): Float64Array {
  const pixels = options.pixels ?? IMAGE_PIXELS;
  const n = imageCount(target, output, pixels);
  const result = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let p = i * pixels; p < (i + 1) * pixels; p++) {
      const d = target[p] - output[p];
      sum += d * d;
    }
    result[i] = sum / pixels;
  }
  return result;
}

/**
 * Binary cross-entropy of each image, as the mean over its pixels of
 * -(t log o + (1 - t) log(1 - o)), with o clipped to [1e-7, 1 - 1e-7].
 */
export function bcePerImage(
  target: ArrayLike<number>,
  output: ArrayLike<number>,
  options: PixelOptions = {},
): Float64Array {
  const pixels = options.pixels ?? IMAGE_PIXELS;
  const n = imageCount(target, output, pixels);
  const result = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let p = i * pixels; p < (i + 1) * pixels; p++) {
      const o = Math.min(Math.max(output[p], BCE_CLIP), 1 - BCE_CLIP);
      const t = target[p];
      sum -= t * Math.log(o) + (1 - t) * Math.log(1 - o);
    }
    result[i] = sum / pixels;
  }
  return result;
}

/** The PSNR cap in dB, for a perfect reconstruction (MSE 0), which would otherwise be infinite. */
export const PSNR_CAP_DB = 100;

/** Peak signal-to-noise ratio in dB of an MSE, for data range `range` (default 1): 10 log10(range^2 / mse), capped at 100 dB. */
export function psnr(mse: number, range = 1): number {
  if (!(mse >= 0)) throw new Error(`psnr: mse must be >= 0, got ${mse}.`);
  if (mse === 0) return PSNR_CAP_DB;
  return Math.min(PSNR_CAP_DB, 10 * Math.log10((range * range) / mse));
}

/** Mean of an array (0 for an empty one). */
export function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return values.length === 0 ? 0 : sum / values.length;
}
