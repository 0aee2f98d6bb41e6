/**
 * im2col / col2im for NHWC 2-D convolutions, on plain Float32Arrays (a backend's own memory).
 *
 * With these, every convolution kernel is one GEMM:
 * - forward:        Y[M, CO]   = cols(X)[M, K] · W[K, CO]            (M = N·OH·OW, K = FH·FW·CI)
 * - filter grad:    dW[K, CO]  = cols(X)ᵀ · dY[M, CO]
 * - input grad:     dX         = col2im(dY[M, CO] · Wᵀ[CO, K])
 *
 * @module
 */

/** Geometry of a 2-D NHWC convolution (a subset of tfjs's `Conv2DInfo`). */
export interface ConvGeometry {
  /** Batch size N. */
  batchSize: number;
  /** Input height H. */
  inHeight: number;
  /** Input width W. */
  inWidth: number;
  /** Input channels CI. */
  inChannels: number;
  /** Output height OH. */
  outHeight: number;
  /** Output width OW. */
  outWidth: number;
  /** Filter height FH. */
  filterHeight: number;
  /** Filter width FW. */
  filterWidth: number;
  /** Vertical stride. */
  strideHeight: number;
  /** Horizontal stride. */
  strideWidth: number;
  /** Vertical dilation. */
  dilationHeight: number;
  /** Horizontal dilation. */
  dilationWidth: number;
  /** Zero rows above the input. */
  padTop: number;
  /** Zero columns left of the input. */
  padLeft: number;
}

/** Converts tfjs's `Conv2DInfo` to a {@link ConvGeometry}. */
export function geometryOf(
  info: Omit<ConvGeometry, "padTop" | "padLeft"> & { padInfo: { top: number; left: number } },
): ConvGeometry {
  return {
    batchSize: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    inChannels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    dilationHeight: info.dilationHeight,
    dilationWidth: info.dilationWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

/**
 * Writes the patches of `x` (NHWC, at `xOffset` floats into `heap`) as rows of `cols`
 * ([N·OH·OW, FH·FW·CI], at `colsOffset`); padding taps are zero.
 */
export function im2col(
  g: ConvGeometry,
  heap: Float32Array,
  xOffset: number,
  colsOffset: number,
): void {
  const { inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = g;
  const fh = g.filterHeight, fw = g.filterWidth, dh = g.dilationHeight, dw = g.dilationWidth;
  const run = fw * c;
  let dst = colsOffset;
  for (let n = 0; n < g.batchSize; n++) {
    const xBase = xOffset + n * h * w * c;
    for (let y = 0; y < oh; y++) {
      const y0 = y * g.strideHeight - g.padTop;
      for (let x = 0; x < ow; x++) {
        const x0 = x * g.strideWidth - g.padLeft;
        const inside = dw === 1 && x0 >= 0 && x0 + fw <= w;
        for (let i = 0; i < fh; i++) {
          const yy = y0 + i * dh;
          if (yy < 0 || yy >= h) {
            heap.fill(0, dst, dst + run);
            dst += run;
            continue;
          }
          const rowBase = xBase + yy * w * c;
          if (inside) {
            // The whole filter row lies inside the image: one contiguous run.
            const src = rowBase + x0 * c;
            if (run >= 48) heap.copyWithin(dst, src, src + run);
            else for (let k = 0; k < run; k++) heap[dst + k] = heap[src + k];
            dst += run;
            continue;
          }
          for (let j = 0; j < fw; j++) {
            const xx = x0 + j * dw;
            if (xx < 0 || xx >= w) {
              for (let k = 0; k < c; k++) heap[dst + k] = 0;
            } else {
              const src = rowBase + xx * c;
              for (let k = 0; k < c; k++) heap[dst + k] = heap[src + k];
            }
            dst += c;
          }
        }
      }
    }
  }
}

/** For each input coordinate, the (filter tap, output coordinate) pairs that read it. */
function readersOf(
  size: number,
  outSize: number,
  filter: number,
  stride: number,
  dilation: number,
  pad: number,
): Int32Array[] {
  const readers: Int32Array[] = [];
  for (let p = 0; p < size; p++) {
    const pairs: number[] = [];
    for (let t = 0; t < filter; t++) {
      const q = p + pad - t * dilation;
      if (q < 0 || q % stride !== 0) continue;
      const o = q / stride;
      if (o < outSize) pairs.push(t, o);
    }
    readers.push(Int32Array.from(pairs));
  }
  return readers;
}

/**
 * Sums the rows of `cols` ([N·OH·OW, FH·FW·CI], at `colsOffset`) back into image positions: `dx`
 * (NHWC, at `dxOffset`) is overwritten with the sum of every tap that reads each pixel. Written
 * as a gather (each pixel once, its taps summed in order), not a scatter-add.
 */
export function col2im(
  g: ConvGeometry,
  heap: Float32Array,
  colsOffset: number,
  dxOffset: number,
): void {
  const { inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = g;
  const fw = g.filterWidth;
  const rowLen = g.filterHeight * fw * c;
  const ys = readersOf(h, oh, g.filterHeight, g.strideHeight, g.dilationHeight, g.padTop);
  const xs = readersOf(w, ow, fw, g.strideWidth, g.dilationWidth, g.padLeft);
  let dst = dxOffset;
  for (let n = 0; n < g.batchSize; n++) {
    const nBase = colsOffset + n * oh * ow * rowLen;
    for (let yy = 0; yy < h; yy++) {
      const yr = ys[yy];
      for (let xx = 0; xx < w; xx++) {
        const xr = xs[xx];
        let first = true;
        for (let a = 0; a < yr.length; a += 2) {
          const i = yr[a], oy = yr[a + 1];
          for (let b = 0; b < xr.length; b += 2) {
            const j = xr[b], ox = xr[b + 1];
            const src = nBase + (oy * ow + ox) * rowLen + (i * fw + j) * c;
            if (first) {
              if (c >= 16) heap.copyWithin(dst, src, src + c);
              else for (let k = 0; k < c; k++) heap[dst + k] = heap[src + k];
              first = false;
            } else {
              for (let k = 0; k < c; k++) heap[dst + k] += heap[src + k];
            }
          }
        }
        if (first) heap.fill(0, dst, dst + c);
        dst += c;
      }
    }
  }
}
