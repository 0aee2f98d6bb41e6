/**
 * How the explorer packs binary data into its page: gzip + base64 blobs (the browser inflates them
 * with its built-in `DecompressionStream`), float16 for codes that only steer nearest-neighbour
 * search, and the 0..255 quantisation shared by the page and the tests.
 *
 * @module
 */
import { base64ToBytes, bytesToBase64 } from "../format/mod.ts";

/** A gzip-compressed, base64-encoded byte array, as it travels inside the page. */
export interface PackedBytes {
  /** Always "gzip+base64". */
  encoding: "gzip+base64";
  /** Length of the decompressed bytes (checked by the page). */
  bytes: number;
  /** The compressed bytes in base64. */
  data: string;
}

async function through(bytes: Uint8Array, stream: CompressionStream | DecompressionStream) {
  const body = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(body).arrayBuffer());
}

/** Packs bytes (or the bytes of a typed array) as gzip + base64. */
export async function packBytes(values: ArrayBufferView): Promise<PackedBytes> {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const compressed = await through(bytes, new CompressionStream("gzip"));
  return { encoding: "gzip+base64", bytes: bytes.byteLength, data: bytesToBase64(compressed) };
}

/** Unpacks what {@link packBytes} made (what the page does in the browser). */
export async function unpackBytes(packed: PackedBytes): Promise<Uint8Array> {
  if (packed.encoding !== "gzip+base64") {
    throw new Error(`unpackBytes: unknown encoding "${packed.encoding}"; expected gzip+base64.`);
  }
  const bytes = await through(base64ToBytes(packed.data), new DecompressionStream("gzip"));
  if (bytes.byteLength !== packed.bytes) {
    throw new Error(`unpackBytes: got ${bytes.byteLength} bytes, expected ${packed.bytes}.`);
  }
  return bytes;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The IEEE half-precision bits of `value` (round to nearest even; overflow to infinity). */
export function float16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  let mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - e;
    let half = mantissa >>> shift;
    const rest = mantissa & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && (half & 1))) half++;
    return sign | half;
  }
  let half = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (half & 1))) half++;
  return sign | ((half >>> 10) >= 0x1f ? 0x7c00 : half);
}

/** The value of half-precision bits (the page's decoder is the same formula). */
export function float16Value(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** `values` as half-precision bits. */
export function toFloat16(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = float16Bits(values[i]);
  return out;
}
