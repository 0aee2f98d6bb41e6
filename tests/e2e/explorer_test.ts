/// <reference lib="dom" />
/**
 * The explorer page in a real browser: Debian's Chromium driven by puppeteer-core opens
 * explorer.html from file:// with every network request blocked. Two tiny models are trained here
 * (a 2-D VAE and a 32-D vanilla autoencoder, 300 images, one epoch). The pointer is moved to known
 * latent points and the decoded image's pixels, read from the page, must match Deno's decoding of
 * the same code on tfjs's cpu backend within 1/255 after quantisation; the slider must move the
 * decoded image; a click shows a test image beside its reconstruction; the nearest training
 * images are the ones Deno finds; a page without a decoder says so; the notebook widget runs in
 * its iframe. No console errors, no request leaves the page.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import * as tf from "@tensorflow/tfjs";
import type { Frame, Page } from "puppeteer-core";
import { initBackend } from "@kmnist/tfjs-blas";
import { imagesToTensor, loadKmnist, takeSubset, unitToGrey } from "../../lib/data/mod.ts";
import { type Autoencoder, buildModel } from "../../lib/models/mod.ts";
import { loadModel, saveCheckpoint, train } from "../../lib/train/mod.ts";
import {
  buildExplorerPayload,
  explorerHtml,
  type ExplorerRunSpec,
  float16Bits,
  float16Value,
  latentExplorer,
  MAX_PAGE_BYTES,
  writeExplorer,
} from "../../lib/explorer/mod.ts";
import { openExplorer, waitForExplorer } from "../../lib/explorer/browser.ts";
import { PROJECT_ROOT } from "../../lib/io/mod.ts";
import { executeNotebook, exportHtml } from "../../lib/report/mod.ts";

const kmnist = await loadKmnist();
const range = (n: number) => Int32Array.from({ length: n }, (_, i) => i);
const TEST_IMAGES = 200;
const TRAIN_IMAGES = 300;

/** Trains a tiny model on the default (fast) backend and saves it into `dir`. */
async function trainTiny(kind: "variational" | "vanilla", dir: string): Promise<void> {
  const model = buildModel({ kind, latentDim: kind === "variational" ? 2 : 32, seed: 3 });
  try {
    await train(model, {
      train: takeSubset(kmnist.train, range(TRAIN_IMAGES)),
      epochs: 1,
      batchSize: 50,
      progress: "none",
    });
    await saveCheckpoint(dir, { model });
  } finally {
    model.dispose();
  }
}

/** Deno's decoding of `code` (float32) with `model`, quantised like the page. */
function denoDecode(model: Autoencoder, code: number[]): Uint8Array {
  const z = tf.tensor2d(code, [1, code.length], "float32");
  const out = model.decode(z);
  const values = out.dataSync();
  tf.dispose([z, out]);
  return unitToGrey(values);
}

/** The grey levels of a 28x28 canvas of the page and the code the page decoded into it. */
async function pagePixels(
  frame: Page | Frame,
  id: string,
): Promise<{ grey: number[]; code: number[] }> {
  return await frame.$eval(`#${id}`, (element) => {
    const canvas = element as HTMLCanvasElement;
    const data = canvas.getContext("2d")!.getImageData(0, 0, 28, 28).data;
    const grey: number[] = [];
    for (let i = 0; i < data.length; i += 4) grey.push(data[i]);
    return { grey, code: JSON.parse(canvas.dataset.code ?? "[]") };
  });
}

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

Deno.test("explorer.html: live decoding in Chromium matches Deno within 1/255, offline", async () => {
  const root = await Deno.makeTempDir({ prefix: "explorer_e2e_" });
  await initBackend();
  await trainTiny("variational", path.join(root, "vae"));
  await trainTiny("vanilla", path.join(root, "vanilla"));
  // From here on tfjs's cpu backend, as in the page: the page's codes and Deno's decodings.
  await initBackend({ backend: "cpu" });
  const vae = await loadModel(path.join(root, "vae"));
  const vanilla = await loadModel(path.join(root, "vanilla"));
  const specs: ExplorerRunSpec[] = [
    { name: "vanilla", directory: path.join(root, "vanilla") },
    { name: "variational", directory: path.join(root, "vae") },
  ];
  const file = path.join(root, "explorer.html");
  const written = await writeExplorer({
    out: file,
    runs: specs,
    testImages: TEST_IMAGES,
    trainImages: TRAIN_IMAGES,
  });
  assert.ok(written.bytes < MAX_PAGE_BYTES);
  const opened = await openExplorer({ file });
  let worst = 0;
  try {
    const page = opened.page;
    assert.equal(await page.evaluate(() => document.documentElement.dataset.explorer), "ready");
    assert.equal(
      await page.$eval("#kx-model", (e) => (e as HTMLSelectElement).value),
      "variational",
    );

    // The pointer at known latent points of the VAE's plane.
    const view = await page.evaluate(() =>
      (globalThis as unknown as { kmnistExplorer: { view(): Record<string, number> } })
        .kmnistExplorer.view()
    );
    const inside = ([x, y]: number[]) =>
      Math.abs(x - view.cx) < 0.95 * view.hx && Math.abs(y - view.cy) < 0.95 * view.hy;
    const targets = [
      [0, 0], // the prior's mean, when the codes surround it
      [view.cx, view.cy],
      [view.cx + 0.6 * view.hx, view.cy - 0.4 * view.hy],
      [view.cx - 0.7 * view.hx, view.cy + 0.8 * view.hy],
    ].filter(inside);
    let previous = "";
    const decoded: Uint8Array[] = [];
    for (const [x, y] of targets) {
      const point = await page.evaluate(
        (x, y) =>
          (globalThis as unknown as {
            kmnistExplorer: { clientPoint(x: number, y: number): { x: number; y: number } };
          }).kmnistExplorer.clientPoint(x, y),
        x,
        y,
      );
      await page.mouse.move(point.x, point.y);
      await page.waitForFunction(
        (before) => {
          const code = document.getElementById("kx-glyph28")!.dataset.code;
          return code !== undefined && code !== before;
        },
        {},
        previous,
      );
      const { grey, code } = await pagePixels(page, "kx-glyph28");
      previous = JSON.stringify(code);
      // The page decoded the point under the pointer: within a pixel of the intended one.
      assert.ok(Math.abs(code[0] - x) <= 2 * view.hx / 420 + 1e-6, `z1 ${code[0]} vs ${x}`);
      assert.ok(Math.abs(code[1] - y) <= 2 * view.hy / 420 + 1e-6, `z2 ${code[1]} vs ${y}`);
      const expected = denoDecode(vae, code);
      const difference = maxDifference(grey, expected);
      worst = Math.max(worst, difference);
      assert.ok(difference <= 1, `pointer at (${x}, ${y}): max difference ${difference}/255`);
      decoded.push(expected);
    }
    assert.ok(
      maxDifference(decoded[0], decoded.at(-1)!) > 0,
      "different points decode differently",
    );

    // A click on a test point shows that image beside its reconstruction.
    const index = 7;
    const clicked = await page.evaluate((i) => {
      const api = (globalThis as unknown as {
        kmnistExplorer: {
          testPoint(i: number): number[];
          clientPoint(x: number, y: number): { x: number; y: number };
        };
      }).kmnistExplorer;
      const [x, y] = api.testPoint(i);
      return api.clientPoint(x, y);
    }, index);
    await page.mouse.click(clicked.x, clicked.y);
    const caption = await page.$eval("#kx-picked-caption", (e) => e.textContent ?? "");
    const picked = Number(/test image (\d+)/.exec(caption)?.[1]);
    const pickedImage = await page.$eval("#kx-picked28", (element) => {
      const data = (element as HTMLCanvasElement).getContext("2d")!.getImageData(0, 0, 28, 28).data;
      return Array.from({ length: 784 }, (_, i) => data[4 * i]);
    });
    assert.deepEqual(
      pickedImage,
      Array.from(kmnist.test.images.subarray(picked * 784, (picked + 1) * 784)),
    );
    const image = imagesToTensor(kmnist.test, [picked]);
    const code = vae.encode(image);
    const reconstruction = await page.$eval("#kx-recon28", (element) => {
      const data = (element as HTMLCanvasElement).getContext("2d")!.getImageData(0, 0, 28, 28).data;
      return Array.from({ length: 784 }, (_, i) => data[4 * i]);
    });
    const reconDifference = maxDifference(
      reconstruction,
      denoDecode(vae, Array.from(code.dataSync())),
    );
    tf.dispose([image, code]);
    worst = Math.max(worst, reconDifference);
    assert.ok(reconDifference <= 1, `reconstruction: ${reconDifference}/255`);

    // The 32-D model: the slider moves the decoded image along the segment A-B.
    await page.select("#kx-model", "vanilla");
    await page.waitForFunction(() => document.documentElement.dataset.run === "vanilla");
    const middle = await pagePixels(page, "kx-interp28");
    await page.focus("#kx-t");
    await page.keyboard.press("End");
    await page.waitForFunction(() =>
      document.getElementById("kx-t-value")!.textContent === "t = 1.00"
    );
    const end = await pagePixels(page, "kx-interp28");
    assert.ok(maxDifference(middle.grey, end.grey) > 10, "the slider moved the decoded image");
    for (const shown of [middle, end]) {
      const difference = maxDifference(shown.grey, denoDecode(vanilla, shown.code));
      worst = Math.max(worst, difference);
      assert.ok(difference <= 1, `interpolation: ${difference}/255`);
    }
    // At t = 1 the code is B's: its test image's code, and the nearest training images are Deno's.
    const b = Number(await page.$eval("#kx-b", (e) => (e as HTMLInputElement).value));
    const bImage = imagesToTensor(kmnist.test, [b]);
    const bCode = vanilla.encode(bImage);
    assert.ok(maxDifference(end.code, bCode.dataSync()) < 1e-6);
    const trainImages = imagesToTensor(kmnist.train, range(TRAIN_IMAGES));
    const trainCodes = vanilla.encode(trainImages);
    const codes = Array.from(trainCodes.dataSync(), (v) => float16Value(float16Bits(v)));
    tf.dispose([bImage, bCode, trainImages, trainCodes]);
    const distances = Array.from({ length: TRAIN_IMAGES }, (_, i) => {
      let s = 0;
      for (let j = 0; j < 32; j++) s += (codes[i * 32 + j] - end.code[j]) ** 2;
      return [i, s];
    }).sort((p, q) => p[1] - q[1]);
    const shownNeighbours = await page.$$eval(
      "#kx-nn figure",
      (figures) => figures.map((f) => Number((f as HTMLElement).dataset.index)),
    );
    assert.deepEqual(shownNeighbours, distances.slice(0, 6).map(([i]) => i));

    assert.deepEqual(opened.errors, []);
    assert.deepEqual(opened.blocked, []);
    console.log(`explorer: page ${written.bytes} bytes; max |browser - Deno| = ${worst}/255`);

    // A run without its decoder: the page says so over the canvases instead of drawing nothing.
    const payload = await buildExplorerPayload({
      runs: [specs[1]],
      testImages: 50,
      trainImages: 50,
    });
    payload.runs[0].decoder = null;
    const broken = path.join(root, "no_decoder.html");
    await Deno.writeTextFile(broken, await explorerHtml(payload));
    await opened.open(broken);
    assert.equal(await page.evaluate(() => document.documentElement.dataset.explorer), "error");
    const message = await page.$eval("#kx-glyph-msg", (e) => ({
      text: e.textContent ?? "",
      hidden: (e as HTMLElement).hidden,
    }));
    assert.match(message.text, /No decoder for run "variational"/);
    assert.equal(message.hidden, false);
    assert.match(await page.$eval("#kx-status", (e) => e.textContent ?? ""), /deno task explorer/);

    // The notebook widget: the same page inside an iframe srcdoc of a notebook-like document.
    const widget = await latentExplorer({ runs: [specs[1]], testImages: 50, trainImages: 50 });
    const host = path.join(root, "notebook.html");
    await Deno.writeTextFile(
      host,
      `<!DOCTYPE html><html><body><p>cell output:</p>${
        widget[Symbol.for("Jupyter.display") as keyof typeof widget] ? widget.iframe() : ""
      }</body></html>`,
    );
    await opened.open(host, { wait: false });
    const frame = await (await page.waitForSelector("iframe.kmnist-explorer"))!.contentFrame();
    assert.equal(await waitForExplorer(frame!), "ready");
    assert.deepEqual(opened.errors, []);
    assert.deepEqual(opened.blocked, []);
  } finally {
    await opened.close();
    vae.dispose();
    vanilla.dispose();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("the notebook widget: a cell on the real Deno kernel, exported by nbconvert, runs in Chromium", async () => {
  // Inside the project (runs/ is git-ignored), so that the kernel finds deno.json's imports.
  await Deno.mkdir(path.join(PROJECT_ROOT, "runs"), { recursive: true });
  const root = await Deno.makeTempDir({
    dir: path.join(PROJECT_ROOT, "runs"),
    prefix: "explorer_nb_",
  });
  try {
    await initBackend();
    await trainTiny("variational", path.join(root, "vae"));
    const library = pathToFileURL(path.join(PROJECT_ROOT, "lib", "explorer", "mod.ts")).href;
    const cell = (source: string) => ({
      cell_type: "code",
      execution_count: null,
      metadata: {},
      outputs: [],
      source: source.split(/(?<=\n)/),
    });
    const notebook = {
      cells: [
        { cell_type: "markdown", metadata: {}, source: ["# Explorer widget fixture\n"] },
        cell(
          // As in the notebooks: their setup cell selects the backend first.
          `import { initBackend } from "@kmnist/tfjs-blas";\n` +
            `import { latentExplorer } from "${library}";\n` +
            `await initBackend();\n` +
            `await latentExplorer({ runs: [{ name: "variational", directory: ${
              JSON.stringify(path.join(root, "vae"))
            } }], testImages: 100, trainImages: 100 })`,
        ),
      ],
      metadata: {
        kernelspec: { display_name: "Deno", language: "typescript", name: "deno" },
        language_info: { name: "typescript" },
      },
      nbformat: 4,
      nbformat_minor: 5,
    };
    const source = path.join(root, "widget.ipynb");
    await Deno.writeTextFile(source, JSON.stringify(notebook, null, 1));
    const executed = path.join(root, "widget.out.ipynb");
    const result = await executeNotebook({
      notebook: source,
      output: executed,
      cellTimeoutSeconds: 300,
    });
    assert.ok(result.success, result.stderr);
    const outputs = JSON.parse(await Deno.readTextFile(executed)).cells[1].outputs;
    const html = outputs.map((o: { data?: Record<string, string | string[]> }) =>
      [o.data?.["text/html"] ?? ""].flat().join("")
    ).join("");
    assert.match(html, /<iframe class="kmnist-explorer"/);
    const exported = path.join(root, "widget.html");
    await exportHtml(executed, exported);

    const opened = await openExplorer({ file: exported, wait: false });
    try {
      const frame = await (await opened.page.waitForSelector("iframe.kmnist-explorer"))!
        .contentFrame();
      assert.equal(await waitForExplorer(frame!), "ready");
      const status = await frame!.$eval("#kx-status", (e) => e.textContent ?? "");
      assert.match(status, /the decoder runs in this page/);
      // Nothing the explorer's frame did reached for the network (whatever nbconvert's template
      // asks for is the report's business), and no error but the blocked template scripts'.
      assert.deepEqual(opened.blockedBy.filter((r) => r.frame === "about:srcdoc"), []);
      assert.deepEqual(
        opened.errors.filter((e) => !/net::ERR_FAILED|MathJax|require|jQuery|\$ is not/.test(e)),
        [],
      );
    } finally {
      await opened.close();
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
