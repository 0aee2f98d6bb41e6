/**
 * The notebook pipeline on the real Deno kernel: tools/execute_notebook.py (outputs complete and
 * stable over consecutive runs, failures named, timeouts, env pass-through) and
 * tools/check_notebooks.ts (type errors in cells fail the check and are located).
 *
 * Notebooks are executed into temp files: committed notebooks are never modified.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createCanvas, loadImage } from "@napi-rs/canvas";
import { KMNIST_CLASSES } from "../../lib/data/mod.ts";
import { executeNotebook } from "../../lib/report/mod.ts";
import { PROJECT_ROOT } from "../../lib/io/mod.ts";
import { checkNotebooks } from "../../tools/check_notebooks.ts";

const FIXTURES = join(PROJECT_ROOT, "tests", "e2e", "fixtures", "notebooks");
const FIXTURE = join(FIXTURES, "kernel_fixture.ipynb");

/** A saved notebook's output as JSON. */
interface Output {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
}

interface Cell {
  cell_type: string;
  source: string | string[];
  outputs?: Output[];
  execution_count?: number | null;
}

interface Notebook {
  cells: Cell[];
  metadata: Record<string, unknown>;
  nbformat: number;
  nbformat_minor: number;
}

function joinText(value: unknown): string {
  return Array.isArray(value) ? value.join("") : String(value ?? "");
}

async function readNotebook(path: string): Promise<Notebook> {
  return JSON.parse(await Deno.readTextFile(path));
}

/** The outputs of every code cell, normalised (multi-line strings joined). */
function outputsOf(notebook: Notebook): unknown[] {
  return notebook.cells.filter((c) => c.cell_type === "code").map((c) =>
    (c.outputs ?? []).map((o) => ({
      type: o.output_type,
      name: o.name,
      text: o.text === undefined ? undefined : joinText(o.text),
      data: o.data === undefined ? undefined : Object.fromEntries(
        Object.entries(o.data).map(([k, v]) => [k, typeof v === "string" ? v : joinText(v)]),
      ),
      error: o.ename === undefined ? undefined : `${o.ename}: ${o.evalue}`,
    }))
  );
}

function codeCell(source: string): Cell {
  return { cell_type: "code", source, outputs: [], execution_count: null, metadata: {} } as Cell;
}

function notebookOf(cells: Cell[]): Notebook {
  return {
    cells,
    metadata: { kernelspec: { name: "deno", display_name: "Deno 2.9.6", language: "typescript" } },
    nbformat: 4,
    nbformat_minor: 5,
  };
}

async function sha256(path: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("the fixture notebook gives the same complete outputs in 5 consecutive kernel runs", async () => {
  const before = await sha256(FIXTURE);
  const temp = await Deno.makeTempDir({ prefix: "notebooks_test_" });
  try {
    const runs: unknown[][] = [];
    for (let run = 0; run < 5; run++) {
      const output = join(temp, `run_${run}.ipynb`);
      const result = await executeNotebook({ notebook: FIXTURE, output, cellTimeoutSeconds: 120 });
      assert.ok(result.success, `run ${run} failed:\n${result.stderr}`);
      runs.push(outputsOf(await readNotebook(output)));
    }
    for (let run = 1; run < 5; run++) {
      assert.deepEqual(runs[run], runs[0], `run ${run} differs from run 0`);
    }

    const notebook = await readNotebook(join(temp, "run_0.ipynb"));
    const cells = notebook.cells.filter((c) => c.cell_type === "code");
    const streams = (i: number, name = "stdout") =>
      (cells[i].outputs ?? []).filter((o) => o.output_type === "stream" && o.name === name)
        .map((o) => joinText(o.text)).join("");
    // Cell 0 imported ../lib and printed the classes as the library defines them.
    assert.equal(streams(0), `classes: ${KMNIST_CLASSES.map((c) => c.char).join(" ")}\n`);
    // Cell 1: output after awaits, stderr, and a timer firing after the cell's last statement.
    assert.equal(streams(1), "async step 1\nasync step 2\nasync step 3\nlate line from a timer\n");
    assert.equal(streams(1, "stderr"), "a line on stderr\n");
    // Cell 2: a PNG display bundle that decodes to the 56x56 image drawn.
    const image = (cells[2].outputs ?? []).find((o) => o.output_type === "display_data");
    assert.ok(image?.data?.["image/png"], "cell 2 should display an image/png");
    const png = Uint8Array.from(atob(joinText(image.data["image/png"])), (c) => c.charCodeAt(0));
    const decoded = await loadImage(png);
    assert.equal(decoded.width, 56);
    assert.equal(decoded.height, 56);
    const canvas = createCanvas(56, 56);
    const context = canvas.getContext("2d");
    context.drawImage(decoded, 0, 0);
    const pixels = context.getImageData(0, 0, 56, 56).data;
    const reds = new Set<number>();
    for (let i = 0; i < pixels.length; i += 4) reds.add(pixels[i]);
    assert.ok(reds.size > 50, `the image should carry the drawn pixels, ${reds.size} reds`);
    assert.match(streams(2), new RegExp(`^png bytes: ${png.length}\\n$`));
    // Cell 3: the display was updated in place to its last value.
    const progress = (cells[3].outputs ?? []).filter((o) => o.output_type === "display_data");
    assert.equal(progress.length, 1);
    assert.equal(joinText(progress[0].data?.["text/plain"]), "progress 2/2");
    // Cell 4: the value of the last expression.
    const result = (cells[4].outputs ?? []).find((o) => o.output_type === "execute_result");
    assert.equal(joinText(result?.data?.["text/plain"]), String(KMNIST_CLASSES.length * 2));
    assert.deepEqual(cells.map((c) => c.execution_count), [1, 2, 3, 4, 5]);
    // The committed fixture is untouched.
    assert.equal(await sha256(FIXTURE), before);
  } finally {
    await Deno.remove(temp, { recursive: true });
  }
});

Deno.test("a failing cell fails the run, naming the notebook, the cell and the error", async () => {
  const temp = await Deno.makeTempDir({ prefix: "notebooks_test_" });
  try {
    const input = join(temp, "failing.ipynb");
    const output = join(temp, "failing_out.ipynb");
    await Deno.writeTextFile(
      input,
      JSON.stringify(notebookOf([
        codeCell('console.log(`marker=${Deno.env.get("KMNIST_TEST_MARKER")}`);'),
        {
          cell_type: "markdown",
          source: "A markdown cell shifts the indices.",
          metadata: {},
        } as Cell,
        codeCell("const answer = 6 * 7;\nthrow new Error(`deliberate failure ${answer}`);"),
        codeCell('console.log("never runs");'),
      ])),
    );
    const result = await executeNotebook({
      notebook: input,
      output,
      cwd: FIXTURES,
      env: { KMNIST_TEST_MARKER: "passed-through" },
      cellTimeoutSeconds: 120,
    });
    assert.equal(result.success, false);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /failing\.ipynb: cell 2 \(code cell 2 of 3, 'const answer = 6 \* 7;'\) failed: .*deliberate failure 42/,
    );
    const saved = await readNotebook(output);
    const outputs = outputsOf(saved) as { type: string; text?: string; error?: string }[][];
    assert.equal(outputs[0][0].text, "marker=passed-through\n", "env reaches the kernel");
    assert.ok(
      outputs[1].some((o) => o.type === "error" && o.error?.includes("deliberate failure 42")),
    );
    assert.deepEqual(outputs[2], [], "cells after the failure have no outputs");
  } finally {
    await Deno.remove(temp, { recursive: true });
  }
});

Deno.test("a cell running past the per-cell timeout fails the run", async () => {
  const temp = await Deno.makeTempDir({ prefix: "notebooks_test_" });
  try {
    const input = join(temp, "slow.ipynb");
    await Deno.writeTextFile(
      input,
      JSON.stringify(notebookOf([
        codeCell('console.log("start");'),
        codeCell("await new Promise((resolve) => setTimeout(resolve, 60_000));"),
      ])),
    );
    const result = await executeNotebook({
      notebook: input,
      output: join(temp, "slow_out.ipynb"),
      cellTimeoutSeconds: 2,
    });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /slow\.ipynb: cell 1 .* failed: timed out after 2 s/);
    assert.ok(result.seconds < 50, `the run should stop at the timeout, took ${result.seconds} s`);
  } finally {
    await Deno.remove(temp, { recursive: true });
  }
});

Deno.test("check_notebooks passes the project's notebooks and fails a type error, locating it", async () => {
  const good = await checkNotebooks();
  assert.ok(good.ok, `the committed notebooks should type-check:\n${good.report}`);
  assert.ok(good.notebooks.includes(FIXTURE));

  const temp = await Deno.makeTempDir({ dir: join(PROJECT_ROOT, ".check"), prefix: "test_" });
  try {
    const fixture = await readNotebook(FIXTURE);
    // The copy sits in .check/test_*/, two levels below the root: its import of lib/ says so.
    const bad = structuredClone(fixture);
    bad.cells.forEach((c) => {
      c.source = joinText(c.source).replace(
        '"../../../../lib/data/mod.ts"',
        '"../../lib/data/mod.ts"',
      );
    });
    const cellIndex = bad.cells.findIndex((c) => joinText(c.source).includes("createRandom(7)"));
    bad.cells[cellIndex].source = `${
      joinText(bad.cells[cellIndex].source)
    }\nconst count: number = random;`;
    const path = join(temp, "bad.ipynb");
    await Deno.writeTextFile(path, JSON.stringify(bad));
    const result = await checkNotebooks({ paths: [path] });
    assert.equal(result.ok, false);
    const lines = joinText(bad.cells[cellIndex].source).split("\n");
    assert.deepEqual(
      result.errors.map((e) => [e.notebook, e.cellIndex, e.line, e.column]),
      [[path, cellIndex, lines.length, "const count: number = ".length + 1]],
    );
    assert.match(result.errors[0].message, /TS2322/);
    assert.match(
      result.report,
      new RegExp(`bad\\.ipynb cell ${cellIndex}, line ${lines.length}:23`),
    );
  } finally {
    await Deno.remove(temp, { recursive: true });
  }
});

Deno.test("the project-local kernelspec: Jupyter finds it under JUPYTER_PATH, and bad deno paths fail fast", async () => {
  const { installKernel } = await import("../../tools/install_kernel.ts");
  const installation = await installKernel();
  assert.equal(installation.deno, Deno.execPath());
  assert.equal(
    (await Deno.readTextFile(join(installation.kernelDirectory, "deno_path"))).trim(),
    Deno.execPath(),
  );
  const list = await new Deno.Command("jupyter", {
    args: ["kernelspec", "list", "--json"],
    env: { JUPYTER_PATH: installation.jupyterPath },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(list.success, new TextDecoder().decode(list.stderr));
  const specs = JSON.parse(new TextDecoder().decode(list.stdout)).kernelspecs;
  assert.equal(specs.deno.resource_dir, join(PROJECT_ROOT, "jupyter", "kernels", "deno"));
  assert.equal(specs.deno.spec.language, "typescript");

  const output = await Deno.makeTempFile({ suffix: ".ipynb" });
  try {
    const result = await executeNotebook({
      notebook: FIXTURE,
      output,
      env: { KMNIST_DENO: "/nonexistent/deno" },
    });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /KMNIST_DENO=\/nonexistent\/deno is not an executable file/);
    assert.match(result.stderr, /kernel_fixture\.ipynb: the kernel 'deno' did not start/);
  } finally {
    await Deno.remove(output);
  }
});
