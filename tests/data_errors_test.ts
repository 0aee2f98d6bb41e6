/**
 * Every error path of the KMNIST loader, on crafted bad files, and the real download path against
 * a local HTTP server that serves the release files.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import {
  DEFAULT_SHARED_DIRECTORY,
  downloadFile,
  gunzip,
  IDX_IMAGES_MAGIC,
  IDX_LABELS_MAGIC,
  KMNIST_FILES,
  loadKmnist,
  parseIdx,
  parseSet,
} from "../lib/data/mod.ts";

const SHARED = Deno.env.get("KMNIST_DIR") ?? DEFAULT_SHARED_DIRECTORY;
const quiet = { onProgress: () => {} };

/** A temp folder holding copies of the five release files. */
async function copyOfRelease(): Promise<string> {
  const directory = await Deno.makeTempDir({ prefix: "kmnist-test-" });
  for (const file of Object.values(KMNIST_FILES)) {
    await Deno.copyFile(path.join(SHARED, file.name), path.join(directory, file.name));
  }
  return directory;
}

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new CompressionStream("gzip"),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function idx(magic: number, dims: number[], dataLength: number): Uint8Array {
  const bytes = new Uint8Array(4 + 4 * dims.length + dataLength);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, magic, false);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  return bytes;
}

async function listing(directory: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(directory)) names.push(entry.name);
  return names.sort();
}

Deno.test("a file with one changed byte fails with a checksum error naming it", async () => {
  const directory = await copyOfRelease();
  try {
    const target = path.join(directory, KMNIST_FILES.testLabels.name);
    const bytes = await Deno.readFile(target);
    bytes[100] ^= 0xff;
    await Deno.writeFile(target, bytes);
    await assert.rejects(loadKmnist({ directory }), (error: Error) => {
      assert.match(error.message, /t10k-labels-idx1-ubyte\.gz: SHA-256 checksum mismatch/);
      assert.match(error.message, /KMNIST_DIR/);
      return true;
    });
  } finally {
    await Deno.remove(directory, { recursive: true });
  }
});

Deno.test("a truncated file fails with its size and the expected size", async () => {
  const directory = await copyOfRelease();
  try {
    const target = path.join(directory, KMNIST_FILES.trainLabels.name);
    const bytes = await Deno.readFile(target);
    await Deno.writeFile(target, bytes.subarray(0, 1000));
    await assert.rejects(
      loadKmnist({ directory }),
      /train-labels-idx1-ubyte\.gz: has 1000 bytes, expected 29497; the file is truncated/,
    );
  } finally {
    await Deno.remove(directory, { recursive: true });
  }
});

Deno.test("a directory lacking files names the missing files and KMNIST_DIR", async () => {
  const directory = await copyOfRelease();
  try {
    await Deno.remove(path.join(directory, KMNIST_FILES.testImages.name));
    await assert.rejects(
      loadKmnist({ directory }),
      /lacks t10k-images-idx3-ubyte\.gz.*unset KMNIST_DIR/s,
    );
  } finally {
    await Deno.remove(directory, { recursive: true });
  }
});

Deno.test("truncated gzip data is reported as truncated or corrupt", async () => {
  const real = await Deno.readFile(path.join(SHARED, KMNIST_FILES.testLabels.name));
  await assert.rejects(
    gunzip(real.subarray(0, real.length - 100), "t10k-labels-idx1-ubyte.gz"),
    /t10k-labels-idx1-ubyte\.gz: the gzip data is truncated or corrupt/,
  );
  const corrupt = real.slice();
  for (let i = 20; i < 200; i++) corrupt[i] = 0xaa;
  await assert.rejects(gunzip(corrupt, "x.gz"), /x\.gz: the gzip data is truncated or corrupt/);
  await assert.rejects(
    gunzip(new TextEncoder().encode("not gzip at all, no"), "y.gz"),
    /y\.gz: not a gzip file/,
  );
});

Deno.test("wrong magic, wrong dimensions and wrong length are each named", () => {
  const images = { magic: IDX_IMAGES_MAGIC, shape: [2, 28, 28] };
  assert.throws(
    () => parseIdx(idx(IDX_LABELS_MAGIC, [2], 2), images, "a.idx"),
    /a\.idx: wrong IDX magic number 2049 \(expected 2051/,
  );
  assert.throws(
    () => parseIdx(idx(IDX_IMAGES_MAGIC, [2, 28, 27], 2 * 28 * 27), images, "b.idx"),
    /b\.idx: wrong dimensions 2x28x27 \(expected 2x28x28\)/,
  );
  assert.throws(
    () => parseIdx(idx(IDX_IMAGES_MAGIC, [2, 28, 28], 2 * 784 - 5), images, "c.idx"),
    /c\.idx: holds 1563 data bytes, but its header announces 1568/,
  );
  assert.throws(() => parseIdx(new Uint8Array(3), images, "d.idx"), /d\.idx: 3 bytes is too short/);
  const ok = parseIdx(idx(IDX_IMAGES_MAGIC, [2, 28, 28], 2 * 784), images, "e.idx");
  assert.deepEqual(ok.shape, [2, 28, 28]);
});

Deno.test("parseSet rejects labels outside 0..9 and images of the wrong count", async () => {
  const images = await gzip(idx(IDX_IMAGES_MAGIC, [3, 28, 28], 3 * 784));
  const labels = idx(IDX_LABELS_MAGIC, [3], 3);
  labels[labels.length - 1] = 12;
  await assert.rejects(parseSet(images, await gzip(labels), 3, "t10k"), /label 12 at index 2/);
  await assert.rejects(
    parseSet(images, await gzip(idx(IDX_LABELS_MAGIC, [3], 3)), 4, "t10k"),
    /t10k-images-idx3-ubyte\.gz: wrong dimensions 3x28x28 \(expected 4x28x28\)/,
  );
});

Deno.test("offline: the failed URL and how to use a local copy are named; nothing is written", async () => {
  const cacheDirectory = await Deno.makeTempDir({ prefix: "kmnist-cache-" });
  const emptyShared = await Deno.makeTempDir({ prefix: "kmnist-none-" });
  try {
    await assert.rejects(
      loadKmnist({
        cacheDirectory,
        sharedDirectory: emptyShared,
        baseUrl: "http://127.0.0.1:9/kmnist/",
        ...quiet,
      }),
      (error: Error) => {
        assert.match(
          error.message,
          /Could not download http:\/\/127\.0\.0\.1:9\/kmnist\/train-images/,
        );
        assert.match(error.message, /KMNIST_DIR=\.\.\/shared\/data\/kmnist/);
        return true;
      },
    );
    assert.deepEqual(await listing(cacheDirectory), []);
    await assert.rejects(
      loadKmnist({ cacheDirectory, sharedDirectory: emptyShared, download: false }),
      /downloading is off/,
    );
  } finally {
    await Deno.remove(cacheDirectory, { recursive: true });
    await Deno.remove(emptyShared, { recursive: true });
  }
});

/** Serves the shared release files on loopback; `corrupt` names a file served with a flipped byte. */
function serveRelease(corrupt?: string) {
  const requests: string[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      const name = path.basename(new URL(request.url).pathname);
      requests.push(name);
      try {
        const bytes = await Deno.readFile(path.join(SHARED, name));
        if (name === corrupt) bytes[bytes.length >> 1] ^= 1;
        return new Response(bytes);
      } catch {
        return new Response("not found", { status: 404 });
      }
    },
  );
  return { server, requests, baseUrl: `http://127.0.0.1:${server.addr.port}/kmnist/` };
}

Deno.test("download: fetches every file into the cache, verifies it, then loads from it", async () => {
  const cacheDirectory = await Deno.makeTempDir({ prefix: "kmnist-cache-" });
  const emptyShared = await Deno.makeTempDir({ prefix: "kmnist-none-" });
  const { server, requests, baseUrl } = serveRelease();
  const lines: string[] = [];
  try {
    const data = await loadKmnist({
      cacheDirectory,
      sharedDirectory: emptyShared,
      baseUrl,
      onProgress: (line) => lines.push(line),
    });
    assert.equal(data.directory, cacheDirectory);
    assert.equal(data.train.count, 60000);
    assert.deepEqual(
      await listing(cacheDirectory),
      Object.values(KMNIST_FILES).map((f) => f.name).sort(),
    );
    assert.equal(requests.length, 5);
    assert.ok(lines.some((l) => /downloading train-images-idx3-ubyte\.gz: .* \(100%\)/.test(l)));
    // A second load uses the cache and downloads nothing.
    await loadKmnist({ cacheDirectory, sharedDirectory: emptyShared, baseUrl, ...quiet });
    assert.equal(requests.length, 5);
  } finally {
    await server.shutdown();
    await Deno.remove(cacheDirectory, { recursive: true });
    await Deno.remove(emptyShared, { recursive: true });
  }
});

Deno.test("download: a corrupt download is rejected by checksum and leaves no file", async () => {
  const directory = await Deno.makeTempDir({ prefix: "kmnist-cache-" });
  const { server, baseUrl } = serveRelease(KMNIST_FILES.testImages.name);
  try {
    await assert.rejects(
      downloadFile(KMNIST_FILES.testImages, directory, { baseUrl, ...quiet }),
      /kmnist\/t10k-images-idx3-ubyte\.gz: SHA-256 checksum mismatch/,
    );
    assert.deepEqual(await listing(directory), []);
    await downloadFile(KMNIST_FILES.testLabels, directory, { baseUrl, ...quiet });
    assert.deepEqual(await listing(directory), [KMNIST_FILES.testLabels.name]);
  } finally {
    await server.shutdown();
    await Deno.remove(directory, { recursive: true });
  }
});
