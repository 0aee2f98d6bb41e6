/**
 * Grey levels and pixel intensities: KMNIST stores grey levels 0..255, the models see intensities
 * in [0, 1]. The one conversion each way (level / 255; clamp, × 255, round half up), so every
 * tensor, figure, record and page agrees on it.
 *
 * @module
 */
import { IMAGE_PIXELS, type ImageSet } from "./kmnist.ts";

/** The brightest grey level (white). */
export const MAX_GREY_LEVEL = 255;

/** Grey levels 0..255 as intensities in [0, 1] (level / 255), element by element. */
export function greyToUnit(levels: ArrayLike<number>): Float32Array {
  const out = new Float32Array(levels.length);
  const scale = 1 / MAX_GREY_LEVEL;
  for (let i = 0; i < levels.length; i++) out[i] = levels[i] * scale;
  return out;
}

/**
 * Intensities in [0, 1] as grey levels 0..255: clamped to [0, 1], then rounded half up (the
 * quantisation of the records' sample reconstructions and of the explorer's pages).
 */
export function unitToGrey(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = Math.min(1, Math.max(0, values[i]));
    out[i] = Math.floor(v * MAX_GREY_LEVEL + 0.5);
  }
  return out;
}

/**
 * The chosen images of a set as intensities in [0, 1] (row-major, image after image); all of
 * them when `indices` is omitted.
 *
 * @throws Error naming an index outside the set.
 */
export function imagesAsFloats(set: ImageSet, indices?: ArrayLike<number>): Float32Array {
  const count = indices ? indices.length : set.count;
  const out = new Float32Array(count * IMAGE_PIXELS);
  const scale = 1 / MAX_GREY_LEVEL;
  for (let i = 0; i < count; i++) {
    const index = indices ? indices[i] : i;
    if (!Number.isInteger(index) || index < 0 || index >= set.count) {
      throw new Error(`imagesAsFloats: index ${index} is outside 0..${set.count - 1}.`);
    }
    const source = index * IMAGE_PIXELS;
    const target = i * IMAGE_PIXELS;
    for (let p = 0; p < IMAGE_PIXELS; p++) out[target + p] = set.images[source + p] * scale;
  }
  return out;
}
