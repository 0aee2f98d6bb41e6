/**
 * The official KMNIST files: where they come from, how to verify them, and how to fetch them.
 *
 * @module
 */
import * as path from "node:path";
import { writeFileAtomic } from "../io/atomic_write.ts";
import { formatNumber, sha256Hex } from "../format/mod.ts";

/** Base URL of the official KMNIST release (CODH, ROIS-DS Center for Open Data in the Humanities). */
export const KMNIST_BASE_URL = "http://codh.rois.ac.jp/kmnist/dataset/kmnist/";

/** One file of the release with its published checksum. */
export interface KmnistFile {
  /** File name, the same locally and on the server. */
  name: string;
  /** Expected size in bytes. */
  bytes: number;
  /** Expected SHA-256, lower-case hex (published values; see ../shared/data/kmnist/SOURCE.md). */
  sha256: string;
}

/** The five files the loader needs: four IDX archives and the class map. */
export const KMNIST_FILES = {
  trainImages: {
    name: "train-images-idx3-ubyte.gz",
    bytes: 18165135,
    sha256: "51467d22d8cc72929e2a028a0428f2086b092bb31cfb79c69cc0a90ce135fde4",
  },
  trainLabels: {
    name: "train-labels-idx1-ubyte.gz",
    bytes: 29497,
    sha256: "e38f9ebcd0f3ebcdec7fc8eabdcdaef93bb0df8ea12bee65224341c8183d8e17",
  },
  testImages: {
    name: "t10k-images-idx3-ubyte.gz",
    bytes: 3041136,
    sha256: "edd7a857845ad6bb1d0ba43fe7e794d164fe2dce499a1694695a792adfac43c5",
  },
  testLabels: {
    name: "t10k-labels-idx1-ubyte.gz",
    bytes: 5120,
    sha256: "20bb9a0ef54c7db3efc55a92eef5582c109615df22683c380526788f98e42a1c",
  },
  classMap: {
    name: "kmnist_classmap.csv",
    bytes: 151,
    sha256: "88ba4be4bd52d986ae100b425d5c28437c81829c87800c5832a2253edc758374",
  },
} as const satisfies Record<string, KmnistFile>;

/**
 * Checks bytes against a file's published size and SHA-256.
 *
 * @param where the full path or URL, for the error message.
 * @throws Error naming the file, the mismatch and the fix.
 */
export async function verifyFile(
  file: KmnistFile,
  bytes: Uint8Array,
  where: string,
): Promise<void> {
  const fix = `Delete it and let the loader download it again, or point KMNIST_DIR at a verified ` +
    `copy (e.g. ../shared/data/kmnist).`;
  if (bytes.length !== file.bytes) {
    throw new Error(
      `${where}: has ${bytes.length} bytes, expected ${file.bytes}; the file is truncated or not ` +
        `the official ${file.name}. ${fix}`,
    );
  }
  const actual = await sha256Hex(bytes);
  if (actual !== file.sha256) {
    throw new Error(
      `${where}: SHA-256 checksum mismatch (got ${actual}, expected ${file.sha256}); the file is ` +
        `corrupt or not the official ${file.name}. ${fix}`,
    );
  }
}

/** Options for {@link downloadFile}. */
export interface DownloadOptions {
  /** Server folder to fetch from; defaults to {@link KMNIST_BASE_URL}. */
  baseUrl?: string;
  /** Called with a progress line while downloading; defaults to a line on stderr. */
  onProgress?: (line: string) => void;
}

/**
 * Downloads one release file, verifies its checksum, and stores it as `directory/name` atomically.
 *
 * @throws Error naming the URL and how to use a local copy when the download fails, or the
 *   checksum error when the bytes are wrong (nothing is written then).
 */
export async function downloadFile(
  file: KmnistFile,
  directory: string,
  options: DownloadOptions = {},
): Promise<Uint8Array> {
  const url = new URL(file.name, options.baseUrl ?? KMNIST_BASE_URL).href;
  const report = options.onProgress ?? defaultProgress;
  const offlineFix = `Check the network, or, offline, point KMNIST_DIR (or the loader's ` +
    `"directory" option) at a folder that holds the KMNIST files, e.g. KMNIST_DIR=../shared/data/kmnist.`;
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new Error(`Could not download ${url}: ${(error as Error).message}. ${offlineFix}`);
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    throw new Error(`Could not download ${url}: HTTP ${response.status}. ${offlineFix}`);
  }
  const chunks: Uint8Array[] = [];
  let received = 0;
  let lastReport = 0;
  try {
    for await (const chunk of response.body) {
      chunks.push(chunk);
      received += chunk.length;
      const now = performance.now();
      if (now - lastReport > 250 || received === file.bytes) {
        lastReport = now;
        const percent = formatNumber((100 * received) / file.bytes, { decimals: 0 });
        report(
          `downloading ${file.name}: ${formatMiB(received)} / ${
            formatMiB(file.bytes)
          } (${percent}%)`,
        );
      }
    }
  } catch (error) {
    throw new Error(`Download of ${url} broke off: ${(error as Error).message}. ${offlineFix}`);
  }
  const bytes = new Uint8Array(received);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  await verifyFile(file, bytes, url);
  await writeFileAtomic(path.join(directory, file.name), bytes);
  return bytes;
}

function formatMiB(bytes: number): string {
  return `${formatNumber(bytes / 1048576, { decimals: 1 })} MiB`;
}

function defaultProgress(line: string): void {
  const encoder = new TextEncoder();
  const end = Deno.stderr.isTerminal() ? "\r" : "\n";
  Deno.stderr.writeSync(encoder.encode(line + end));
}
