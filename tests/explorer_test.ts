/**
 * Unit tests of the latent explorer's Deno side: the packing of data into the page, the exported
 * decoder (loaded back as the page loads it), the page's self-containment and size, and the
 * errors for bad run folders (in the library and from the task's real process).
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "@kmnist/tfjs-blas";
import { loadKmnist, unitToGrey } from "../lib/data/mod.ts";
import { base64ToBytes } from "../lib/format/mod.ts";
import { type Autoencoder, buildModel } from "../lib/models/mod.ts";
import { saveCheckpoint } from "../lib/train/mod.ts";
import { decodePng } from "../lib/plot/mod.ts";
import {
  buildExplorerPayload,
  checkRunDirectory,
  explorerHtml,
  ExplorerInputError,
  explorerLinkHtml,
  explorerPicture,
  float16Bits,
  float16Value,
  latentExplorer,
  leftOutNote,
  MAX_PAGE_BYTES,
  packBytes,
  scriptJson,
  studyRuns,
  toFloat16,
  unpackBytes,
  writeExplorer,
  writeReportExplorer,
} from "../lib/explorer/mod.ts";

await initBackend({ backend: "cpu" });
const kmnist = await loadKmnist();
const DATA = { train: kmnist.train, test: kmnist.test };

async function savedModel(
  kind: "vanilla" | "variational",
  latentDim: number,
  dir: string,
): Promise<Autoencoder> {
  const model = buildModel({ kind, latentDim, seed: 5 });
  await saveCheckpoint(dir, { model });
  return model;
}

async function* walkFiles(folder: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(folder)) {
    const child = path.join(folder, entry.name);
    if (entry.isDirectory) yield* walkFiles(child);
    else yield child;
  }
}

Deno.test("float16: agrees with the platform's Float16Array, and its inverse", () => {
  const values = [0, -0, 1, -2.5, 65504, 70000, 1e-8, 6.1e-5, 3.0e-7, 0.1, -1234.567];
  let seed = 1;
  for (let i = 0; i < 2000; i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    values.push(((seed / 2 ** 31) - 0.5) * 2 ** ((i % 40) - 20));
  }
  const reference = new Uint16Array(new Float16Array(values).buffer);
  assert.deepEqual(Array.from(toFloat16(values)), Array.from(reference));
  const decoded = new Float16Array(reference.buffer);
  for (let i = 0; i < values.length; i++) {
    assert.equal(float16Value(float16Bits(values[i])), decoded[i], `value ${values[i]}`);
  }
});

Deno.test("packBytes: gzip + base64 round trip, and a wrong length is refused", async () => {
  const bytes = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7) % 13);
  const packed = await packBytes(bytes);
  assert.ok(base64ToBytes(packed.data).length < bytes.length / 4, "repetitive data compresses");
  assert.deepEqual(await unpackBytes(packed), bytes);
  const floats = new Float32Array([1.5, -2, Math.PI]);
  const back = await unpackBytes(await packBytes(floats));
  assert.deepEqual(new Float32Array(back.buffer), floats);
  await assert.rejects(unpackBytes({ ...packed, bytes: 4999 }), /expected 4999/);
});

Deno.test("quantize: clamps and rounds to the nearest grey level", () => {
  const values = [-0.2, 0, 0.5 / 255, 0.49 / 255, 0.5, 1, 1.7, 127.5 / 255];
  const expected = values.map((v) => Math.round(Math.min(1, Math.max(0, v)) * 255));
  assert.deepEqual(Array.from(unitToGrey(values)), expected);
});

Deno.test("scriptJson: no '</script>' can end the data element early", () => {
  const text = scriptJson({ title: "</script><script>alert(1)</script>" });
  assert.ok(!text.includes("<"));
  assert.deepEqual(JSON.parse(text), { title: "</script><script>alert(1)</script>" });
});

Deno.test("the exported decoder, loaded as the page loads it, decodes as the model does", async () => {
  const dir = await Deno.makeTempDir({ prefix: "explorer_unit_" });
  const models: Autoencoder[] = [];
  try {
    models.push(await savedModel("variational", 2, path.join(dir, "vae")));
    models.push(await savedModel("vanilla", 32, path.join(dir, "vanilla")));
    const payload = await buildExplorerPayload({
      runs: [
        { name: "vae", directory: path.join(dir, "vae") },
        { name: "vanilla", directory: path.join(dir, "vanilla") },
      ],
      testImages: 40,
      trainImages: 30,
      data: DATA,
    });
    assert.equal(payload.test.count, 40);
    assert.deepEqual(
      await unpackBytes(payload.test.labels),
      kmnist.test.labels.subarray(0, 40),
    );
    assert.deepEqual(payload.runs.map((r) => r.projection.type), ["latent", "pca"]);
    for (const [i, run] of payload.runs.entries()) {
      const model = models[i];
      assert.equal(run.latentDim, model.config.latentDim);
      assert.ok(run.decoder);
      const weightData = (await unpackBytes(run.decoder.weightData)).buffer;
      const decoder = await tf.loadLayersModel(tf.io.fromMemory({
        modelTopology: run.decoder.modelTopology as tf.io.ModelJSON["modelTopology"],
        weightSpecs: run.decoder.weightSpecs,
        weightData,
      }));
      const codes = new Float32Array((await unpackBytes(run.testCodes)).buffer);
      assert.equal(codes.length, 40 * run.latentDim);
      const z = tf.tensor2d(codes.slice(0, 3 * run.latentDim), [3, run.latentDim]);
      const fromPage = decoder.predict(z) as tf.Tensor;
      const fromModel = model.decode(z);
      assert.deepEqual(Array.from(fromPage.dataSync()), Array.from(fromModel.dataSync()));
      tf.dispose([z, fromPage, fromModel]);
      decoder.dispose();
    }
    const html = await explorerHtml(payload);
    assert.ok(!/<script[^>]+src=|<link[^>]+href=|https?:\/\/[^"'\s]*\.(js|css)/i.test(html));
    assert.ok(html.includes(`"${tf.version.tfjs}"`), "tfjs of the pinned version is inlined");
    assert.ok(new TextEncoder().encode(html).byteLength < MAX_PAGE_BYTES);
    // Over a size limit: refused, naming the size and the fix, and nothing is written.
    const out = path.join(dir, "small.html");
    await assert.rejects(
      writeExplorer({
        out,
        runs: [{ name: "vae", directory: path.join(dir, "vae") }],
        testImages: 40,
        trainImages: 30,
        maxBytes: 100_000,
      }),
      /would be \d+ bytes, over the limit of 100000: show fewer runs/,
    );
    await assert.rejects(Deno.stat(out), Deno.errors.NotFound);
  } finally {
    for (const model of models) model.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bad input: no model, an unsupported model, an unknown name", async () => {
  const dir = await Deno.makeTempDir({ prefix: "explorer_bad_" });
  try {
    await assert.rejects(
      checkRunDirectory({ name: "empty", directory: dir }),
      (error: Error) =>
        error instanceof ExplorerInputError &&
        /holds no trained model \(no checkpoint\.json or model\.json\)/.test(error.message) &&
        /deno task train/.test(error.message),
    );
    const model = await savedModel("vanilla", 1, path.join(dir, "one"));
    model.dispose();
    await assert.rejects(
      writeExplorer({ out: path.join(dir, "x.html"), runs: [path.join(dir, "one")] }),
      /1-D codes: the explorer .* needs at least 2 dimensions; retrain it with --latent 2/,
    );
    await assert.rejects(
      latentExplorer({ runs: ["vae"] }),
      /Unknown run "vae": give an experiment \(vanilla, multilayer, convolutional, variational\) or the path of a run folder/,
    );
    // Damage the saved weights (wherever the checkpoint layout keeps them).
    const weights = [];
    for await (const entry of walkFiles(path.join(dir, "one"))) {
      if (path.basename(entry) === "weights.bin") weights.push(entry);
    }
    assert.equal(weights.length, 1);
    await Deno.writeTextFile(weights[0], "short");
    await assert.rejects(
      writeExplorer({ out: path.join(dir, "x.html"), runs: [path.join(dir, "one")] }),
      /cannot be read .* Train it again/,
    );
    await assert.rejects(Deno.stat(path.join(dir, "x.html")), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("study trials: checkpoints up to two levels down, named by their records", async () => {
  const dir = await Deno.makeTempDir({ prefix: "explorer_study_" });
  try {
    const trials = [
      "checkpoints/k32",
      "checkpoints/k2",
      "checkpoints/v32",
      "checkpoints/v32s1",
      "loose",
      "c/deep/too_deep",
      "empty",
    ];
    for (const trial of trials) {
      await Deno.mkdir(path.join(dir, trial), { recursive: true });
      if (trial !== "empty") await Deno.writeTextFile(path.join(dir, trial, "model.json"), "{}");
    }
    const record = (label: string, latentDim: number, replicate = false) =>
      JSON.stringify({
        format: "kmnist-study-trial",
        label,
        settings: {
          latentDim,
          architecture: label.split(/[ /]/)[0],
          ...(replicate ? { replicate: true } : {}),
        },
      });
    await Deno.writeTextFile(path.join(dir, "k32.json"), record("convolutional z=32", 32));
    await Deno.writeTextFile(path.join(dir, "k2.json"), record("variational z=2 β=4", 2));
    await Deno.writeTextFile(path.join(dir, "v32.json"), record("variational/conv z=32", 32));
    await Deno.writeTextFile(
      path.join(dir, "v32s1.json"),
      record("variational/conv z=32 seed 1", 32, true),
    );
    const found = await studyRuns(dir);
    assert.deepEqual(found.map((r) => r.name), [
      "study: variational z=2 β=4", // 2-D first, then the other VAEs, then by name
      "study: variational/conv z=32", // (the seed replicate is left out)
      "study/loose",
      "study: convolutional z=32",
    ]);
    assert.equal(found[0].directory, path.join(dir, "checkpoints", "k2"));
    assert.deepEqual(await studyRuns(path.join(dir, "missing")), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task explorer names a run folder without a model and what to run", async () => {
  const dir = await Deno.makeTempDir({ prefix: "explorer_cli_" });
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", "tools/explorer.ts", "--run", dir, "--out", `${dir}/e.html`],
      cwd: new URL("../", import.meta.url).pathname,
      env: { KMNIST_BACKEND: "cpu" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 2, stderr);
    assert.match(stderr, /holds no trained model \(no checkpoint\.json or model\.json\)/);
    assert.match(stderr, /deno task train --model/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeReportExplorer: writes the page beside the reports, or says why it cannot", async () => {
  const out = await Deno.makeTempDir({ prefix: "explorer_report_" });
  try {
    const warnings: string[] = [];
    const written = await writeReportExplorer({
      outDirectory: out,
      quick: true,
      warn: (m) => warnings.push(m),
    });
    if (written) {
      // runs/quick/ holds trained runs: the page is there and the index links it.
      assert.equal(written.file, path.join(out, "explorer.html"));
      assert.equal((await Deno.stat(written.file)).size, written.bytes);
      assert.match(explorerLinkHtml(written), /<a href="explorer\.html">/);
    } else {
      // A fresh checkout: nothing trained; the report goes on, told what to run.
      assert.match(warnings.join("\n"), /No trained run .*\(deno task report --quick\)/);
      assert.equal(explorerLinkHtml(written), "");
      await assert.rejects(Deno.stat(path.join(out, "explorer.html")), Deno.errors.NotFound);
    }
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("the notebook widget prints a static picture of its plane in place of the frame", async () => {
  const dir = await Deno.makeTempDir({ prefix: "explorer_print_" });
  try {
    const model = await savedModel("variational", 2, path.join(dir, "vae"));
    model.dispose();
    const spec = { name: "vae", directory: path.join(dir, "vae") };
    const widget = await latentExplorer({
      runs: [spec],
      testImages: 60,
      trainImages: 30,
      data: DATA,
    });
    assert.ok(widget.printPng, "a picture for print");
    const png = await decodePng(widget.printPng);
    assert.ok(png.width > 400 && png.height > 400, `${png.width}x${png.height}`);
    const html = (widget as unknown as { [k: symbol]: () => { "text/html": string } })[
      Symbol.for("Jupyter.display")
    ]()["text/html"];
    assert.match(html, /@media print\{iframe\.kmnist-explorer\{display:none !important\}/);
    assert.match(html, /<iframe class="kmnist-explorer"/);
    const img = html.match(
      /<img class="kmnist-explorer-print"[^>]* width="(\d+)" src="data:image\/png;base64,([^"]+)"/,
    );
    assert.ok(img, "the print picture is inline");
    assert.deepEqual(base64ToBytes(img[2]), widget.printPng);
    // Printed at its logical width (the PNG holds 1.5 device pixels per CSS pixel).
    assert.equal(Number(img[1]), Math.round(widget.printWidth!));
    assert.ok(Math.abs(png.width - 1.5 * widget.printWidth!) <= 2, `${png.width} px`);
    // The picture shows the page's plane: the same 60 test codes the page scatters.
    const payload = await buildExplorerPayload({
      runs: [spec],
      testImages: 60,
      trainImages: 30,
      data: DATA,
    });
    const figure = await explorerPicture(payload);
    const codes = new Float32Array((await unpackBytes(payload.runs[0].testCodes)).buffer);
    assert.deepEqual(
      Array.from(figure!.layout.points),
      Array.from(codes),
    );
    assert.match(figure!.title, /Latent explorer, printed: vae, 60 test codes/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("leftOutNote: one line with the count, the first names and how to choose", () => {
  const names = Array.from({ length: 22 }, (_, i) => `conv-z${i}`);
  const note = leftOutNote(names, 35, 6_000_000);
  assert.equal(
    note,
    "22 of 35 study trials left out (conv-z0, conv-z1, conv-z2, ...): the page would exceed 6 MB; " +
      "choose the runs to show with deno task explorer --run NAME_OR_FOLDER (repeatable).",
  );
  assert.ok(!note.includes("\n"));
  assert.match(leftOutNote(["a"], 2, 6_500_000), /^1 of 2 study trials left out \(a\): .* 6\.5 MB/);
});
