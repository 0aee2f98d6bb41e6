/**
 * Reading the IDX format of MNIST-style data sets, gzip-compressed.
 *
 * IDX: a big-endian header, magic `0x0000 0x08 <ndim>` (0x08 = unsigned byte), then one uint32 per
 * dimension, then the data. Images use magic 2051 (3 dims), labels 2049 (1 dim).
 *
 * @module
 */

/** A decoded IDX array of unsigned bytes. */
export interface IdxArray {
  /** Dimensions from the header, e.g. [60000, 28, 28]. */
  shape: number[];
  /** The values, row-major. */
  data: Uint8Array;
}

/** Magic number of an IDX file of uint8 images (3 dimensions). */
export const IDX_IMAGES_MAGIC = 2051;
/** Magic number of an IDX file of uint8 labels (1 dimension). */
export const IDX_LABELS_MAGIC = 2049;

/**
 * Decompresses gzip bytes with the platform's `DecompressionStream`.
 *
 * @throws Error naming `fileName` when the data is not gzip or is truncated.
 */
export async function gunzip(bytes: Uint8Array, fileName: string): Promise<Uint8Array> {
  if (bytes.length < 18 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) {
    throw new Error(
      `${fileName}: not a gzip file (${bytes.length} bytes, no gzip signature). ` +
        `Delete it and download it again, or point KMNIST_DIR at a directory with the official files.`,
    );
  }
  try {
    const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
      new DecompressionStream("gzip"),
    );
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (error) {
    throw new Error(
      `${fileName}: the gzip data is truncated or corrupt (${(error as Error).message}). ` +
        `Delete the file and download it again, or point KMNIST_DIR at a verified copy.`,
    );
  }
}

/** What {@link parseIdx} should find in the header. */
export interface IdxExpectation {
  /** Expected magic number (2051 images, 2049 labels). */
  magic: number;
  /** Expected dimensions, e.g. [60000, 28, 28]. */
  shape: readonly number[];
}

/**
 * Parses an uncompressed IDX byte array and checks magic, dimensions and length.
 *
 * @throws Error naming `fileName`, what was found and what was expected.
 */
export function parseIdx(bytes: Uint8Array, expected: IdxExpectation, fileName: string): IdxArray {
  const fix = "Delete the file and download it again, or point KMNIST_DIR at a verified copy.";
  if (bytes.length < 8) {
    throw new Error(`${fileName}: ${bytes.length} bytes is too short for an IDX header. ${fix}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  if (magic !== expected.magic) {
    throw new Error(
      `${fileName}: wrong IDX magic number ${magic} (expected ${expected.magic}: ` +
        `${expected.magic === IDX_IMAGES_MAGIC ? "uint8 images" : "uint8 labels"}). ` +
        `Is this the right file? ${fix}`,
    );
  }
  const ndim = magic & 0xff;
  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < headerBytes) {
    throw new Error(`${fileName}: the IDX header is truncated (${bytes.length} bytes). ${fix}`);
  }
  const shape: number[] = [];
  for (let i = 0; i < ndim; i++) shape.push(view.getUint32(4 + 4 * i, false));
  if (shape.join("x") !== expected.shape.join("x")) {
    throw new Error(
      `${fileName}: wrong dimensions ${shape.join("x")} (expected ${
        expected.shape.join("x")
      }). ${fix}`,
    );
  }
  const length = shape.reduce((a, b) => a * b, 1);
  if (bytes.length !== headerBytes + length) {
    throw new Error(
      `${fileName}: holds ${bytes.length - headerBytes} data bytes, but its header announces ` +
        `${length} (${shape.join("x")}); the file is truncated or has trailing data. ${fix}`,
    );
  }
  return { shape, data: bytes.slice(headerBytes) };
}
