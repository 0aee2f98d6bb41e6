/** initBackend(): the blas / wasm / cpu choices, the default, and the fallback without OpenBLAS. */
import * as tf from "@tensorflow/tfjs";
import { ok as assert } from "node:assert";
import { initBackend } from "../mod.ts";
import { activeKernelSet, loadBlas } from "../kernel_sets.ts";
import { runSnippet } from "../../../tests/helpers/process.ts";

Deno.test("each backend choice reports what runs", async () => {
  const wasm = await initBackend({ backend: "wasm" });
  assert(wasm.name === "wasm" && wasm.tfjsBackend === "wasm" && !wasm.blas && wasm.simd);
  assert(activeKernelSet() === "wasm");
  const cpu = await initBackend({ backend: "cpu" });
  assert(cpu.name === "cpu" && tf.getBackend() === "cpu" && !cpu.blas);
  if (loadBlas() !== null) {
    const blas = await initBackend({ backend: "blas" });
    assert(blas.name === "blas" && blas.blas && tf.getBackend() === "wasm");
    assert(blas.blasLibrary !== undefined && (blas.blasThreads ?? 0) >= 1);
    assert(activeKernelSet() === "blas");
  }
});

Deno.test("without OpenBLAS the default falls back to wasm, saying so once on stderr", async () => {
  const code = `
    import { initBackend } from "./packages/tfjs_blas/mod.ts";
    import * as tf from "@tensorflow/tfjs";
    const a = await initBackend();
    const b = await initBackend();
    // A conv gradient must still work on the fallback.
    const g = tf.grad((f) => tf.conv2d(tf.ones([2, 6, 6, 1]), f, 2, "same").sum())(tf.ones([3, 3, 1, 2]));
    console.log(JSON.stringify({ a: a.name, b: b.name, reason: a.fallbackReason ?? "", g: Array.from(g.dataSync()) }));
  `;
  const r = await runSnippet(code, { KMNIST_OPENBLAS: "/nonexistent/libopenblas.so.0" });
  assert(r.ok, `snippet failed: ${r.stderr}`);
  const result = JSON.parse(r.stdout.trim().split("\n").pop()!);
  assert(result.a === "wasm" && result.b === "wasm", r.stdout);
  assert(/\/nonexistent\/libopenblas\.so\.0/.test(result.reason), result.reason);
  const notices = r.stderr.split("\n").filter((l) => l.includes("falling back to the pure wasm"));
  assert(notices.length === 1, `expected one notice, got:\n${r.stderr}`);
  assert(result.g.length === 18 && result.g.every((v: number) => v > 0), String(result.g));
});

Deno.test("KMNIST_BACKEND selects the backend when no option is given", async () => {
  const r = await runSnippet(
    `import { initBackend } from "./packages/tfjs_blas/mod.ts"; console.log((await initBackend()).name);`,
    { KMNIST_BACKEND: "cpu" },
  );
  assert(r.ok, r.stderr);
  assert(r.stdout.trim().split("\n").pop() === "cpu", r.stdout);
});

Deno.test({
  name: "blas reports whether the native helpers run; KMNIST_NATIVE=0 turns them off, saying why",
  ignore: loadBlas() === null,
  fn: async () => {
    const code = `
      import { initBackend } from "./packages/tfjs_blas/mod.ts";
      const info = await initBackend({ backend: "blas" });
      console.log(JSON.stringify({ native: info.native, reason: info.nativeReason ?? "" }));
    `;
    const off = await runSnippet(code, { KMNIST_NATIVE: "0" });
    assert(off.ok, off.stderr);
    const r = JSON.parse(off.stdout.trim().split("\n").pop()!);
    assert(r.native === false && r.reason.includes("KMNIST_NATIVE=0"), off.stdout);
    const on = await runSnippet(code, {});
    assert(on.ok, on.stderr);
    const s = JSON.parse(on.stdout.trim().split("\n").pop()!);
    // With a C compiler the helpers load; without one the reason names the fix.
    assert(s.native === true || s.reason.includes("C compiler"), on.stdout);
  },
});
