/** Image grid tests on real KMNIST images: every cell shows its input image, pixel for pixel. */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { imagesToTensor, loadKmnist } from "../lib/data/mod.ts";
import { decodePng, imageGrid, pixelAt, viridis } from "../lib/plot/mod.ts";

const kmnist = await loadKmnist();
const COUNT = 6;
const originals = kmnist.test.images.subarray(0, COUNT * 784); // Uint8Array, 0..255
// A deterministic "reconstruction": the image shifted one pixel right and dimmed, as floats.
const reconstructions = new Float32Array(COUNT * 784);
for (let n = 0; n < COUNT; n++) {
  for (let y = 0; y < 28; y++) {
    for (let x = 1; x < 28; x++) {
      reconstructions[n * 784 + y * 28 + x] = 0.8 * originals[n * 784 + y * 28 + x - 1] / 255;
    }
  }
}

Deno.test("imageGrid: cell (i, j) holds the j-th image of row i, pixel for pixel", async () => {
  await tf.setBackend("cpu");
  const tensor = imagesToTensor(kmnist.test, Int32Array.from({ length: COUNT }, (_, i) => i));
  try {
    const fig = imageGrid({
      title: "originals over reconstructions",
      rows: [
        { title: "original", images: originals },
        { title: "reconstruction", images: reconstructions },
        { title: "tensor input", images: tensor },
      ],
    });
    const scale = fig.scale;
    const png = await decodePng(fig.toPng());
    assert.equal(png.width, Math.round(fig.width * scale));
    assert.equal(png.height, Math.round(fig.height * scale));
    const expected = [
      (n: number, p: number) => originals[n * 784 + p],
      (n: number, p: number) => Math.round(reconstructions[n * 784 + p] * 255),
      (n: number, p: number) => originals[n * 784 + p],
    ];
    for (let i = 0; i < 3; i++) {
      assert.equal(fig.layout.cells[i].length, COUNT);
      for (let j = 0; j < COUNT; j++) {
        const box = fig.layout.cells[i][j];
        const block = box.width / 28;
        let sumDrawn = 0;
        let sumInput = 0;
        let maxError = 0;
        for (let r = 0; r < 28; r++) {
          for (let c = 0; c < 28; c++) {
            const [red, green, blue] = pixelAt(
              png,
              Math.floor((box.x + (c + 0.5) * block) * scale),
              Math.floor((box.y + (r + 0.5) * block) * scale),
            );
            assert.ok(red === green && green === blue, "grey");
            const want = expected[i](j, r * 28 + c);
            maxError = Math.max(maxError, Math.abs(red - want));
            sumDrawn += red;
            sumInput += want;
          }
        }
        assert.ok(maxError <= 1, `cell (${i}, ${j}): max pixel error ${maxError}`);
        assert.ok(Math.abs(sumDrawn - sumInput) / 784 <= 0.5, `cell (${i}, ${j}) mean`);
      }
    }
    // Cells really differ: image 0 is not image 1.
    assert.notDeepEqual(
      Array.from(originals.subarray(0, 784)),
      Array.from(originals.subarray(784, 1568)),
    );
  } finally {
    tensor.dispose();
  }
});

Deno.test("imageGrid difference row: viridis of |x - x_hat| with a colour bar from 0 to 1", async () => {
  const fig = imageGrid({
    rows: [
      { title: "original", images: originals, captions: ["お", "き"] },
      { title: "reconstruction", images: reconstructions },
    ],
    difference: true,
  });
  assert.equal(fig.layout.cells.length, 3);
  assert.equal(fig.layout.rowTitles[2], "|difference|");
  assert.ok(fig.layout.colorbar);
  const png = await decodePng(fig.toPng());
  const s = fig.scale;
  let checked = 0;
  for (let j = 0; j < COUNT; j++) {
    const box = fig.layout.cells[2][j];
    for (let p = 0; p < 784; p += 37) {
      const r = Math.floor(p / 28);
      const c = p % 28;
      const diff = Math.abs(originals[j * 784 + p] / 255 - reconstructions[j * 784 + p]);
      const got = pixelAt(
        png,
        Math.floor((box.x + (c + 0.5) * 2) * s),
        Math.floor((box.y + (r + 0.5) * 2) * s),
      );
      const want = viridis(diff);
      for (let k = 0; k < 3; k++) assert.ok(Math.abs(got[k] - want[k]) <= 2, `pixel ${p} of ${j}`);
      checked++;
    }
  }
  assert.ok(checked > 100);
  // colour bar: top is viridis(1) (yellow), bottom viridis(0) (purple)
  const bar = fig.layout.colorbar!;
  const top = pixelAt(png, (bar.x + bar.width / 2) * s, (bar.y + 1) * s);
  const bottom = pixelAt(png, (bar.x + bar.width / 2) * s, (bar.y + bar.height - 1) * s);
  assert.ok(top[0] > 200 && top[1] > 200 && top[2] < 100, `top ${top}`);
  assert.ok(bottom[0] < 100 && bottom[2] > 60, `bottom ${bottom}`);
});

Deno.test("imageGrid rejects empty, mismatched and badly shaped input with clear errors", () => {
  assert.throws(() => imageGrid({ rows: [] }), /rows is empty/);
  assert.throws(() => imageGrid({ rows: [{ images: new Float32Array(0) }] }), /empty/);
  assert.throws(
    () => imageGrid({ rows: [{ images: new Float32Array(700) }] }),
    /whole number of 28x28/,
  );
  const nan = new Float32Array(784);
  nan[5] = NaN;
  assert.throws(() => imageGrid({ rows: [{ images: nan }] }), /value 5 .* NaN/);
  assert.throws(
    () => imageGrid({ rows: [{ images: new Float32Array(784).fill(255) }] }),
    /\[0, 1\].*Uint8Array/,
  );
  assert.throws(
    () => imageGrid({ rows: [{ images: [new Float32Array(784), new Float32Array(100)] }] }),
    /same shape/,
  );
  assert.throws(
    () =>
      imageGrid({
        rows: [{ images: new Float32Array(784 * 2) }, { images: new Float32Array(784) }],
        difference: true,
      }),
    /as many images/,
  );
  assert.throws(
    () => imageGrid({ rows: [{ images: new Float32Array(784), captions: ["a", "b"] }] }),
    /2 captions for 1 images/,
  );
  assert.throws(
    () =>
      imageGrid({
        rows: [{ images: { shape: [2, 28, 28, 3], dataSync: () => new Float32Array(0) } }],
      }),
    /one grey channel/,
  );
});
