/**
 * Notebook 06's generative steps (lib/notebook/study_vae.ts), the VAE sweep they read, and
 * notebook 05's seed replicates (lib/notebook/replicates.ts): every number and verdict in the
 * readings is checked against the fixture records they were written from.
 */
import assert from "node:assert/strict";
import type { TrialRecord } from "../lib/study/mod.ts";
import { codeSizeSweep, seedSpread, sweepDesign } from "../lib/study/mod.ts";
import {
  meetsCodeTarget,
  samplesTable,
  seedReading,
  seedTable,
  vaeReading,
  vaeRecords,
  vaeTable,
} from "../lib/notebook/mod.ts";

interface Vae {
  z: number;
  design?: "keras" | "conv" | "mlp";
  warmup?: number;
  freeBits?: number;
  beta?: number;
  rate: number;
  elbo: number;
  units: number;
  dead?: number;
  fd: number;
  interval?: [number, number];
}

function vae(v: Vae): TrialRecord {
  const design = v.design === "keras" ? undefined : v.design;
  const label = `variational${design ? `/${design}` : ""} z=${v.z}` +
    (v.warmup ? ` warm-up ${v.warmup}` : "") + (v.freeBits ? ` free bits ${v.freeBits}` : "") +
    (v.beta ? ` β=${v.beta}` : "");
  return {
    format: "kmnist-study-trial",
    version: 1,
    key: label,
    label,
    settings: {
      architecture: "variational",
      latentDim: v.z,
      ...(design ? { design } : {}),
      ...(v.warmup ? { warmupEpochs: v.warmup } : {}),
      ...(v.freeBits ? { freeBits: v.freeBits } : {}),
      ...(v.beta ? { beta: v.beta } : {}),
      validationSize: 5000,
      splitSeed: 0,
      knnK: 4,
      iwaeSamples: 100,
      iwaeImages: 500,
    },
    results: {
      parameters: 1000,
      testImages: 10000,
      mse: 0.03,
      knnAccuracy: 0.9,
      knnReferences: 55000,
      vae: {
        negativeElbo: v.elbo,
        distortion: v.elbo - v.rate,
        rate: v.rate,
        iwaeNll: v.elbo - 5,
        iwaeNllStandardError: 1,
        iwaeNegativeElbo: v.elbo + 3,
        iwaeNegativeElboStandardError: 0.5,
      },
      measures: 2,
      intervals: {
        knnAccuracy: { lower: 0.89, upper: 0.91 },
        negativeElbo: {
          lower: v.interval?.[0] ?? v.elbo - 1,
          upper: v.interval?.[1] ?? v.elbo + 1,
        },
      },
      latent: {
        activeUnits: v.units,
        dims: v.z,
        klPerDimension: Array(v.z).fill(v.rate / v.z),
        ...(v.dead !== undefined ? { deadBottleneckUnits: { dead: v.dead, units: 16 } } : {}),
      },
      generation: {
        source: "prior",
        samples: 10000,
        frechet: v.fd,
        floor: 2.5,
        classCounts: Array(10).fill(1000),
        classesCovered: 10,
        normalisedEntropy: 1,
        meanConfidence: 0.9,
      },
    },
    timing: { evaluationSeconds: 1, backend: "test" },
    source: "study",
    savedAt: "2026-12-04T00:00:00Z",
  };
}

const SWEEP = [2, 4, 8, 16, 32, 64].map((z, i) =>
  vae({
    z,
    design: "conv",
    rate: [4, 9, 14, 20, 26, 27][i],
    elbo: [260, 230, 215, 205, 200, 199][i],
    units: Math.min(z, [2, 4, 8, 14, 20, 22][i]),
    fd: 30 - i,
  })
);
const DESIGNS = [
  vae({ z: 32, design: "keras", rate: 0, elbo: 290, units: 0, dead: 16, fd: 80 }),
  vae({ z: 32, design: "keras", warmup: 5, rate: 9, elbo: 240, units: 6, dead: 10, fd: 60 }),
  vae({ z: 32, design: "mlp", rate: 25, elbo: 210, units: 18, fd: 40 }),
  vae({ z: 32, design: "conv", freeBits: 0.5, rate: 30, elbo: 200.5, units: 32, fd: 24.5 }),
];

Deno.test("the VAE sweep is the recommended design's plain trials: design trials at z=32 are not its points", () => {
  const records = [...DESIGNS, ...SWEEP];
  assert.equal(sweepDesign(records), "conv");
  const sweep = codeSizeSweep(records, "variational");
  assert.deepEqual(sweep.map((r) => r.label), SWEEP.map((r) => r.label));
  assert.deepEqual(vaeRecords(records).slice(0, 6), sweep);
  assert.equal(vaeRecords(records).length, 10);
});

Deno.test("vaeReading: targets, the cause, the best at z=32 and whether intervals separate it", () => {
  const text = vaeReading([...SWEEP, ...DESIGNS]).markdown;
  assert.match(text, /z=4 9\.0 nats, 4 of 4/);
  // z=4 carries 9.0 nats < 10: below the target; everything else meets it.
  assert.match(text, /Below the target .*: z=4\./);
  assert.equal(
    SWEEP.filter((r) => !meetsCodeTarget(r)).map((r) => r.settings.latentDim).join(),
    "4",
  );
  assert.match(text, /it falls at every step from z=2 to z=16/);
  assert.match(text, /no test image activates 16 of them \(plain\) and 10 of them \(warm-up 5\)/);
  // The conv plain trial (200.0, interval 199-201) and free bits (200.5, 199.5-201.5) overlap.
  assert.match(
    text,
    /Best likelihood at z=32:\*\* convolutional, no bottleneck, plain: −ELBO 200\.0 nats, against 200\.5/,
  );
  assert.match(text, /overlap: this run does not separate them/);
  assert.match(
    text,
    /lowest Fréchet distance is variational\/conv z=32 free bits 0\.5's \(prior samples\): 24\.5, against the training images' floor of 2\.5/,
  );
  const reference = vae({ z: 20, design: "mlp", rate: 25, elbo: 217.4, units: 20, fd: 50 });
  reference.settings.reference = true;
  reference.settings.validationSize = 0;
  const withReference = vaeReading([...SWEEP, ...DESIGNS, reference]).markdown;
  assert.match(
    withReference,
    /Against the reference MLP VAE\*\* \(z=20, trained the reference way\): −ELBO 217\.4 nats; the best z=32 VAE \(convolutional, no bottleneck, plain\) is 17\.4 nats lower, and their 95% intervals do not overlap\./,
  );
  assert.ok(
    !vaeRecords([reference, ...SWEEP]).slice(0, 6).includes(reference),
    "not a sweep point",
  );
  const apart = vaeReading([
    ...SWEEP.slice(0, 4),
    vae({ z: 32, design: "conv", rate: 26, elbo: 200, units: 20, fd: 25, interval: [199, 201] }),
    vae({ z: 32, design: "mlp", rate: 25, elbo: 210, units: 18, fd: 40, interval: [209, 211] }),
  ]).markdown;
  assert.match(apart, /do not overlap: a resolved difference/);
  assert.match(apart, /From z=4 up every size carries|Below the target/);
});

Deno.test("vaeTable and samplesTable: HTML rows with intervals, best Fréchet distance first", async () => {
  const table = vaeTable({ records: [...SWEEP, ...DESIGNS] }).html;
  assert.match(table, /convolutional, no bottleneck, plain, z=2/);
  assert.match(table, /keras-io \(16-unit layer\), warm-up 5, z=32/);
  assert.match(table, /200\.0 \[199\.0, 201\.0\]/);
  // The z=32 sweep trial: −ELBO 200 on all images; on the IWAE images −ELBO 203 ± 1.96 × 0.5 and
  // −IWAE 195 ± 1.96 × 1, each with its normal interval, in the columns that say so.
  assert.match(table, /−ELBO, IWAE images \[95%\]/);
  assert.match(table, /203\.0 \[202\.0, 204\.0\]/);
  assert.match(table, /195\.0 \[193\.0, 197\.0\]/);
  assert.match(table, /−ELBO of all the images/);
  const samples = (await samplesTable({ records: DESIGNS, settings: { quick: true } })).html;
  const order = [
    "variational/conv z=32 free bits",
    "variational/mlp z=32",
    "variational z=32 warm-up",
  ]
    .map((l) => samples.indexOf(l));
  assert.ok(order.every((p, i) => p > 0 && (i === 0 || p > order[i - 1])), String(order));
  assert.match(samples, /reduced study/);
  assert.throws(() => vaeTable({ records: [] }), /no finished VAE trials/);
});

function replicate(architecture: string, seed: number, mse: number): TrialRecord {
  const base = vae({ z: 32, design: "conv", rate: 26, elbo: 200 + seed, units: 20, fd: 25 + seed });
  const variational = architecture === "variational";
  return {
    ...base,
    key: `${architecture}${seed}`,
    label: `${architecture} z=32${seed ? ` seed ${seed}` : ""}`,
    settings: {
      ...base.settings,
      architecture: architecture as TrialRecord["settings"]["architecture"],
      seed,
      ...(variational ? {} : { design: undefined }),
      ...(seed ? { replicate: true as const } : {}),
    },
    results: { ...base.results, mse, ...(variational ? {} : { vae: undefined }) },
  };
}

Deno.test("seed replicates: mean ± sd per architecture, and a difference only where every seed is apart", () => {
  const records = [
    ...SWEEP,
    ...[0, 1, 2].map((s) => replicate("vanilla", s, [0.039, 0.040, 0.041][s])),
    ...[0, 1, 2].map((s) => replicate("convolutional", s, [0.021, 0.022, 0.023][s])),
    ...[0, 1, 2].map((s) => replicate("multilayer", s, [0.036, 0.040, 0.037][s])),
  ].filter((r) => !(r.settings.architecture === "variational" && r.settings.latentDim === 32));
  // The variational sweep's z=32 trial is replaced by its replicates below.
  records.push(...[0, 1, 2].map((s) => replicate("variational", s, [0.03, 0.031, 0.032][s])));
  const rows = seedSpread(records);
  assert.deepEqual(rows.map((r) => r.architecture), [
    "vanilla",
    "multilayer",
    "convolutional",
    "variational",
  ]);
  const vanilla = rows[0];
  assert.deepEqual(vanilla.seeds, [0, 1, 2]);
  assert.ok(
    Math.abs(vanilla.mse!.mean - 0.04) < 1e-12 && Math.abs(vanilla.mse!.sd - 0.001) < 1e-12,
  );
  assert.equal(rows[3].negativeElbo!.mean, 201);
  assert.equal(codeSizeSweep(records, "vanilla").length, 1, "replicates are not sweep points");
  const text = seedReading({ records, rows }).markdown;
  assert.match(
    text,
    /convolutional against variational:\*\* mean test MSE 0\.0220 against 0\.0310; every seed of convolutional is below/,
  );
  assert.match(
    text,
    /multilayer against vanilla:\*\* .*their seeds overlap: no difference is claimed/,
  );
  const table = seedTable({ records, rows }).html;
  assert.match(table, /0\.0400 ± 0\.0010/);
});
