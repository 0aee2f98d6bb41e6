/**
 * Training and inference throughput of the project's models on each available backend path, with
 * the machine's sgemm rate measured in the same run (OpenBLAS through FFI), and optionally the
 * PyTorch reference (../shared/reference) run side by side.
 *
 *   deno task bench [--json] [--reference] [--paths blas,wasm,cpu] [--models vanilla,convolutional]
 *                   [--batch N] [--steps N] [--repeats N] [--no-inference] [--profile] [--out FILE]
 *
 * Models (`BENCH_MODELS`): the four notebook autoencoders (vanilla, multilayer, convolutional, and
 * variational: notebook 04's 2-D keras-io design), `vae-conv` (the "conv" VAE design at z = 32:
 * the heads straight on the conv features), `vae-mlp` (the reference MLP VAE 784-400-20) and
 * `classifier` (the sample-measuring CNN, two convolutions per block, with its shift augmentation
 * in the step). The PyTorch reference has the first four only; `--reference` runs it for those,
 * at batch 128 (its batch) only.
 *
 * Training: batches of `--batch` (default 128) seeded random images in [0,1] (as the PyTorch
 * reference does; random labels for the classifier), Adam 1e-3 through lib/train/optimizer.ts, a
 * few untimed warm-up steps, then `--steps` timed steps (default per model, scaled by 128 / batch)
 * with the loss read back every step. GFLOP/s counts 3 x forward MACs x 2 per image, the forward
 * MACs counted from the model's layers (lib/models/macs.ts: vanilla 50,176; multilayer 475,136;
 * convolutional 6,805,120; variational 6,660,928; vae-conv 6,905,472; vae-mlp 651,200; classifier
 * 18,691,840). Inference: encode and reconstruct 10,000 images (the classifier: features and class
 * probabilities); `--no-inference` skips it. The report gives the process's peak resident memory
 * (VmHWM): with one model per process, that model's. Not a timed test: it prints what it measures.
 * `--profile` adds, per model and path, where a training step's time goes: ms per tfjs kernel
 * (tf.profile), the phases of the OpenBLAS kernels (im2col, gemm, col2im, epilogue), and the rest
 * (dispatch, gradient tape, optimizer). `--repeats N` runs every side N times, interleaved (tfjs
 * paths, then PyTorch, N times over), and reports each side's median run with all runs' images/s
 * as `samples`: on a shared machine single runs vary by 10% or more.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type BackendInfo,
  type BackendName,
  blasKernelCalls,
  blasPhaseMs,
  initBackend,
  loadBlas,
  loadNative,
  measureSgemm,
  nativeKernelCalls,
  nativeLoadError,
} from "@kmnist/tfjs-blas";
import {
  type AutoencoderKind,
  buildClassifier,
  buildModel,
  buildVariational,
  forwardMacs,
} from "../lib/models/mod.ts";
import { createOptimizer } from "../lib/train/optimizer.ts";
import { CLASSIFIER_TRAINING, shiftImages } from "../lib/train/classifier.ts";
import {
  createRandom,
  greyToUnit,
  IMAGE_PIXELS,
  IMAGE_SIZE,
  MAX_GREY_LEVEL,
} from "../lib/data/mod.ts";
import { formatNumber } from "../lib/format/mod.ts";
import { writeJsonAtomic } from "../lib/io/mod.ts";

/** The models the bench knows, in its default order. */
export const BENCH_MODELS = [
  "vanilla",
  "multilayer",
  "convolutional",
  "variational",
  "vae-conv",
  "vae-mlp",
  "classifier",
] as const;

/** A model the bench knows. */
export type BenchModel = typeof BENCH_MODELS[number];

/** What the bench trains and times: one model behind one interface. */
interface BenchSubject {
  /** Forward multiply-accumulates per image (lib/models/macs.ts). */
  forwardMacs: number;
  /** The variables Adam updates. */
  variables: tf.Variable[];
  /** The training loss of a batch (`labels` for the classifier), recorded for gradients. */
  loss(images: tf.Tensor4D, labels: tf.Tensor1D, step: number): tf.Scalar;
  /**
   * What happens to a batch before the loss, outside the gradient (the classifier's shifts: a new
   * tensor, disposed after the step); absent for the autoencoders, which train on the batch as is.
   */
  prepare?(images: tf.Tensor4D, step: number): tf.Tensor4D;
  /** The two inference passes timed on 10,000 images, with their names. */
  inference: [string, (images: tf.Tensor4D) => tf.Tensor][];
  dispose(): void;
}

function buildSubject(model: BenchModel): BenchSubject {
  if (model === "classifier") {
    const c = buildClassifier({
      seed: CLASSIFIER_TRAINING.seed,
      convsPerBlock: CLASSIFIER_TRAINING.convsPerBlock,
    });
    return {
      forwardMacs: forwardMacs(c.model),
      variables: c.trainableVariables,
      loss: (x, y, step) => c.loss(x, y, step),
      prepare: (x, step) =>
        shiftImages(x, CLASSIFIER_TRAINING.shift, CLASSIFIER_TRAINING.seed, step),
      inference: [["features", (x) => c.features(x)], ["probabilities", (x) => c.probabilities(x)]],
      dispose: () => c.dispose(),
    };
  }
  const autoencoder = model === "vae-conv"
    ? buildVariational({ design: "conv", latentDim: 32, seed: 0 })
    : model === "vae-mlp"
    ? buildVariational({ design: "mlp", latentDim: 20, seed: 0 })
    : buildModel({ kind: model, seed: 0 });
  return {
    forwardMacs: forwardMacs(autoencoder.encoder) + forwardMacs(autoencoder.decoder),
    variables: autoencoder.trainableVariables,
    loss: (x, _y, step) => autoencoder.lossTerms(x, { step }).loss,
    inference: [
      ["encode", (x) => autoencoder.encode(x)],
      ["reconstruct", (x) => autoencoder.reconstruct(x)],
    ],
    dispose: () => autoencoder.dispose(),
  };
}

/** Training FLOPs per image, as the issue defines them: 3 x forward MACs x 2. */
export function trainingFlops(forwardMultiplyAdds: number): number {
  return 3 * forwardMultiplyAdds * 2;
}

const DEFAULT_BATCH = 128;
/** Timed steps at batch 128 (scaled by 128 / batch for other batches). */
const DEFAULT_STEPS: Record<BenchModel, number> = {
  vanilla: 600,
  multilayer: 300,
  convolutional: 40,
  variational: 40,
  "vae-conv": 40,
  "vae-mlp": 300,
  classifier: 20,
};
/** The PyTorch reference's names for the models it has. */
const TORCH_NAMES: Partial<Record<BenchModel, string>> = {
  vanilla: "vanilla",
  multilayer: "deep",
  convolutional: "conv",
  variational: "vae",
};

/** Peak resident memory of this process so far (VmHWM, bytes); undefined without /proc. */
export function peakResidentBytes(): number | undefined {
  try {
    const status = Deno.readTextFileSync("/proc/self/status");
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** One measured (model, path) pair. */
export interface BenchRow {
  /** The model (`BENCH_MODELS`). */
  model: BenchModel;
  /** "blas", "wasm", "cpu" (tfjs) or "pytorch". */
  path: string;
  /** Training images per second (the median over `--repeats` runs). */
  imagesPerSecond: number;
  /** Training images per second of every run, in run order (with `--repeats` above 1). */
  samples?: number[];
  /** Achieved training GFLOP/s (3 x forward MACs x 2 per image). */
  gflops: number;
  /** GFLOP/s divided by the sgemm roof: the highest sgemm rate measured in this run. */
  fractionOfSgemm: number;
  /** Timed training steps (tfjs) or images / 128 (PyTorch). */
  steps: number;
  /** Images per training step (absent in reports before --batch: 128). */
  batchSize?: number;
  /** Forward multiply-accumulates per image. */
  forwardMacs?: number;
  /** Mean loss over the timed steps (tfjs only). */
  meanLoss?: number;
  /** Seconds to encode 10,000 images (the classifier: their features; tfjs only). */
  encodeSeconds?: number;
  /**
   * Seconds to reconstruct (encode + decode) 10,000 images (the classifier: their class
   * probabilities; tfjs only).
   */
  reconstructSeconds?: number;
  /** tfjs kernel calls per training step (measured on one step with tf.profile). */
  kernelsPerStep?: number;
  /** Milliseconds per training step / kernels per step. */
  msPerKernel?: number;
  /** With --profile: ms per step by kernel name (tf.profile) and by phase of our kernels. */
  profile?: StepProfile;
}

/** Where one training step's time goes (averaged over a few profiled steps). */
export interface StepProfile {
  /** Wall ms per profiled step (tf.profile adds a little overhead). */
  stepMs: number;
  /** ms per step inside each tfjs kernel, by name (ours and tfjs's own). */
  kernelMs: Record<string, number>;
  /** Kernel calls per step, by name. */
  kernelCalls: Record<string, number>;
  /** ms per step in each phase of the OpenBLAS kernels (im2col, gemm, col2im, epilogue). */
  phaseMs: Record<string, number>;
}

async function profileSteps(trainStep: () => number, steps: number): Promise<StepProfile> {
  for (const k of Object.keys(blasPhaseMs)) delete blasPhaseMs[k];
  const kernelMs: Record<string, number> = {};
  const kernelCalls: Record<string, number> = {};
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) {
    const info = await tf.profile(() => {
      trainStep();
    });
    for (const k of info.kernels) {
      kernelMs[k.name] = (kernelMs[k.name] ?? 0) + (k.kernelTimeMs as number) / steps;
      kernelCalls[k.name] = (kernelCalls[k.name] ?? 0) + 1 / steps;
    }
  }
  const stepMs = (performance.now() - t0) / steps;
  const phaseMs: Record<string, number> = {};
  for (const [k, v] of Object.entries(blasPhaseMs)) phaseMs[k] = v / steps;
  return { stepMs, kernelMs, kernelCalls, phaseMs };
}

function profileText(p: StepProfile): string {
  const total = Object.values(p.kernelMs).reduce((a, b) => a + b, 0);
  const lines = [
    `  step ${fmt(p.stepMs, 2)} ms; in kernels ${fmt(total, 2)} ms; outside (dispatch, ` +
    `tape, optimizer) ${fmt(p.stepMs - total, 2)} ms`,
  ];
  const byTime = Object.entries(p.kernelMs).sort((a, b) => b[1] - a[1]);
  for (const [name, ms] of byTime) {
    lines.push(`    ${name.padEnd(24)} ${fmt(ms, 3).padStart(8)} ms  x${p.kernelCalls[name]}`);
  }
  const phases = Object.entries(p.phaseMs).sort((a, b) => b[1] - a[1]);
  lines.push(`  phases: ${phases.map(([k, v]) => `${k} ${fmt(v, 2)}`).join(", ")} ms`);
  return lines.join("\n");
}

function randomImages(count: number, seed: number): tf.Tensor4D {
  const random = createRandom(seed);
  const levels = Uint8Array.from(
    { length: count * IMAGE_PIXELS },
    () => Math.floor(random() * (MAX_GREY_LEVEL + 1)),
  );
  return tf.tensor4d(greyToUnit(levels), [count, IMAGE_SIZE, IMAGE_SIZE, 1]);
}

async function benchTfjs(
  model: BenchModel,
  path: BackendName,
  options: { steps: number; batchSize: number; profile?: boolean; inference?: boolean },
): Promise<BenchRow> {
  const { steps, batchSize } = options;
  await initBackend({ backend: path });
  const subject = buildSubject(model);
  const optimizer = createOptimizer({ learningRate: 1e-3 });
  const batches = [randomImages(batchSize, 1), randomImages(batchSize, 2)];
  const labels = tf.tensor1d(
    Int32Array.from({ length: batchSize }, (_, i) => (i * 7) % 10),
    "int32",
  );
  let step = 0;
  const trainStep = (): number => {
    const s = step++;
    const batch = batches[s % batches.length];
    const x = subject.prepare ? subject.prepare(batch, s) : batch;
    const loss = optimizer.minimize(
      () => subject.loss(x, labels, s),
      true,
      subject.variables,
    ) as tf.Scalar;
    const value = loss.dataSync()[0];
    loss.dispose();
    if (x !== batch) x.dispose();
    return value;
  };
  const warmup = Math.max(3, Math.ceil(steps / 10));
  for (let i = 0; i < warmup; i++) trainStep();
  let lossSum = 0;
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) lossSum += trainStep();
  const seconds = (performance.now() - t0) / 1000;
  const oneStep = await tf.profile(() => {
    trainStep();
  });
  const kernelsPerStep = oneStep.kernels.length;
  const stepProfile = options.profile ? await profileSteps(trainStep, 5) : undefined;

  const inferenceSeconds: number[] = [];
  if (options.inference ?? true) {
    const test = randomImages(10_000, 3);
    for (const [, pass] of subject.inference) {
      const started = performance.now();
      const out = pass(test);
      out.dataSync();
      inferenceSeconds.push((performance.now() - started) / 1000);
      out.dispose();
    }
    test.dispose();
  }
  tf.dispose([...batches, labels]);
  const macs = subject.forwardMacs;
  subject.dispose();
  optimizer.dispose();

  const imagesPerSecond = (steps * batchSize) / seconds;
  const gflops = (imagesPerSecond * trainingFlops(macs)) / 1e9;
  return {
    model,
    path,
    imagesPerSecond,
    gflops,
    fractionOfSgemm: NaN, // set by main() once the roof is known
    steps,
    batchSize,
    forwardMacs: macs,
    meanLoss: lossSum / steps,
    ...(inferenceSeconds.length === 2
      ? { encodeSeconds: inferenceSeconds[0], reconstructSeconds: inferenceSeconds[1] }
      : {}),
    kernelsPerStep,
    msPerKernel: (seconds * 1000) / steps / kernelsPerStep,
    ...(stepProfile ? { profile: stepProfile } : {}),
  };
}

/**
 * The run with the median images/s (the lower middle one for an even count), with every run's
 * images/s as `samples` when there was more than one.
 */
export function medianRow(runs: BenchRow[]): BenchRow {
  if (runs.length === 0) throw new Error("medianRow: no runs.");
  const sorted = [...runs].sort((a, b) => a.imagesPerSecond - b.imagesPerSecond);
  const median = sorted[Math.floor((sorted.length - 1) / 2)];
  return runs.length === 1 ? median : { ...median, samples: runs.map((r) => r.imagesPerSecond) };
}

/** Where the PyTorch reference lives: ../shared/reference relative to the project root. */
export function referenceScript(): string {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
  return join(root, "..", "shared", "reference", "torch_autoencoders.py");
}

async function benchTorch(
  kind: AutoencoderKind,
  images: number,
): Promise<BenchRow> {
  const script = referenceScript();
  const out = await Deno.makeTempFile({ suffix: ".json" });
  try {
    const command = new Deno.Command("/usr/bin/python3", {
      args: [
        script,
        TORCH_NAMES[kind]!,
        "--images",
        String(images),
        "--warmup-images",
        String(
          Math.max(DEFAULT_BATCH * 4, Math.round(images / 10 / DEFAULT_BATCH) * DEFAULT_BATCH),
        ),
        "--json",
        out,
      ],
      env: { LD_LIBRARY_PATH: "/usr/lib/x86_64-linux-gnu/openblas-openmp" },
      stdout: "piped",
      stderr: "piped",
    });
    const result = await command.output();
    if (!result.success) {
      throw new Error(
        `The PyTorch reference failed for ${kind} (exit ${result.code}): ` +
          `${new TextDecoder().decode(result.stderr).slice(-800)}\nInstall it with ` +
          `"bash tools/install_system_deps.sh --reference".`,
      );
    }
    const json = JSON.parse(await Deno.readTextFile(out)) as { images_per_s_mean: number };
    const imagesPerSecond = json.images_per_s_mean;
    const counted = buildModel({ kind, seed: 0 });
    const macs = forwardMacs(counted.model);
    counted.dispose();
    const gflops = (imagesPerSecond * trainingFlops(macs)) / 1e9;
    return {
      model: kind,
      path: "pytorch",
      imagesPerSecond,
      gflops,
      fractionOfSgemm: NaN, // set by main() once the roof is known
      steps: Math.ceil(images / DEFAULT_BATCH),
      batchSize: DEFAULT_BATCH,
      forwardMacs: macs,
    };
  } finally {
    await Deno.remove(out).catch(() => {});
  }
}

/** A number for the tables ("-" when missing or not finite). */
export function fmt(value: number | null | undefined, digits = 0): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "-";
  return formatNumber(value, { decimals: digits });
}

/** `text` as a whole number >= 1, or an error naming the flag it came from. */
export function wholeNumber(text: string, flag: string): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isInteger(value) || value < 1) {
    throw new Error(`${flag} must be a whole number >= 1, got "${text}".`);
  }
  return value;
}

/** A comma-separated list of bench models, each checked against `BENCH_MODELS`. */
export function parseBenchModels(text: string): BenchModel[] {
  const models = text.split(",").map((m) => m.trim()) as BenchModel[];
  for (const m of models) {
    if (!BENCH_MODELS.includes(m)) {
      throw new Error(`Unknown model "${m}": use any of ${BENCH_MODELS.join(", ")}.`);
    }
  }
  return models;
}

function table(rows: BenchRow[]): string {
  const header = [
    "model",
    "path",
    "batch",
    "img/s",
    "GFLOP/s",
    "% sgemm",
    "vs torch",
    "encode 10k s",
    "recon 10k s",
    "kernels/step",
    "ms/kernel",
  ];
  const torch = new Map(rows.filter((r) => r.path === "pytorch").map((r) => [r.model, r]));
  const lines = rows.map((r) => [
    r.model,
    r.path,
    fmt(r.batchSize ?? DEFAULT_BATCH),
    fmt(r.imagesPerSecond),
    fmt(r.gflops, 1),
    fmt(r.fractionOfSgemm * 100, 1),
    torch.has(r.model) ? fmt(r.imagesPerSecond / torch.get(r.model)!.imagesPerSecond, 2) : "-",
    fmt(r.encodeSeconds, 2),
    fmt(r.reconstructSeconds, 2),
    fmt(r.kernelsPerStep),
    fmt(r.msPerKernel, 3),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const row = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [row(header), row(widths.map((w) => "-".repeat(w))), ...lines.map(row)].join("\n");
}

/** Runs the benchmark from command-line arguments. */
export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      json: { type: "boolean", default: false },
      reference: { type: "boolean", default: false },
      paths: { type: "string" },
      models: { type: "string", default: BENCH_MODELS.join(",") },
      batch: { type: "string", default: String(DEFAULT_BATCH) },
      steps: { type: "string" },
      "no-inference": { type: "boolean", default: false },
      profile: { type: "boolean", default: false },
      repeats: { type: "string", default: "1" },
      out: { type: "string" },
    },
  });
  const models = parseBenchModels(values.models);
  const batchSize = wholeNumber(values.batch, "--batch");
  const fixedSteps = values.steps === undefined ? undefined : wholeNumber(values.steps, "--steps");
  const repeats = wholeNumber(values.repeats, "--repeats");
  // The backend first: it routes this library's products, the roof's included, through the native
  // helpers' lock, so that changing the thread count for the roof never touches another worker's
  // products (tests run this in-process beside other training).
  const blas = loadBlas();
  if (blas) await initBackend({ backend: "blas" });
  const paths = (values.paths ?? (blas ? "blas,wasm" : "wasm")).split(",") as BackendName[];
  if (values.reference) {
    try {
      Deno.statSync(referenceScript());
    } catch {
      throw new Error(
        `--reference: the PyTorch reference is missing at ${referenceScript()} (expected ` +
          `../shared/reference/torch_autoencoders.py beside the project). Run without ` +
          `--reference, or put the reference there.`,
      );
    }
  }
  // The roof: the best 1024^3 sgemm rate with all cores and with one thread (one thread can win
  // when other processes keep the cores busy); then back to the thread count initBackend chose.
  // Measured at the start and again after every model: on a shared machine one measurement can
  // come out far low (247 instead of 387 GFLOP/s was seen), which would inflate "% sgemm"; the
  // roof is the highest of them all.
  let sgemmThreads = 0;
  const roofSamples: number[] = [];
  const measureRoof = (): number => {
    if (!blas) return NaN;
    const chosen = blas.threads;
    let best = NaN, bestThreads = 0;
    for (const threads of new Set([blas.maxThreads, 1])) {
      blas.setThreads(threads);
      const rate = measureSgemm(blas, { n: 1024, repeats: 5 });
      if (!(rate <= best)) [best, bestThreads] = [rate, threads];
    }
    blas.setThreads(chosen);
    if (!(best <= Math.max(...roofSamples))) sgemmThreads = bestThreads;
    roofSamples.push(best);
    return best;
  };
  const firstRoof = measureRoof();
  const log = (s: string) => {
    if (!values.json) console.log(s);
  };
  const loadAtStart = Deno.loadavg();
  log(`load average at the start: ${loadAtStart.map((v) => fmt(v, 2)).join(", ")} (2 cores)`);
  log(
    `sgemm (OpenBLAS via FFI, 1024^3, best of ${blas?.maxThreads ?? 0} and 1 threads: ` +
      `${sgemmThreads}): ${fmt(firstRoof, 1)} GFLOP/s` +
      (blas
        ? ` [${blas.path}; training kernels use ${blas.threads} threads]`
        : " [OpenBLAS not found]"),
  );
  const native = await loadNative();
  log(`native helpers: ${native?.path ?? nativeLoadError()}`);
  const rows: BenchRow[] = [];
  const infos: Record<string, BackendInfo> = {};
  for (const model of models) {
    // Each repeat runs every path and then PyTorch, so that all sides see the same load over
    // time; the row reported is each side's median run.
    const runs = new Map<string, BenchRow[]>();
    const add = (row: BenchRow) => runs.set(row.path, [...(runs.get(row.path) ?? []), row]);
    for (let r = 0; r < repeats; r++) {
      for (const path of paths) {
        const steps = fixedSteps ??
          Math.max(5, Math.round((DEFAULT_STEPS[model] * DEFAULT_BATCH) / batchSize));
        const info = await initBackend({ backend: path });
        infos[path] = info;
        const row = await benchTfjs(model, path, {
          steps,
          batchSize,
          profile: values.profile && r === 0,
          inference: !values["no-inference"],
        });
        if (info.name !== path) row.path = `${path}->${info.name}`;
        add(row);
        log(
          `${model} on ${row.path}: ${fmt(row.imagesPerSecond)} img/s, ${fmt(row.gflops, 1)} ` +
            `GFLOP/s, encode 10k ${fmt(row.encodeSeconds, 2)} s`,
        );
        if (row.profile) log(profileText(row.profile));
      }
      const torchKind = TORCH_NAMES[model] ? model as AutoencoderKind : undefined;
      if (values.reference && torchKind && batchSize === DEFAULT_BATCH) {
        const images = model === "convolutional" || model === "variational" ? 12_800 : 60_000;
        const row = await benchTorch(torchKind, images);
        add(row);
        log(`${model} on pytorch: ${fmt(row.imagesPerSecond)} img/s`);
      }
    }
    for (const samples of runs.values()) rows.push(medianRow(samples));
    measureRoof();
  }
  const sgemm = roofSamples.length > 0 ? Math.max(...roofSamples) : NaN; // NaN: no OpenBLAS
  for (const row of rows) row.fractionOfSgemm = row.gflops / sgemm;
  log(
    `sgemm roof: ${fmt(sgemm, 1)} GFLOP/s, the highest of ${roofSamples.length} measurements ` +
      `(${roofSamples.map((r) => fmt(r, 0)).join(", ")}); "% sgemm" divides by it`,
  );
  const result = {
    date: new Date().toISOString(),
    loadAverageAtStart: loadAtStart,
    loadAverage: Deno.loadavg(),
    sgemmGflops: sgemm,
    sgemmSamples: roofSamples,
    sgemmThreads,
    blasThreads: blas?.threads ?? null,
    blasLibrary: blas?.path ?? null,
    backends: infos,
    nativeLibrary: native?.path ?? null,
    blasKernelCalls,
    nativeKernelCalls,
    batchSize,
    peakResidentBytes: peakResidentBytes() ?? null,
    rows,
  };
  if (values.out) await writeJsonAtomic(values.out, result);
  if (values.json) console.log(JSON.stringify(result, null, 2));
  else {
    console.log("");
    console.log(table(rows));
    console.log(`load average at the end: ${Deno.loadavg().map((v) => fmt(v, 2)).join(", ")}`);
    const peak = peakResidentBytes();
    if (peak !== undefined) console.log(`peak resident memory: ${fmt(peak / 2 ** 20)} MiB`);
  }
}

if (import.meta.main) await main(Deno.args);
