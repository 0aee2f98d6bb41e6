/**
 * The design study's engine without processes: the grid, trial keys, shards (flags, Slurm,
 * Kubernetes), bad settings, and the checks on a record folder (corrupt, foreign, misnamed).
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import {
  canonicalJson,
  loadTrialRecords,
  parseShard,
  resolveShard,
  saveTrialRecord,
  shardTrials,
  studyGrid,
  type StudySettings,
  studySettings,
  trialKey,
  trialLabel,
} from "../lib/study/mod.ts";

Deno.test("the full grid: 4 architectures and PCA at 6 code sizes, pixels, 2 more β, 4 designs × 3 options, 2 seeds", async () => {
  const grid = studyGrid(studySettings());
  // The design comparison at z = 32 lists the recommended design's plain trial once (it is the
  // sweep's); then the reference MLP VAE; the four autoencoders at z = 32 again with seeds 1 and 2
  // last.
  assert.equal(grid.length, 1 + 6 + 4 * 6 + 2 + (4 * 3 - 1) + 1 + 2 * 4);
  const reference = grid.at(-9)!;
  assert.equal(trialLabel(reference), "variational/mlp z=20 reference");
  assert.equal(reference.validationSize, 0, "trained on all 60,000 images, the reference way");
  assert.equal(reference.epochs, 10);
  assert.equal(
    studyGrid({ ...studySettings(), trainImages: 3000 }).filter((t) => t.reference).length,
    0,
    "a reduced study never trains the 60,000-image reference",
  );
  const labels = grid.map(trialLabel);
  assert.equal(new Set(labels).size, grid.length);
  assert.ok(labels.includes("variational/conv-dense z=32 β=0.5") && labels.includes("pca z=64"));
  assert.equal(labels.filter((l) => l === "variational/conv-dense z=32").length, 1);
  for (
    const l of [
      "variational z=32",
      "variational z=32 warm-up 5",
      "variational/mlp z=32",
      "variational/conv z=32",
      "variational/conv z=32 free bits 0.5",
      "variational/conv-dense z=32 free bits 0.5",
    ]
  ) {
    assert.ok(labels.includes(l), l);
  }
  assert.ok(
    labels.includes("variational/conv-dense z=2") && labels.includes("variational/conv-dense z=64"),
  );
  assert.ok(!labels.includes("variational/conv z=2"), "the sweep is the recommended design's");
  assert.deepEqual(labels.slice(-8), [
    "vanilla z=32 seed 1",
    "multilayer z=32 seed 1",
    "convolutional z=32 seed 1",
    "variational/conv-dense z=32 seed 1",
    "vanilla z=32 seed 2",
    "multilayer z=32 seed 2",
    "convolutional z=32 seed 2",
    "variational/conv-dense z=32 seed 2",
  ]);
  assert.ok(grid.slice(-8).every((t) => t.replicate === true && t.seed !== 0));
  assert.ok(
    grid.slice(0, -9).every((t) => !("replicate" in t) && !("reference" in t)),
    "no other trial changes its key",
  );
  const keys = await Promise.all(grid.map(trialKey));
  assert.equal(new Set(keys).size, grid.length);
  // The key depends on the settings' values, not on the order of their fields.
  const first = grid[3];
  const reordered = Object.fromEntries(Object.entries(first).reverse()) as typeof first;
  assert.equal(await trialKey(reordered), await trialKey(first));
  assert.notEqual(await trialKey({ ...first, seed: 1 }), await trialKey(first));
  assert.equal(canonicalJson({ b: 1, a: [2, { d: 3, c: undefined }] }), '{"a":[2,{"d":3}],"b":1}');
});

Deno.test("new VAE settings at their defaults stay out of the keys: earlier records keep theirs", async () => {
  // Keys of the grid before the designs existed (the keras VAE), copied from that version.
  const keras32 = "a7d788e21432d5d1", keras2 = "0b9621dbfdb699c0", beta05 = "0fcbfa25809a750f";
  const grid = studyGrid(studySettings());
  const byLabel = new Map(
    await Promise.all(grid.map(async (t) => [trialLabel(t), await trialKey(t)] as const)),
  );
  assert.equal(byLabel.get("variational z=32"), keras32);
  // An earlier settings file (no vaeDesign, no design comparison) gives the earlier grid.
  const {
    vaeDesign: _d,
    designCodeSize: _c,
    designs: _ds,
    vaeOptions: _o,
    warmupEpochs: _w,
    freeBits: _f,
    seeds: _s,
    seedCodeSize: _sc,
    referenceVae: _r,
    ...earlier
  } = studySettings();
  const old = studyGrid({ ...earlier, betas: [0.25, 0.5, 1, 2, 4] });
  const oldKeys = await Promise.all(old.map(trialKey));
  for (const key of [keras32, keras2, beta05]) assert.ok(oldKeys.includes(key), key);
  assert.equal(old.length, 35);
  for (const t of old) {
    assert.ok(!("design" in t) && !("warmupEpochs" in t) && !("freeBits" in t), trialLabel(t));
  }
  // The new fields enter the key only when they differ from the default.
  const conv = grid.find((t) => trialLabel(t) === "variational/conv z=32")!;
  assert.equal(conv.design, "conv");
  assert.notEqual(await trialKey(conv), keras32);
});

Deno.test("bad VAE settings of the study are refused by name", () => {
  const base = studySettings();
  const bad = (change: Record<string, unknown>) => () =>
    studyGrid({ ...base, ...change } as StudySettings);
  assert.throws(bad({ vaeDesign: "vgg" }), /Unknown VAE design "vgg" in the study's vaeDesign/);
  assert.throws(bad({ designs: ["conv", "x"] }), /Unknown VAE design "x" in the study's designs/);
  assert.throws(bad({ vaeOptions: ["dropout"] }), /Unknown VAE option "dropout"/);
  assert.throws(bad({ warmupEpochs: 0 }), /warmupEpochs is 0: it must be a positive number/);
  assert.throws(bad({ freeBits: -1 }), /freeBits is -1: it must be a positive number/);
  assert.throws(bad({ designCodeSize: 0 }), /Unknown code size 0 in the study's designCodeSize/);
  assert.throws(bad({ seeds: [0] }), /Seed 0 in the study's seeds: .* other than the study's own/);
  assert.throws(bad({ seeds: [1.5] }), /Seed 1\.5 in the study's seeds/);
});

Deno.test("shards partition the grid; --shard, Slurm and Kubernetes give the same shard", () => {
  const grid = studyGrid(studySettings());
  for (const count of [1, 2, 3, 8]) {
    const parts = Array.from({ length: count }, (_, index) => shardTrials(grid, { index, count }));
    const all = parts.flat().map(canonicalJson).sort();
    assert.deepEqual(all, grid.map(canonicalJson).sort(), `${count} shards cover the grid once`);
    if (count === 2) {
      // Dealt by expected cost: each of two shards gets half of the 8 convolutional trials.
      const conv = parts.map((p) => p.filter((t) => t.architecture === "convolutional").length);
      assert.deepEqual(conv, [4, 4]);
    }
  }
  assert.deepEqual(parseShard("1/4"), { index: 1, count: 4 });
  assert.deepEqual(resolveShard(undefined, {}), { index: 0, count: 1 });
  assert.deepEqual(
    resolveShard(undefined, { SLURM_ARRAY_TASK_ID: "5", SLURM_ARRAY_TASK_COUNT: "8" }),
    { index: 5, count: 8 },
  );
  assert.deepEqual(
    resolveShard(undefined, {
      SLURM_ARRAY_TASK_ID: "3",
      SLURM_ARRAY_TASK_MIN: "1",
      SLURM_ARRAY_TASK_COUNT: "4",
    }),
    { index: 2, count: 4 },
  );
  assert.deepEqual(
    resolveShard(undefined, { JOB_COMPLETION_INDEX: "2", KMNIST_STUDY_SHARDS: "3" }),
    { index: 2, count: 3 },
  );
  assert.deepEqual(resolveShard("0/2", { JOB_COMPLETION_INDEX: "1", KMNIST_STUDY_SHARDS: "2" }), {
    index: 0,
    count: 2,
  });
});

Deno.test("bad shards are refused with the fix", () => {
  assert.throws(() => parseShard("3/2"), /Shard 3\/2 .*index must be an integer in 0\.\.1/);
  assert.throws(() => parseShard("0/0"), /Shard 0\/0 .*count must be an integer of at least 1/);
  assert.throws(() => parseShard("two"), /not of the form I\/N: use e\.g\. --shard 0\/2/);
  assert.throws(
    () => resolveShard(undefined, { JOB_COMPLETION_INDEX: "1" }),
    /KMNIST_STUDY_SHARDS is not: set it in the Job's environment/,
  );
  assert.throws(
    () => resolveShard(undefined, { SLURM_ARRAY_TASK_ID: "9", SLURM_ARRAY_TASK_COUNT: "8" }),
    /index must be an integer in 0\.\.7/,
  );
});

Deno.test("unknown architectures, code sizes and β in the settings are refused, naming them", () => {
  const base = studySettings({ quick: true });
  const bad = (change: Partial<StudySettings>) => () => studyGrid({ ...base, ...change });
  assert.throws(
    bad({ architectures: ["conv" as StudySettings["architectures"][0]] }),
    /Unknown architecture "conv" in the study's architectures: use vanilla, multilayer, convolutional, variational, pca/,
  );
  assert.throws(bad({ codeSizes: [2, 1000] }), /Unknown code size 1000 in the study's codeSizes/);
  assert.throws(bad({ codeSizes: [2.5] }), /Unknown code size 2\.5/);
  assert.throws(bad({ codeSizes: [] }), /codeSizes must be a non-empty list/);
  assert.throws(bad({ betas: [1, -2] }), /β -2 \(betas\) is -2: it must be a positive number/);
  assert.throws(bad({ betaCodeSize: 0 }), /Unknown code size 0 in the study's betaCodeSize/);
  assert.throws(bad({ epochs: 0 }), /epochs is 0: it must be a positive integer/);
});

Deno.test("a record folder with a corrupt, foreign or misnamed record is refused, naming the file", async () => {
  const directory = await Deno.makeTempDir({ prefix: "study_records_" });
  try {
    const trial = studyGrid(studySettings({ quick: true }))[1];
    const record = await saveTrialRecord(directory, {
      settings: trial,
      results: { parameters: 1, testImages: 1, knnAccuracy: 0.5, knnReferences: 1 },
      timing: { evaluationSeconds: 1, backend: "cpu" },
      source: "study",
    });
    assert.equal(record.key, await trialKey(trial));
    // A temporary file of an interrupted atomic write is ignored.
    await Deno.writeTextFile(path.join(directory, `.${record.key}.json.0123abcd.tmp`), "{");
    const loaded = await loadTrialRecords(directory);
    assert.deepEqual(loaded.get(record.key), record);

    const corrupt = path.join(directory, "0000000000000000.json");
    await Deno.writeTextFile(corrupt, '{"format": "kmnist-study-tri');
    await assert.rejects(
      loadTrialRecords(directory),
      /0000000000000000\.json is corrupt \(not JSON.*delete it and run the study again/,
    );
    await Deno.writeTextFile(corrupt, JSON.stringify({ format: "kmnist-experiment" }));
    await assert.rejects(
      loadTrialRecords(directory),
      /is not a study trial record \(format "kmnist-experiment"\).*move that file out/,
    );
    await Deno.remove(corrupt);
    // The same record under another name (or edited settings) does not hash to its name.
    await Deno.writeTextFile(corrupt, JSON.stringify(record));
    await assert.rejects(
      loadTrialRecords(directory),
      /its settings hash to [0-9a-f]{16}, but it is named 0000000000000000/,
    );
    await Deno.remove(corrupt);
    await Deno.writeTextFile(path.join(directory, "notes.txt"), "hello");
    await assert.rejects(loadTrialRecords(directory), /notes\.txt is not a study trial record/);
  } finally {
    await Deno.remove(directory, { recursive: true });
  }
});
