/**
 * Input checks and conversions shared by the figures: images and codes arrive as typed arrays,
 * number arrays or tfjs tensors (duck-typed, so this folder does not import tfjs).
 *
 * @module
 */
import { IMAGE_PIXELS } from "../data/kmnist.ts";

/** The part of a tfjs tensor the figures use. */
export interface TensorLike {
  /** e.g. `[n, 28, 28, 1]`. */
  readonly shape: readonly number[];
  /** The values, row-major. */
  dataSync(): ArrayLike<number>;
}

/**
 * Images in any of these forms (values in [0, 1] for floats, 0..255 for `Uint8Array`):
 * - one flat array of `count*height*width` values (28x28 unless `imageShape` says otherwise);
 * - an array of images, each a flat array of `height*width` values;
 * - a tensor of shape `[n, h, w]`, `[n, h, w, 1]`, `[n, h*w]` or `[h, w]`.
 */
export type ImagesInput = ArrayLike<number> | readonly ArrayLike<number>[] | TensorLike;

/** Codes (points) in any of these forms: flat `n*dims` array, array of rows, tensor `[n, dims]`. */
export type CodesInput = ArrayLike<number> | readonly ArrayLike<number>[] | TensorLike;

/** Images normalised to [0, 1]. */
export interface ImageStack {
  /** Number of images. */
  count: number;
  /** Rows per image. */
  height: number;
  /** Columns per image. */
  width: number;
  /** `count*height*width` values in [0, 1], row-major. */
  data: Float32Array;
}

/** True for tfjs tensors and other objects with `shape` and `dataSync()`. */
export function isTensorLike(value: unknown): value is TensorLike {
  return typeof value === "object" && value !== null && "shape" in value &&
    Array.isArray((value as TensorLike).shape) &&
    typeof (value as TensorLike).dataSync === "function";
}

function isRowList(value: unknown): value is readonly ArrayLike<number>[] {
  return Array.isArray(value) && value.length > 0 && typeof value[0] === "object" &&
    value[0] !== null;
}

function isArrayLike(value: unknown): value is ArrayLike<number> {
  return (Array.isArray(value) || ArrayBuffer.isView(value)) &&
    typeof (value as ArrayLike<number>).length === "number";
}

/** Throws unless `n` is a positive integer. */
export function checkPositiveInteger(where: string, name: string, n: number): void {
  if (!Number.isInteger(n) || n <= 0) {
    throw new Error(`${where}: ${name} must be a positive integer, got ${n}.`);
  }
}

/**
 * Checks an array of numbers: non-empty, every value finite.
 *
 * @throws Error naming `where`, `name` and the first bad index.
 */
export function checkFiniteArray(where: string, name: string, values: ArrayLike<number>): void {
  if (!isArrayLike(values)) {
    throw new Error(`${where}: ${name} must be an array of numbers, got ${typeof values}.`);
  }
  if (values.length === 0) throw new Error(`${where}: ${name} is empty; pass at least one value.`);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new Error(
        `${where}: ${name}[${i}] is ${v}; every value must be a finite number (check for NaN ` +
          `from a diverged loss or a division by zero).`,
      );
    }
  }
}

function squareSide(pixels: number): number | undefined {
  const side = Math.round(Math.sqrt(pixels));
  return side * side === pixels ? side : undefined;
}

/**
 * Converts images to an {@link ImageStack}, checking shape and values.
 *
 * @param where the calling function, for error messages.
 * @param options.imageShape `[height, width]` for flat inputs (default 28x28, or square rows).
 * @throws Error for empty input, a length that is not a whole number of images, NaN/Infinity,
 *   or float values outside [0, 1] by more than 0.5 (e.g. 0..255 floats).
 */
export function toImageStack(
  where: string,
  images: ImagesInput,
  options: { imageShape?: readonly [number, number]; name?: string } = {},
): ImageStack {
  const name = options.name ?? "images";
  let height: number | undefined = options.imageShape?.[0];
  let width: number | undefined = options.imageShape?.[1];
  let flat: ArrayLike<number>;
  let bytes = false;
  let count: number;
  if (isTensorLike(images)) {
    const shape = images.shape;
    if (shape.length === 2 && !options.imageShape && shape[1] !== IMAGE_PIXELS) {
      [height, width] = [shape[0], shape[1]];
      count = 1;
    } else if (shape.length === 2) {
      count = shape[0];
      const side = squareSide(shape[1]);
      height ??= side;
      width ??= side;
    } else if (shape.length === 3 || (shape.length === 4 && shape[3] === 1)) {
      [count, height, width] = [shape[0], shape[1], shape[2]];
    } else {
      throw new Error(
        `${where}: ${name} tensor has shape [${shape.join(", ")}]; expected [n, h, w], ` +
          `[n, h, w, 1], [n, h*w] or [h, w] (one grey channel).`,
      );
    }
    flat = images.dataSync();
  } else if (isRowList(images)) {
    const first = images[0].length;
    const side = squareSide(first);
    height ??= side;
    width ??= side;
    if (height === undefined || width === undefined || height * width !== first) {
      throw new Error(
        `${where}: ${name}[0] has ${first} values, which is not a ${height ?? "?"}x${
          width ?? "?"
        } image; pass imageShape: [height, width].`,
      );
    }
    const data = new Float32Array(images.length * first);
    images.forEach((row, i) => {
      if (!isArrayLike(row) || row.length !== first) {
        throw new Error(
          `${where}: ${name}[${i}] has ${row?.length} values but ${name}[0] has ${first}; ` +
            `all images must have the same shape.`,
        );
      }
      data.set(row, i * first);
    });
    bytes = images[0] instanceof Uint8Array || images[0] instanceof Uint8ClampedArray;
    flat = data;
    count = images.length;
  } else if (isArrayLike(images)) {
    height ??= 28;
    width ??= 28;
    bytes = images instanceof Uint8Array || images instanceof Uint8ClampedArray;
    flat = images;
    count = images.length / (height * width);
  } else {
    throw new Error(
      `${where}: ${name} must be a typed array, an array of images or a tensor, got ${
        images === null ? "null" : typeof images
      }.`,
    );
  }
  if (flat.length === 0 || count === 0) {
    throw new Error(`${where}: ${name} is empty; pass at least one image.`);
  }
  if (height === undefined || width === undefined || !Number.isInteger(count)) {
    throw new Error(
      `${where}: ${name} has ${flat.length} values, which is not a whole number of ${
        height ?? "?"
      }x${width ?? "?"} images; pass imageShape: [height, width] or a [n, h, w] tensor.`,
    );
  }
  const pixels = height * width;
  if (flat.length !== count * pixels) {
    throw new Error(
      `${where}: ${name} has ${flat.length} values but ${count} images of ${height}x${width} ` +
        `need ${count * pixels}.`,
    );
  }
  const data = new Float32Array(flat.length);
  const divisor = bytes ? 255 : 1;
  for (let i = 0; i < flat.length; i++) {
    const v = flat[i];
    if (!Number.isFinite(v)) {
      throw new Error(
        `${where}: ${name} value ${i} (image ${Math.floor(i / pixels)}) is ${v}; images must ` +
          `be finite (a NaN here usually means the model diverged).`,
      );
    }
    const t = v / divisor;
    if (t < -0.5 || t > 1.5) {
      throw new Error(
        `${where}: ${name} value ${i} is ${v}; float images must lie in [0, 1]. Divide 0..255 ` +
          `values by 255, or pass them as a Uint8Array.`,
      );
    }
    data[i] = Math.min(1, Math.max(0, t));
  }
  return { count, height, width, data };
}

/** Image `index` of a stack as its own array (a view, not a copy). */
export function imageAt(stack: ImageStack, index: number): Float32Array {
  const pixels = stack.height * stack.width;
  return stack.data.subarray(index * pixels, (index + 1) * pixels);
}

/** Codes as a flat Float64Array with their count and dimension. */
export interface CodeMatrix {
  /** Number of points. */
  count: number;
  /** Dimension of each point. */
  dims: number;
  /** `count*dims` values, row-major. */
  data: Float64Array;
}

/**
 * Converts codes to a {@link CodeMatrix}, checking shape and values.
 *
 * @param options.dims the dimension of flat inputs (required for them).
 */
export function toCodeMatrix(
  where: string,
  codes: CodesInput,
  options: { dims?: number; name?: string } = {},
): CodeMatrix {
  const name = options.name ?? "codes";
  let flat: ArrayLike<number>;
  let dims = options.dims;
  if (isTensorLike(codes)) {
    if (codes.shape.length !== 2) {
      throw new Error(
        `${where}: ${name} tensor has shape [${codes.shape.join(", ")}]; expected [n, dims].`,
      );
    }
    if (dims !== undefined && dims !== codes.shape[1]) {
      throw new Error(`${where}: dims is ${dims} but the ${name} tensor has ${codes.shape[1]}.`);
    }
    dims = codes.shape[1];
    flat = codes.dataSync();
  } else if (isRowList(codes)) {
    dims ??= codes[0].length;
    const d = dims;
    const data = new Float64Array(codes.length * d);
    codes.forEach((row, i) => {
      if (!isArrayLike(row) || row.length !== d) {
        throw new Error(
          `${where}: ${name}[${i}] has ${row?.length} values, expected ${d} (one per latent ` +
            `dimension).`,
        );
      }
      data.set(row, i * d);
    });
    flat = data;
  } else if (isArrayLike(codes)) {
    if (dims === undefined) {
      throw new Error(`${where}: ${name} is a flat array; pass dims (values per point).`);
    }
    flat = codes;
  } else {
    throw new Error(`${where}: ${name} must be an array, an array of rows or a tensor.`);
  }
  if (flat.length === 0) throw new Error(`${where}: ${name} is empty; pass at least one point.`);
  checkPositiveInteger(where, "dims", dims!);
  if (flat.length % dims! !== 0) {
    throw new Error(
      `${where}: ${name} has ${flat.length} values, not a multiple of dims = ${dims}.`,
    );
  }
  checkFiniteArray(where, name, flat);
  return { count: flat.length / dims!, dims: dims!, data: Float64Array.from(flat) };
}
