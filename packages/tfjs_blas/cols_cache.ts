/**
 * Kept im2col matrices: a forward convolution on the whole-GEMM path (without the native helpers,
 * or a convolution too small for blocks) keeps the im2col matrix of its input so that the filter
 * gradient of the same input reuses it.
 *
 * What is kept, and for how long:
 * - at most {@link COLS_CACHE_SIZE} matrices and {@link COLS_CACHE_FLOATS} floats in all (256
 *   MiB of wasm memory: the peak the cache can hold); the oldest go first, and a matrix larger
 *   than the whole budget is not kept;
 * - a matrix is freed as soon as its input tensor is: the backend's `disposeData` is wrapped
 *   (once per backend instance) to drop the entries of an input it frees;
 * - kept matrices belong to the cache, not to the kernel that made them: the backend's
 *   `numDataIds()`, which tfjs's leak check (`IS_TEST`) compares before and after each kernel,
 *   does not count them.
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

/** At most this many kept im2col matrices. */
export const COLS_CACHE_SIZE = 8;
/** At most this many floats of kept im2col matrices (64 Mi floats = 256 MiB of wasm memory). */
export const COLS_CACHE_FLOATS = 64 * 1024 * 1024;
const colsCache: ColsEntry[] = [];
let cacheBackend: WasmBackendLike | null = null;

function geometryKey(g: ConvGeometry): string {
  return `${g.batchSize},${g.inHeight},${g.inWidth},${g.inChannels},${g.outHeight},` +
    `${g.outWidth},${g.filterHeight},${g.filterWidth},${g.strideHeight},${g.strideWidth},` +
    `${g.dilationHeight},${g.dilationWidth},${g.padTop},${g.padLeft}`;
}

/** The methods of tfjs's `BackendWasm` that the cache wraps. */
interface Watched {
  disposeData(dataId: object, force?: boolean): boolean;
  numDataIds(): number;
}

const watched = new WeakSet<object>();

/**
 * Wraps `backend`'s `disposeData` (an input freed frees its kept matrices) and `numDataIds` (kept
 * matrices are not counted), once per backend instance.
 */
function watch(backend: WasmBackendLike): void {
  if (watched.has(backend)) return;
  watched.add(backend);
  const b = backend as unknown as Watched;
  const disposeData = b.disposeData.bind(b);
  const numDataIds = b.numDataIds.bind(b);
  b.disposeData = (dataId, force) => {
    const freed = disposeData(dataId, force);
    if (cacheBackend === backend && !backend.dataIdMap.has(dataId)) dropEntriesOf(dataId);
    return freed;
  };
  b.numDataIds = () => numDataIds() - (cacheBackend === backend ? colsCache.length : 0);
}

/** Frees the kept matrices of input `x` (a data id the cache's backend just freed). */
function dropEntriesOf(x: object): void {
  for (let i = colsCache.length - 1; i >= 0; i--) {
    if (colsCache[i].x !== x) continue;
    const [entry] = colsCache.splice(i, 1);
    wasmDispose(cacheBackend!, entry.cols);
  }
}

/** Frees every kept im2col matrix (call when switching kernels or backends). */
export function clearColsCache(): void {
  // A backend tfjs disposed (engine reset) has freed its whole memory already.
  const alive = cacheBackend !== null && (cacheBackend as { wasm: unknown }).wasm != null;
  if (cacheBackend !== null && alive) {
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

/** Keeps `cols` (of `x`, geometry `g`); the cache then owns them (and may free them at once). */
export function keepCols(
  backend: WasmBackendLike,
  x: tf.TensorInfo,
  g: ConvGeometry,
  cols: tf.TensorInfo,
) {
  purgeDead(backend);
  if (sizeOf(cols.shape) > COLS_CACHE_FLOATS) {
    wasmDispose(backend, cols);
    return;
  }
  watch(backend);
  colsCache.push({ x: x.dataId, key: geometryKey(g), cols });
  let floats = 0;
  for (const e of colsCache) floats += sizeOf(e.cols.shape);
  while (colsCache.length > COLS_CACHE_SIZE || floats > COLS_CACHE_FLOATS) {
    const dropped = colsCache.shift()!;
    floats -= sizeOf(dropped.cols.shape);
    wasmDispose(backend, dropped.cols);
  }
}
