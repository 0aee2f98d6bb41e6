/**
 * A minimal reader of NumPy `.npz` files (a zip of `.npy` arrays), used by the tests to read the
 * KMNIST release's NumPy copy independently of the IDX parser under test.
 *
 * @module
 */

/** A uint8 array from a `.npy` member. */
export interface NpyArray {
  shape: number[];
  data: Uint8Array;
}

/** Reads the first member of an `.npz` file as a uint8 array (`|u1` dtype, C order). */
export async function readNpzUint8(file: string): Promise<NpyArray> {
  const zip = await Deno.readFile(file);
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  if (view.getUint32(0, true) !== 0x04034b50) throw new Error(`${file}: not a zip file`);
  const method = view.getUint16(8, true);
  const compressedSize = view.getUint32(18, true);
  const nameLength = view.getUint16(26, true);
  const extraLength = view.getUint16(28, true);
  const start = 30 + nameLength + extraLength;
  const body = zip.subarray(start, start + compressedSize);
  let npy: Uint8Array;
  if (method === 0) {
    npy = body;
  } else if (method === 8) {
    const stream = new Blob([body as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
      new DecompressionStream("deflate-raw"),
    );
    npy = new Uint8Array(await new Response(stream).arrayBuffer());
  } else {
    throw new Error(`${file}: zip compression method ${method} is not supported`);
  }
  if (npy[0] !== 0x93 || String.fromCharCode(...npy.subarray(1, 6)) !== "NUMPY") {
    throw new Error(`${file}: member is not a .npy array`);
  }
  const major = npy[6];
  const headerLength = major === 1
    ? npy[8] | (npy[9] << 8)
    : new DataView(npy.buffer).getUint32(8, true);
  const headerStart = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(npy.subarray(headerStart, headerStart + headerLength));
  if (!/'descr':\s*'\|u1'/.test(header) || /'fortran_order':\s*True/.test(header)) {
    throw new Error(`${file}: expected a C-order uint8 array, header ${header}`);
  }
  const shape = header.match(/'shape':\s*\(([^)]*)\)/)![1].split(",").map((s) => s.trim())
    .filter((s) => s.length > 0).map(Number);
  return { shape, data: npy.subarray(headerStart + headerLength) };
}
