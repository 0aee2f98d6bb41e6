/** Tests of the KMNIST loader on the real release files (the shared verified copy). */
import assert from "node:assert/strict";
import * as path from "node:path";
import {
  DEFAULT_SHARED_DIRECTORY,
  IMAGE_PIXELS,
  KMNIST_CLASSES,
  KMNIST_FILES,
  loadKmnist,
} from "../lib/data/mod.ts";
import { sha256Hex } from "../lib/format/mod.ts";
import { readNpzUint8 } from "./helpers/npz.ts";

const SHARED = Deno.env.get("KMNIST_DIR") ?? DEFAULT_SHARED_DIRECTORY;
const kmnist = await loadKmnist({ directory: SHARED });

Deno.test("split sizes are 60,000 train and 10,000 test images of 28x28", () => {
  assert.deepEqual(kmnist.train.count, 60000);
  assert.deepEqual(kmnist.test.count, 10000);
  assert.deepEqual(kmnist.train.images.length, 60000 * IMAGE_PIXELS);
  assert.deepEqual(kmnist.test.images.length, 10000 * IMAGE_PIXELS);
  assert.deepEqual(kmnist.train.labels.length, 60000);
  assert.deepEqual(kmnist.test.labels.length, 10000);
});

Deno.test("every class has exactly 6,000 train and 1,000 test images", () => {
  for (const [set, expected] of [[kmnist.train, 6000], [kmnist.test, 1000]] as const) {
    const counts = new Array(10).fill(0);
    for (const label of set.labels) counts[label]++;
    assert.deepEqual(counts, new Array(10).fill(expected));
  }
});

Deno.test("the real files match the SHA-256 values published in SOURCE.md", async () => {
  const source = await Deno.readTextFile(path.join(SHARED, "SOURCE.md"));
  for (const file of Object.values(KMNIST_FILES)) {
    const actual = await sha256Hex(await Deno.readFile(path.join(SHARED, file.name)));
    assert.deepEqual(actual, file.sha256, file.name);
    assert(source.includes(`${actual}  ${file.name}`), `${file.name} not in SOURCE.md`);
  }
});

Deno.test("class map gives お..を with code points and romaji", () => {
  assert.deepEqual(kmnist.classes.map((c) => c.char).join(""), "おきすつなはまやれを");
  assert.deepEqual(kmnist.classes.map((c) => c.romaji), [
    "o",
    "ki",
    "su",
    "tsu",
    "na",
    "ha",
    "ma",
    "ya",
    "re",
    "wo",
  ]);
  assert.deepEqual(kmnist.classes[9].codepoint, "U+3092");
  assert.deepEqual(KMNIST_CLASSES[0].char.codePointAt(0), 0x304a);
});

Deno.test("images and labels equal the release's independent NumPy (.npz) copy", async () => {
  const pairs = [
    ["kmnist-train-imgs.npz", kmnist.train.images, [60000, 28, 28]],
    ["kmnist-test-imgs.npz", kmnist.test.images, [10000, 28, 28]],
    ["kmnist-train-labels.npz", kmnist.train.labels, [60000]],
    ["kmnist-test-labels.npz", kmnist.test.labels, [10000]],
  ] as const;
  for (const [name, parsed, shape] of pairs) {
    const npz = await readNpzUint8(path.join(SHARED, name));
    assert.deepEqual(npz.shape, shape, name);
    assert.deepEqual(npz.data.length, parsed.length, name);
    assert(npz.data.every((value, i) => value === parsed[i]), `${name} differs from the IDX data`);
  }
  // The first training image's pixel sum, from the .npz, against the parser's.
  const npz = await readNpzUint8(path.join(SHARED, "kmnist-train-imgs.npz"));
  const sum = (a: Uint8Array) => a.reduce((s, v) => s + v, 0);
  const expected = sum(npz.data.subarray(0, IMAGE_PIXELS));
  assert(expected > 0);
  assert.deepEqual(sum(kmnist.train.images.subarray(0, IMAGE_PIXELS)), expected);
});
