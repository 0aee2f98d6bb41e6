/**
 * tools/report.ts on the fixture notebook: executed into a temp folder (the committed notebook is
 * untouched), exported to HTML with the PNG inline, printed to a PDF that has pages and a first page
 * that renders to a non-blank image, and listed in index.html with the metrics of its run.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createCanvas, loadImage } from "@napi-rs/canvas";
import {
  exportReports,
  indexHtml,
  networkReferences,
  pdfPageCount,
  readHeadlineMetrics,
  readReportTimings,
  renderPdfPage,
  runReport,
} from "../../lib/report/mod.ts";
import { PROJECT_ROOT } from "../../lib/io/mod.ts";
import { buildRunRecord } from "../../lib/records/mod.ts";

const FIXTURES = join(PROJECT_ROOT, "tests", "e2e", "fixtures", "notebooks");

async function sha256(path: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Fraction of pixels that are not near-white, and the number of distinct grey levels. */
async function inkOf(png: Uint8Array): Promise<{ ink: number; levels: number; width: number }> {
  const image = await loadImage(png);
  const canvas = createCanvas(image.width, image.height);
  const context = canvas.getContext("2d");
  context.drawImage(image, 0, 0);
  const pixels = context.getImageData(0, 0, image.width, image.height).data;
  let dark = 0;
  const levels = new Set<number>();
  for (let i = 0; i < pixels.length; i += 4) {
    const grey = Math.round((pixels[i] + pixels[i + 1] + pixels[i + 2]) / 3);
    levels.add(grey);
    if (grey < 200) dark++;
  }
  return { ink: dark / (pixels.length / 4), levels: levels.size, width: image.width };
}

Deno.test("report: fixture notebook to HTML with inline PNG, PDF with a rendered first page, index", async () => {
  const fixture = join(FIXTURES, "kernel_fixture.ipynb");
  const before = await sha256(fixture);
  const out = await Deno.makeTempDir({ prefix: "report_test_" });
  const runs = await Deno.makeTempDir({ prefix: "report_test_runs_" });
  try {
    // A run's saved record, in lib/records's format, to be shown in the index.
    const record = buildRunRecord({
      name: "kernel_fixture",
      title: "Vanilla autoencoder",
      quick: true,
      settings: {
        kind: "vanilla",
        latentDim: 32,
        seed: 0,
        epochs: 1,
        batchSize: 128,
        learningRate: 1e-3,
        validationSize: 500,
      },
      training: {
        epochs: 1,
        secondsPerEpoch: 12.5,
        wallSeconds: 12.5,
        imagesPerSecond: 240,
        history: [],
        backend: "cpu",
      },
      evaluation: {
        kind: "vanilla",
        latentDim: 32,
        parameters: 50_992,
        testImages: 1000,
        mse: 0.0321,
        bce: 0.2,
        psnr: 15.9,
        psnrOfMeanMse: 15.0,
        ssim: 0.512,
        perClass: [],
        knn: { k: 4, accuracy: 0.873, referenceCount: 3000, rawPixelBaseline: 0.85 },
        seconds: 1,
      },
    });
    await Deno.writeTextFile(join(runs, "metrics.json"), JSON.stringify(record));
    const entries = await runReport({
      quick: true,
      notebooksDirectory: FIXTURES,
      only: ["kernel_fixture"],
      outDirectory: out,
      metricsFile: () => join(runs, "metrics.json"),
      runsDirectory: runs,
      cellTimeoutSeconds: 120,
      echo: false,
    });
    assert.equal(entries.length, 1);
    assert.equal(entries[0].title, "Kernel pipeline fixture");

    // The executed copy has the outputs; the committed fixture is untouched.
    assert.equal(await sha256(fixture), before);
    const executed = JSON.parse(await Deno.readTextFile(join(out, "kernel_fixture.ipynb")));
    const pngs: string[] = executed.cells.flatMap((
      c: { outputs?: { data?: Record<string, string> }[] },
    ) => (c.outputs ?? []).map((o) => o.data?.["image/png"]).filter((p) => typeof p === "string"));
    assert.equal(pngs.length, 1);

    // HTML: the notebook's PNG is inline, the code is readable.
    const html = await Deno.readTextFile(join(out, "kernel_fixture.html"));
    assert.ok(
      html.includes(`<img src="data:image/png;base64,${pngs[0].trim()}`),
      "PNG inline in the HTML",
    );
    assert.match(html, /createCanvas/);
    assert.match(html, /async step 3/);
    // Offline: the report loads no script, style or image from the network.
    assert.deepEqual(networkReferences(html), []);

    // PDF: pages, and the first page renders to an image with text and the drawing on it.
    const pdf = join(out, "kernel_fixture.pdf");
    assert.ok((await pdfPageCount(pdf)) > 0);
    const page = await inkOf(await renderPdfPage(pdf, 1, 50));
    assert.ok(page.width > 300, `page width ${page.width} px at 50 dpi`);
    assert.ok(page.ink > 0.005, `first page looks blank (ink ${page.ink})`);
    assert.ok(page.levels > 20, `first page has ${page.levels} grey levels only`);

    // Index: links and the run's metrics.
    const index = await Deno.readTextFile(join(out, "index.html"));
    assert.match(index, /href="kernel_fixture\.html"/);
    assert.match(index, /href="kernel_fixture\.pdf"/);
    assert.match(index, /50,992/);
    assert.match(index, /0\.0321/);
    assert.match(index, /87\.3/);
    assert.match(index, /Quick mode/);
    // The run's wall times persist in timings.json, and the index shows them.
    const timings = await readReportTimings(join(out, "timings.json"));
    assert.ok(timings, "timings.json written");
    assert.ok(timings.notebooks.kernel_fixture.executeSeconds > 0);
    assert.ok(timings.notebooks.kernel_fixture.exportSeconds! > 0);
    assert.ok(timings.lastRun!.seconds! > 0);
    assert.deepEqual(timings.lastRun!.notebooks, ["kernel_fixture"]);
    assert.match(index, /Wall times measured by the report run \(timings\.json\): the whole/);
    // runs/ held a saved run at the start: not a run from nothing, and the index says so.
    assert.equal(timings.lastRun!.fromEmptyRuns, false);
    assert.equal(timings.fromScratch, undefined);
    assert.match(index, /That run re-used models saved in runs\//);

    // --export-only: the executed notebook exported again, nothing executed, the run's files kept.
    const kept = await Promise.all(
      ["timings.json", "index.html", "kernel_fixture.ipynb"].map((f) => sha256(join(out, f))),
    );
    await Deno.remove(join(out, "kernel_fixture.html"));
    await Deno.remove(pdf);
    const written = await exportReports({
      quick: true,
      notebooksDirectory: FIXTURES,
      only: ["kernel_fixture"],
      outDirectory: out,
    });
    assert.deepEqual(written, [join(out, "kernel_fixture.html")]);
    const again = await Deno.readTextFile(written[0]);
    assert.ok(again.includes(`<img src="data:image/png;base64,${pngs[0].trim()}`), "outputs kept");
    assert.ok((await pdfPageCount(pdf)) > 0);
    assert.deepEqual(
      await Promise.all(
        ["timings.json", "index.html", "kernel_fixture.ipynb"].map((f) => sha256(join(out, f))),
      ),
      kept,
    );
    // A notebook never executed is refused before anything is written, with the command to run.
    await assert.rejects(
      exportReports({ notebooksDirectory: FIXTURES, only: ["kernel_fixture"], outDirectory: out }),
      /kernel_fixture\.ipynb has 5 code cells never executed; execute it first: deno task report --only kernel_fixture/,
    );
  } finally {
    await Deno.remove(out, { recursive: true });
    await Deno.remove(runs, { recursive: true });
  }
});

Deno.test("report: a missing notebook name and a missing metrics file are handled", async () => {
  await assert.rejects(
    runReport({ quick: true, notebooksDirectory: FIXTURES, only: ["nope"], echo: false }),
    /no notebook nope\.ipynb in .*have kernel_fixture/,
  );
  assert.equal(await readHeadlineMetrics(join(FIXTURES, "no_such_metrics.json")), undefined);
  const page = indexHtml([], { quick: false });
  assert.match(page, /Full runs/);
});

/** Plot calls whose value, as a cell's last statement, is a figure the kernel shows as a PNG. */
/** A cell whose last statement draws a figure: a plot function, or a lib/notebook step that does. */
const FIGURE_CALL =
  /^(?:nb\.)?(imageGrid|historyCurves|learningCurves|compareHistories|latentScatter|metricsTable|classBars|manifold|priorSamples|interpolationStrip|trainingExamples|reconstructions|latentCodes|errorPerClass|denoisingFigure|decodedManifold|samplesFromPrior|interpolation|studyMseFigure|studyKnnFigure|studyRateDistortion|studyCostFigure|validationCurves|errorPerClassComparison)\(/m;

/** A cell whose last statement shows a table: HTML (numbers a reader can copy), never a picture. */
const TABLE_CALL =
  /^(?:nb\.)?(testMetrics|architectureTable|htmlTable|comparisonTable|equalSizeTable|studyTable)\(/m;

interface SavedCell {
  cell_type: string;
  source: string | string[];
  outputs?: { output_type: string; data?: Record<string, unknown>; ename?: string }[];
}

Deno.test({
  name: "report --quick: the six study notebooks run on the real kernel, figures in HTML and PDF",
  async fn() {
    const notebooks = join(PROJECT_ROOT, "notebooks");
    const names = [...Deno.readDirSync(notebooks)].map((e) => e.name).filter((n) =>
      n.endsWith(".ipynb")
    ).sort();
    assert.deepEqual(names, [
      "01_vanilla.ipynb",
      "02_multilayer.ipynb",
      "03_convolutional.ipynb",
      "04_variational.ipynb",
      "05_comparison.ipynb",
      "06_design_space.ipynb",
    ]);
    const before = await Promise.all(names.map((n) => sha256(join(notebooks, n))));
    const out = await Deno.makeTempDir({ prefix: "report_test_quick_" });
    try {
      const entries = await runReport({
        quick: true,
        outDirectory: out,
        cellTimeoutSeconds: 600,
        echo: false,
      });
      assert.deepEqual(entries.map((e) => `${e.name}.ipynb`), names);
      // Committed notebooks are untouched by a quick run.
      assert.deepEqual(await Promise.all(names.map((n) => sha256(join(notebooks, n)))), before);

      for (const entry of entries) {
        const saved = JSON.parse(await Deno.readTextFile(join(out, `${entry.name}.ipynb`)));
        const cells: SavedCell[] = saved.cells.filter((c: SavedCell) => c.cell_type === "code");
        const pngs: string[] = [];
        let tables = 0;
        cells.forEach((cell, i) => {
          const source = Array.isArray(cell.source) ? cell.source.join("") : cell.source;
          const outputs = cell.outputs ?? [];
          const errors = outputs.filter((o) => o.output_type === "error");
          assert.deepEqual(errors, [], `${entry.name} code cell ${i} has an error output`);
          const images = outputs.map((o) => o.data?.["image/png"]).filter((p) => p !== undefined);
          if (FIGURE_CALL.test(source)) {
            assert.ok(images.length > 0, `${entry.name} code cell ${i} should show a figure`);
          }
          if (TABLE_CALL.test(source)) {
            tables++;
            const html = outputs.map((o) => o.data?.["text/html"]).filter((h) => h !== undefined);
            assert.ok(
              html.some((h) => /<table/.test(Array.isArray(h) ? h.join("") : String(h))),
              `${entry.name} code cell ${i} should show an HTML table`,
            );
            assert.equal(
              images.length,
              0,
              `${entry.name} code cell ${i} shows a table as a picture`,
            );
          }
          for (const image of images) {
            pngs.push(Array.isArray(image) ? image.join("") : String(image));
          }
        });
        assert.ok(
          pngs.length + tables >= 4,
          `${entry.name}: only ${pngs.length} figures and ${tables} tables`,
        );

        const html = await Deno.readTextFile(join(out, `${entry.name}.html`));
        assert.deepEqual(networkReferences(html), [], `${entry.name}.html loads from the network`);
        // No absolute path of this machine in what would be committed.
        const savedText = JSON.stringify(saved.cells.map((c: SavedCell) => c.outputs ?? []));
        const root = PROJECT_ROOT.replace(/\/+$/, "");
        assert.ok(!savedText.includes(root), `${entry.name}: an output prints ${root}`);
        assert.ok(!/\b1 epochs\b/.test(savedText), `${entry.name}: an output says "1 epochs"`);
        // A cell ending in model.dispose() shows tfjs's { refCountAfterDispose, ... } as text.
        const plainTexts = JSON.stringify(
          saved.cells.flatMap((c: SavedCell) =>
            (c.outputs ?? []).map((o) => o.data?.["text/plain"] ?? "")
          ),
        );
        assert.ok(
          !/refCountAfterDispose/.test(plainTexts),
          `${entry.name}: an output prints a dispose() result`,
        );
        for (const png of pngs) {
          assert.ok(
            html.includes(`<img src="data:image/png;base64,${png.trim()}`),
            `${entry.name}.html lacks one of the notebook's figures inline`,
          );
        }
        const pdf = join(out, `${entry.name}.pdf`);
        assert.ok((await pdfPageCount(pdf)) > 0, `${entry.name}.pdf has no pages`);
        const page = await inkOf(await renderPdfPage(pdf, 1, 40));
        assert.ok(page.ink > 0.005 && page.levels > 20, `${entry.name}.pdf page 1 looks blank`);
      }

      // The experiments saved their records (quick), and the index shows their metrics.
      const index = await Deno.readTextFile(join(out, "index.html"));
      for (const entry of entries.slice(0, 4)) {
        assert.equal(entry.metrics?.quick, true, `${entry.name}: no quick metrics record`);
        assert.ok((entry.metrics?.parameters ?? 0) > 1000);
        assert.match(index, new RegExp(entry.metrics!.parameters!.toLocaleString("en-US")));
      }
      assert.ok((entries[3].metrics?.negativeElbo ?? 0) > 0, "the VAE record has its -ELBO");
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});

Deno.test("report (full mode): a notebook is replaced in place only when every cell ran", async () => {
  const folder = await Deno.makeTempDir({
    dir: join(PROJECT_ROOT, ".check"),
    prefix: "report_full_",
  });
  const out = join(folder, "reports");
  const cell = (source: string) => ({
    cell_type: "code",
    execution_count: null,
    metadata: {},
    outputs: [],
    source,
  });
  const notebook = (cells: unknown[]) =>
    JSON.stringify({
      cells: [{ cell_type: "markdown", metadata: {}, source: "# Full mode" }, ...cells],
      metadata: { kernelspec: { name: "deno", display_name: "Deno", language: "typescript" } },
      nbformat: 4,
      nbformat_minor: 5,
    });
  try {
    await Deno.mkdir(join(folder, "notebooks"), { recursive: true });
    const good = join(folder, "notebooks", "good.ipynb");
    const bad = join(folder, "notebooks", "bad.ipynb");
    await Deno.writeTextFile(
      good,
      notebook([
        cell('import { KMNIST_CLASSES } from "../../../lib/data/mod.ts";\nKMNIST_CLASSES.length;'),
      ]),
    );
    const badText = notebook([
      cell('console.log("ok");'),
      cell('throw new Error("broken on purpose");'),
    ]);
    await Deno.writeTextFile(bad, badText);
    const options = {
      notebooksDirectory: join(folder, "notebooks"),
      outDirectory: out,
      metricsFile: () => undefined,
      echo: false,
    };
    await runReport({ ...options, only: ["good"] });
    const saved = JSON.parse(await Deno.readTextFile(good));
    assert.equal(saved.cells[1].outputs[0].data["text/plain"].toString(), "10");
    assert.ok((await pdfPageCount(join(out, "good.pdf"))) > 0);

    await assert.rejects(
      runReport({ ...options, only: ["bad"] }),
      /bad failed: .*cell 2 .*broken on purpose[\s\S]*bad\.failed\.ipynb/,
    );
    assert.equal(await Deno.readTextFile(bad), badText, "the failed notebook is left as it was");
    const failed = JSON.parse(await Deno.readTextFile(join(out, "bad.failed.ipynb")));
    assert.equal(failed.cells[2].outputs[0].output_type, "error");
    assert.deepEqual(
      [...Deno.readDirSync(out)].map((e) => e.name).filter((n) => n.includes("running")),
      [],
    );
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});
