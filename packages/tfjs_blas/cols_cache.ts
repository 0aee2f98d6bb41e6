/**
 * Kept im2col matrices: without the native helpers, a forward convolution keeps the im2col matrix
 * of its input (a few, freed when their input is) so that the filter gradient of the same input
 * reuses it.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { ConvGeometry } from "./im2col.ts";
import { sizeOf } from "./kernel_types.ts";
import { type WasmBackendLike, wasmDispose } from "./wasm_heap.ts";

/** A kept im2col matrix: the cols of input `x` for one geometry. */
interface ColsEntry {
  x: object;
  key: string;
  cols: tf.TensorInfo;
}

const COLS_CACHE_SIZE = 8;
/** At most this many floats of kept im2col matrices (64 Mi floats = 256 MiB of wasm memory). */
const COLS_CACHE_FLOATS = 64 * 1024 * 1024;
const colsCache: ColsEntry[] = [];
let cacheBackend: WasmBackendLike | null = null;

function geometryKey(g: ConvGeometry): string {
  return `${g.batchSize},${g.inHeight},${g.inWidth},${g.inChannels},${g.outHeight},` +
    `${g.outWidth},${g.filterHeight},${g.filterWidth},${g.strideHeight},${g.strideWidth},` +
    `${g.dilationHeight},${g.dilationWidth},${g.padTop},${g.padLeft}`;
}

/** Frees every kept im2col matrix (call when switching kernels or backends). */
export function clearColsCache(): void {
  if (cacheBackend !== null) {
    for (const e of colsCache) {
      if (cacheBackend.dataIdMap.has(e.cols.dataId)) {
        wasmDispose(cacheBackend, e.cols);
      }
    }
  }
  colsCache.length = 0;
}

/** Drops entries whose input tensor was disposed (its data cannot come back). */
function purgeDead(backend: WasmBackendLike): void {
  if (cacheBackend !== backend) {
    colsCache.length = 0;
    cacheBackend = backend;
  }
  for (let i = colsCache.length - 1; i >= 0; i--) {
    if (!backend.dataIdMap.has(colsCache[i].x)) {
      wasmDispose(backend, colsCache[i].cols);
      colsCache.splice(i, 1);
    }
  }
}

/** Whether the cache holds the cols of `x` for geometry `g`. */
export function hasCols(backend: WasmBackendLike, x: tf.TensorInfo, g: ConvGeometry): boolean {
  purgeDead(backend);
  const key = geometryKey(g);
  return colsCache.some((e) => e.x === x.dataId && e.key === key);
}

/** Takes the kept cols of `x` for geometry `g` out of the cache (the caller then owns them). */
export function takeCols(
  backend: WasmBackendLike,
  x: tf.TensorInfo,
  g: ConvGeometry,
): tf.TensorInfo | null {
  purgeDead(backend);
  const key = geometryKey(g);
  const i = colsCache.findIndex((e) => e.x === x.dataId && e.key === key);
  if (i < 0) return null;
  const [entry] = colsCache.splice(i, 1);
  return entry.cols;
}

/** Keeps `cols` (of `x`, geometry `g`); the cache then owns them. */
export function keepCols(
  backend: WasmBackendLike,
  x: tf.TensorInfo,
  g: ConvGeometry,
  cols: tf.TensorInfo,
) {
  purgeDead(backend);
  colsCache.push({ x: x.dataId, key: geometryKey(g), cols });
  let floats = 0;
  for (const e of colsCache) floats += sizeOf(e.cols.shape);
  while (
    colsCache.length > COLS_CACHE_SIZE || (colsCache.length > 1 && floats > COLS_CACHE_FLOATS)
  ) {
    const dropped = colsCache.shift()!;
    floats -= sizeOf(dropped.cols.shape);
    wasmDispose(backend, dropped.cols);
  }
}
