/**
 * Reading PNG bytes back into pixels (for tests and checks of saved figures).
 *
 * @module
 */
import { createCanvas, loadImage } from "@napi-rs/canvas";

/** Decoded RGBA pixels. */
export interface DecodedImage {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** `width*height*4` bytes, RGBA, row-major. */
  data: Uint8ClampedArray;
}

/**
 * Decodes PNG bytes (e.g. from `Figure.toPng()`) into RGBA pixels.
 *
 * @throws Error if the bytes are not a PNG image.
 */
export async function decodePng(bytes: Uint8Array): Promise<DecodedImage> {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length < 8 || signature.some((b, i) => bytes[i] !== b)) {
    throw new Error("decodePng: the bytes do not start with the PNG signature.");
  }
  const image = await loadImage(bytes);
  const canvas = createCanvas(image.width, image.height);
  const ctx = canvas.getContext("2d");
  ctx.drawImage(image, 0, 0);
  const { data } = ctx.getImageData(0, 0, image.width, image.height);
  return { width: image.width, height: image.height, data };
}

/** The RGB of pixel (x, y). */
export function pixelAt(image: DecodedImage, x: number, y: number): [number, number, number] {
  const i = (Math.round(y) * image.width + Math.round(x)) * 4;
  return [image.data[i], image.data[i + 1], image.data[i + 2]];
}

/** Mean of the R channel over a rectangle of whole pixels `[x0, x0+w) x [y0, y0+h)`. */
export function meanRed(image: DecodedImage, x0: number, y0: number, w: number, h: number): number {
  let sum = 0;
  for (let y = y0; y < y0 + h; y++) {
    for (let x = x0; x < x0 + w; x++) sum += image.data[(y * image.width + x) * 4];
  }
  return sum / (w * h);
}
