/**
 * Writes the five study notebooks (notebooks/01_vanilla.ipynb ... 05_comparison.ipynb) from the
 * cell texts below. The .ipynb files are the source of truth users open and run; this script is
 * how their cells were written, kept so that a change to the shared narrative reaches all four.
 *
 *     npx -y deno@2.9.6 run -A tools/make_notebooks.ts            # writes changed notebooks only
 *     npx -y deno@2.9.6 run -A tools/make_notebooks.ts --check    # exit 1 if a notebook differs
 *
 * A notebook whose cell sources are unchanged is left alone (it keeps its outputs). A notebook
 * whose sources changed is rewritten without outputs; if it had outputs, that needs --force
 * (then re-run it: `deno task report`).
 *
 * @module
 */
import { join } from "node:path";
import { PROJECT_ROOT, writeTextAtomically } from "./install_kernel.ts";

/** A cell as written here: markdown or code text. */
export type CellText = { md: string } | { code: string };

/** One notebook to write. */
export interface NotebookText {
  /** File name in notebooks/. */
  file: string;
  /** Cells in order. */
  cells: CellText[];
}

const md = (text: string): CellText => ({ md: text.trim() });
const code = (text: string): CellText => ({ code: text.trim() });

const IMPORTS = `import { initBackend } from "@kmnist/tfjs-blas";
import { buildModel } from "../lib/models/mod.ts";
import { train } from "../lib/train/mod.ts";
import { evaluate } from "../lib/metrics/mod.ts";
import {
  classBars,
  historyCurves,
  imageGrid,
  latentScatter,
  metricsTable,
} from "../lib/plot/mod.ts";
import * as ex from "../lib/experiments.ts";`;

interface ExperimentText {
  file: string;
  name: "vanilla" | "multilayer" | "convolutional" | "variational";
  title: string;
  intro: string;
  architecture: string;
  lossLabel: string;
  curves: string;
  curvesText: string;
  reconstructionText: string;
  latentText: string;
  extra: CellText[];
  conclusion: string;
}

function experimentNotebook(e: ExperimentText): NotebookText {
  return {
    file: e.file,
    cells: [
      md(`# ${e.title}\n\n${e.intro.trim()}`),
      md(`## Setup

The library does the work; every setting of the run (epochs, batch size, validation split, seeds,
run folder) comes from \`lib/experiments.ts\`, so the four notebooks are trained the same way.
With \`KMNIST_QUICK=1\` the notebook runs in quick mode (a few thousand images, one epoch): a smoke
test of the code, not a result.`),
      code(`${IMPORTS}

const backend = await initBackend();
const settings = ex.experimentSettings("${e.name}");
const data = await ex.loadExperimentData(settings);
console.log(ex.describeExperiment(settings, data));
console.log(\`tfjs backend: \${backend.name}\${backend.blas ? " (OpenBLAS kernels)" : ""}\`);`),
      md(`## The data

Kuzushiji-MNIST: 28×28 grey images of ten hiragana written in classical cursive (*kuzushiji*),
from pre-modern Japanese books. Below, the first three training images of each class with the
modern character and its reading. The same character can look very different from one writer to
the next, which is what makes this harder than MNIST digits.`),
      code(`const examples = ex.examplesPerClass(data.train, 3);
imageGrid({
  title: "Training images, three per class",
  rows: examples.map((indices, k) => ({
    title: \`#\${k + 1}\`,
    images: ex.imagesAsFloats(data.train, indices),
    captions: k === examples.length - 1 ? ex.classCaptions() : undefined,
  })),
});`),
      md(`## The architecture\n\n${e.architecture.trim()}`),
      code(`const model = buildModel({
  kind: settings.kind,
  latentDim: settings.latentDim,
  seed: settings.seed,
});
console.log(model.summary());
console.log(\`\${model.countParams().toLocaleString("en-US")} trainable parameters\`);`),
      md(`## Training

Adam on mini-batches; the validation loss after each epoch is measured on the 5,000 held-out
training images (never the test set). The progress display below updates live while training
runs; a checkpoint is written to the run folder after every epoch.`),
      code(`const result = await train(model, {
  train: data.train,
  validation: data.validation,
  epochs: settings.epochs,
  batchSize: settings.batchSize,
  learningRate: settings.learningRate,
  seed: settings.seed,
  checkpointDirectory: settings.runDirectory,
});
console.log(
  \`\${result.history.length} epochs in \${result.wallSeconds.toFixed(1)} s, \` +
    \`\${Math.round(result.imagesPerSecond)} images/s\`,
);`),
      md(`## Learning curves\n\n${e.curvesText.trim()}`),
      code(e.curves),
      md(`## Reconstructions of test images\n\n${e.reconstructionText.trim()}`),
      code(`const shown = ex.sampleIndices(data.test.count, 12, 1);
imageGrid({
  title: "Test images and their reconstructions",
  rows: [
    { title: "original", images: ex.imagesAsFloats(data.test, shown) },
    { title: "reconstruction", images: ex.reconstructImages(model, data.test, shown) },
  ],
  difference: true,
});`),
      md(`## The latent space\n\n${e.latentText.trim()}`),
      code(
        `const probe = ex.encodeImages(model, data.test, ex.sampleIndices(data.test.count, 3000, 2));
latentScatter({
  codes: probe.codes,
  labels: probe.labels,
  dims: probe.dim,
  title: "Test codes by class",
});`,
      ),
      md(`## Test metrics

All on the test images, which played no part in training or model selection: mean squared error
and binary cross-entropy per pixel, PSNR (dB, per image then averaged), SSIM, and the accuracy of
a 4-nearest-neighbour classifier on the latent codes (training codes as references): how much of
the class survives in the code, compared with 92.1% for 4-NN on raw pixels (KMNIST paper). The
record is saved to \`metrics.json\` in the run folder for the later notebooks and the report.`),
      code(`const evaluation = evaluate(model, {
  test: data.test,
  train: data.train,
  knnK: settings.knnK,
  iwaeSamples: settings.iwaeSamples,
  iwaeImages: settings.iwaeImages,
  seed: settings.seed,
});
${
        e.extra.length > 0 && e.name === "convolutional"
          ? "let record = await ex.saveExperimentRecord(settings, { result, evaluation, backend: backend.name });"
          : "const record = await ex.saveExperimentRecord(settings, { result, evaluation, backend: backend.name });"
      }
const row = ex.comparisonRow(record);
metricsTable({ title: "Test metrics", columns: ex.columnsWithValues([row]), rows: [row] });`),
      md(`## Error per class

Mean test MSE for each character: which shapes the model finds hard to squeeze through its
code.`),
      code(`classBars({
  title: "Test MSE per class",
  series: [{ name: "MSE", values: evaluation.perClass.map((c) => c.mse) }],
  yLabel: "MSE per pixel",
});`),
      ...e.extra,
      md(`## Conclusion\n\n${e.conclusion.trim()}

The comparison below is computed from the saved records of the notebooks run so far (all on the
same test images), so it always states the numbers of the latest runs.`),
      code(`const previous = await ex.previousRecords(settings.name);
model.dispose();
console.log(ex.compareWithPrevious(record, previous));`),
    ],
  };
}

const MSE_CURVES = `historyCurves(result.history, {
  title: "Mean squared error per pixel",
  xLabel: "epoch",
  yLabel: "MSE",
  markers: true,
});`;

const MSE_CURVES_TEXT =
  `Training loss (mean over each epoch's batches, while the weights move) and validation loss
(after the epoch). Both falling together means the model is still learning general structure; a
validation curve that flattens or rises while training keeps falling would mean overfitting.`;

const VANILLA: ExperimentText = {
  file: "01_vanilla.ipynb",
  name: "vanilla",
  title: "1. A vanilla autoencoder on Kuzushiji-MNIST",
  intro: `An autoencoder learns to copy its input through a narrow code: an *encoder* maps each
784-pixel image to a few numbers, a *decoder* maps them back to an image, and training minimises the
difference between the input and the output. Because the code is much smaller than the image, the
model has to keep what matters about the shapes and drop the rest.

This notebook trains the simplest one, a single dense layer each way, on Kuzushiji-MNIST (KMNIST,
Clanuwat et al., 2018). It is the baseline for the next three notebooks: a deeper dense model, a
convolutional one and a variational one.`,
  architecture:
    `Encoder: the 784 pixels → one dense layer of 32 units (ReLU). Decoder: 32 → 784 with
a sigmoid, so outputs are grey levels in [0, 1]. The loss is the mean squared error per pixel.
With 32 numbers for 784 pixels the code compresses about 25 times.`,
  lossLabel: "MSE",
  curves: MSE_CURVES,
  curvesText: MSE_CURVES_TEXT,
  reconstructionText:
    `Twelve test images (top), the model's reconstructions (middle) and the absolute
difference (bottom). Look at where the differences sit: thin strokes and the fine ends of brush
lines are what a small dense code loses first, while the overall layout of the character survives.`,
  latentText: `The 32-dimensional codes of 3,000 test images, projected on their first two principal
components and coloured by class. The autoencoder never saw the labels: any grouping by class here
is structure it found by itself to reconstruct the images.`,
  extra: [],
  conclusion: `The vanilla autoencoder sets the bar: one dense layer each way already keeps the
layout of each character, while blurring thin strokes. Its test MSE, SSIM and k-NN accuracy are the
reference that the next notebooks compare against.`,
};

const MULTILAYER: ExperimentText = {
  file: "02_multilayer.ipynb",
  name: "multilayer",
  title: "2. A multilayer autoencoder on Kuzushiji-MNIST",
  intro:
    `The vanilla autoencoder (notebook 1) maps pixels to the code with one dense layer. Here the
encoder and the decoder each get two hidden layers, so the mapping between images and codes can be
non-linear in several stages, with the same 32-number code. The question: does depth buy better
reconstructions and a more informative code for the same code size?`,
  architecture: `Encoder: 784 → 256 → 128 → 32, decoder: 32 → 128 → 256 → 784, ReLU everywhere
except the sigmoid output. Same loss (MSE per pixel) and same code size as the vanilla model, so any
difference comes from the depth of the mapping.`,
  lossLabel: "MSE",
  curves: MSE_CURVES,
  curvesText: MSE_CURVES_TEXT,
  reconstructionText: `The same twelve test images as in notebook 1 (the same seeded choice), so the
rows can be compared by eye with the vanilla model's.`,
  latentText: `Codes of 3,000 test images, first two principal components, coloured by class (labels
were not used in training). Compare the separation of the classes with notebook 1's plot and with
the k-NN accuracy in the table below.`,
  extra: [],
  conclusion: `Depth changes how the 32 code numbers are used: compare this model's test error and
k-NN accuracy with the vanilla baseline below, and weigh them against its parameter count and
training time per epoch.`,
};

const CONVOLUTIONAL: ExperimentText = {
  file: "03_convolutional.ipynb",
  name: "convolutional",
  title: "3. A convolutional autoencoder on Kuzushiji-MNIST",
  intro:
    `Dense layers treat the 784 pixels as an unordered list: a stroke shifted by one pixel looks
like a different input. Convolutions share small filters across the image, so the encoder sees local
brush strokes wherever they are, and the decoder paints with the same kind of local patterns. This
notebook trains a convolutional autoencoder with the same 32-number code, and then uses the same
architecture as a *denoising* autoencoder.`,
  architecture: `Encoder: two 3×3 convolutions with stride 2 (32 then 64 filters, ReLU; 28×28 →
14×14 → 7×7), flattened to 3,136 features, then a linear dense layer to the 32-number code.
Decoder: a dense layer back to 7×7×64 (ReLU), two 3×3 transposed convolutions with stride 2 (64
then 32 filters, ReLU; 7×7 → 14×14 → 28×28), and a last 3×3 convolution to one channel with a
sigmoid. Loss: MSE per pixel, as before.`,
  lossLabel: "MSE",
  curves: MSE_CURVES,
  curvesText: MSE_CURVES_TEXT,
  reconstructionText: `The same twelve test images as in notebooks 1 and 2. Look at thin strokes and
stroke ends, which the dense models blurred.`,
  latentText: `Codes of 3,000 test images (first two principal components), coloured by class.`,
  extra: [
    md(`## Denoising

A denoising autoencoder is trained on corrupted inputs to output the *clean* image, so it has to
learn what a plausible character looks like rather than copy pixels. Here the inputs get Gaussian
noise (standard deviation 0.3 of the pixel range, clipped to [0, 1]), drawn afresh for every batch
from a seeded stream. Same architecture, same schedule.`),
    code(`const denoiser = buildModel({
  kind: settings.kind,
  latentDim: settings.latentDim,
  seed: settings.seed + 1,
});
const denoiseResult = await train(denoiser, {
  train: data.train,
  validation: data.validation,
  epochs: settings.epochs,
  batchSize: settings.batchSize,
  learningRate: settings.learningRate,
  seed: settings.seed,
  noise: { stddev: settings.noiseStddev, seed: settings.seed + 1 },
  checkpointDirectory: \`\${settings.runDirectory}/denoising\`,
});`),
    md(
      `Noisy test inputs (noise the model never saw: a separate seeded stream), the denoising model's
output, the plain convolutional model's output on the same noisy input, and the clean image. The
numbers: MSE against the clean images over the test set.`,
    ),
    code(`const denoising = ex.denoisingStudy({
  denoiser,
  plain: model,
  test: data.test,
  stddev: settings.noiseStddev,
  seed: settings.seed + 2,
  shown: shown.slice(0, 8),
});
console.log(\`MSE vs clean: noisy input \${denoising.noisyMse.toFixed(4)}, \` +
  \`denoising AE \${denoising.denoisedMse.toFixed(4)}, \` +
  \`plain AE on noisy input \${denoising.plainOnNoisyMse.toFixed(4)} \` +
  \`(plain AE on clean input \${denoising.plainOnCleanMse.toFixed(4)})\`);
imageGrid({
  title: \`Denoising (Gaussian noise, std \${settings.noiseStddev})\`,
  rows: [
    { title: "noisy", images: denoising.shown.noisy },
    { title: "denoised", images: denoising.shown.denoised },
    { title: "plain AE", images: denoising.shown.plain },
    { title: "clean", images: denoising.shown.clean },
  ],
});`),
    code(`const { shown: _images, ...denoisingNumbers } = denoising;
record = await ex.saveExperimentRecord(settings, {
  result,
  evaluation,
  backend: backend.name,
  extra: {
    denoising: {
      ...denoisingNumbers,
      secondsPerEpoch: ex.summarizeTraining(denoiseResult).secondsPerEpoch,
    },
  },
});
denoiser.dispose();
console.log("denoising results added to the record (metrics.json)");`),
  ],
  conclusion: `Convolutions build in that a stroke is a stroke wherever it is on the page. Compare
this model's test error, SSIM (which rewards sharp, well-placed strokes) and k-NN accuracy with the
dense models below, and its parameter count and time per epoch. In the denoising experiment,
compare the denoising model's error on noisy inputs with the noise level itself and with the plain
model fed the same noisy inputs.`,
};

const VARIATIONAL: ExperimentText = {
  file: "04_variational.ipynb",
  name: "variational",
  title: "4. A variational autoencoder on Kuzushiji-MNIST",
  intro: `A variational autoencoder (VAE; Kingma & Welling, 2014) turns the autoencoder into a
generative model. The encoder outputs a Gaussian distribution over the code instead of a point, the
decoder outputs Bernoulli pixel probabilities, and training maximises the evidence lower bound
(ELBO) on log p(x): reconstruction log-likelihood minus the KL divergence between the encoder's
distribution and a standard normal prior. The prior makes the code space smooth and fillable, so
decoding random codes gives new characters.

The code here has only **2 dimensions**, so the latent space can be drawn directly, and the decoded
manifold shows the whole space at once. The price is a much tighter bottleneck than the 32 numbers
of the deterministic models, which the comparison must keep in mind.`,
  architecture: `Encoder: the convolutional trunk of notebook 3, then a dense layer of 16 units
(ReLU), then two linear heads, the mean and the log-variance of q(z|x) in 2 dimensions. A code is
sampled with the reparameterisation trick, z = μ + σ·ε. Decoder: the convolutional decoder of
notebook 3 with sigmoid outputs read as Bernoulli probabilities. Loss: negative ELBO in nats per
image = binary cross-entropy summed over the 784 pixels + KL(q(z|x) ‖ N(0, I)).`,
  lossLabel: "−ELBO",
  curves: `historyCurves(result.history, {
  title: "VAE loss terms (nats per image)",
  xLabel: "epoch",
  yLabel: "nats",
  markers: true,
});`,
  curvesText: `The negative ELBO and its two terms. The reconstruction term falls as the decoder
learns; the KL term measures how much information the codes carry about each image (in nats), and
typically rises early as the encoder starts using the latent space, then settles.`,
  reconstructionText: `The same twelve test images as in the other notebooks, reconstructed through
the posterior mean (no sampling). With a 2-number code expect blurrier, more "average" characters
than from the 32-number models: the VAE keeps the class and the gross shape, not the details.`,
  latentText: `Here the codes are 2-D, so this is the latent space itself (posterior means of
3,000 test images), no projection. The prior N(0, I) pulls the codes into a round cloud around the
origin; classes occupy regions of it.`,
  extra: [
    md(`## The decoded manifold

Decoding a regular grid of codes shows what the model has learnt at every point of its 2-D latent
space. The grid spans the 5%–95% quantiles of the standard normal prior on each axis. Neighbouring
cells change smoothly: moving in the latent space morphs one character into another.`),
    code(`import { interpolationStrip, manifold, priorSamples } from "../lib/plot/mod.ts";

const decode = ex.decoderOf(model);
manifold({ decode, gridSize: 15, title: "Decoded latent grid" });`),
    md(`## Samples from the prior

Codes drawn from N(0, I) and decoded: new characters that are in no data set. Sharp, readable
samples mean the decoder covers the prior well; smudges come from regions between classes.`),
    code(`priorSamples({ decode, latentDim: settings.latentDim, count: 40, seed: 3 });`),
    md(`## Interpolating between two characters

Two test images of different classes are encoded (posterior means); the straight line between their
codes is decoded in ten steps. With a smooth latent space every step is a plausible character.`),
    code(`const firstOfClass = ex.examplesPerClass(data.test, 1)[0];
const [fromIndex, toIndex] = [firstOfClass[0], firstOfClass[7]];
const ends = ex.encodeImages(model, data.test, [fromIndex, toIndex]);
interpolationStrip({
  decode,
  from: ends.codes.subarray(0, 2),
  to: ends.codes.subarray(2, 4),
  steps: 10,
  endpoints: {
    from: ex.imagesAsFloats(data.test, [fromIndex]),
    to: ex.imagesAsFloats(data.test, [toIndex]),
  },
  title: \`From \${data.classes[0].char} to \${data.classes[7].char}\`,
});`),
    md(`## The ELBO and the importance-weighted estimate

The ELBO bounds log p(x) from below. The importance-weighted estimate (IWAE, Burda et al., 2016)
averages K samples of p(x, z)/q(z|x) inside the log, a tighter bound that approaches log p(x) as K
grows. Both in nats per test image; the gap between them is how loose the ELBO is. The IWAE estimate
uses the first test images only (it needs K decoder passes per image).`),
    code(`const vae = evaluation.vae!;
console.log(\`negative ELBO     \${vae.negativeElbo.toFixed(2)} nats/image \` +
  \`(reconstruction \${vae.reconstruction.toFixed(2)} + KL \${vae.kl.toFixed(2)}), \` +
  \`\${evaluation.testImages} test images\`);
if (vae.iwaeNll !== undefined) {
  console.log(\`IWAE -log p(x)    \${vae.iwaeNll.toFixed(2)} nats/image \` +
    \`(K = \${vae.iwaeSamples} samples, first \${vae.iwaeImages} test images)\`);
}`),
  ],
  conclusion: `The VAE gives up reconstruction detail (two numbers per image, and a prior that pulls
codes together) for a smooth, generative latent space: every code decodes to a character, and the
ELBO gives a likelihood the deterministic models do not have. Its MSE and SSIM are therefore not a
like-for-like contest with the 32-number models; its k-NN accuracy shows how much class information
two numbers can hold.`,
};

const COMPARISON: NotebookText = {
  file: "05_comparison.ipynb",
  cells: [
    md(`# 5. Four autoencoders compared

This notebook reads what notebooks 1–4 saved (their \`metrics.json\` records and final checkpoints
in the run folder) and puts the four models side by side on the same test images. Run notebooks
1–4 first.`),
    code(`import { initBackend } from "@kmnist/tfjs-blas";
import { loadModel } from "../lib/train/mod.ts";
import { classBars, compareHistories, imageGrid, metricsTable } from "../lib/plot/mod.ts";
import * as ex from "../lib/experiments.ts";

await initBackend();
const quick = ex.isQuickMode();
const records = [];
for (const name of ex.EXPERIMENT_NAMES) {
  const record = await ex.loadExperimentRecord(name, { quick });
  if (!record) {
    throw new Error(
      \`No record of the \${name} experiment in \${ex.runDirectory(name, quick)}: run \` +
        \`\${ex.experimentSettings(name, { quick }).notebook} first.\`,
    );
  }
  records.push(record);
}
console.log(records.map((r) => \`\${r.title}: saved \${r.savedAt}\${r.quick ? " (quick)" : ""}\`)
  .join("\\n"));`),
    md(`## One table

Parameters, training time per epoch (same machine, same backend), and the test metrics. MSE and
BCE are per pixel; PSNR in dB; SSIM in [0, 1]; k-NN accuracy of a 4-nearest-neighbour classifier on
the latent codes; the negative ELBO (nats per image) exists only for the VAE. Bold marks the best
value of each column. Keep in mind that the VAE's code has 2 numbers against 32 for the others.`),
    code(`metricsTable({
  title: "Test metrics of the four autoencoders",
  columns: ex.COMPARISON_COLUMNS,
  rows: records.map(ex.comparisonRow),
  note: records[0].quick ? "Quick mode: one epoch on a few thousand images; not results." : "",
});`),
    code(`console.log(ex.rankingSummary(records));`),
    md(`## The same test images through all four models

Twelve test images (the same seeded choice as in every notebook), reconstructed by each model from
its saved checkpoint.`),
    code(`const settings = ex.experimentSettings("vanilla", { quick });
const data = await ex.loadExperimentData(settings);
const shown = ex.sampleIndices(data.test.count, 12, 1);
const rows = [{ title: "original", images: ex.imagesAsFloats(data.test, shown) }];
for (const record of records) {
  const model = await loadModel(ex.runDirectory(record.name, quick));
  rows.push({
    title: record.title.replace(/ autoencoder$/, ""),
    images: ex.reconstructImages(model, data.test, shown),
  });
  model.dispose();
}
imageGrid({ title: "Test images reconstructed by the four autoencoders", rows });`),
    md(`## Learning curves and per-class error

Validation MSE per epoch of the three models trained on MSE (the VAE optimises a different loss, in
nats, so it is not on this axis), and the test MSE of every model per class.`),
    code(`const mseModels = records.filter((r) => r.name !== "variational");
compareHistories(
  Object.fromEntries(mseModels.map((r) => [r.title.replace(/ autoencoder$/, ""), r.training.history])),
  { title: "Validation MSE per epoch", validationOnly: true, xLabel: "epoch", yLabel: "MSE" },
);`),
    code(`classBars({
  title: "Test MSE per class",
  series: records.map((r) => ({
    name: r.title.replace(/ autoencoder$/, ""),
    values: r.evaluation.perClass.map((c) => c.mse),
  })),
  yLabel: "MSE per pixel",
});`),
    md(`## Conclusion

The table and the figures above are computed from the saved runs. How to read them together:

- **Reconstruction** (MSE, BCE, PSNR, SSIM): the deterministic models with a 32-number code compete
  directly; the VAE, with 2 numbers and a prior, is not built to win here.
- **The code** (k-NN accuracy): how much class information each model's code keeps without ever
  seeing a label, against 92.1% for 4-NN on the raw 784 pixels.
- **Cost** (parameters, seconds per epoch): what each gain is paid with.
- **Generation**: only the VAE can sample new characters and give a likelihood (its ELBO), see
  notebook 4.`),
  ],
};

/** The five notebooks. */
export const NOTEBOOKS: readonly NotebookText[] = [
  experimentNotebook(VANILLA),
  experimentNotebook(MULTILAYER),
  experimentNotebook(CONVOLUTIONAL),
  experimentNotebook(VARIATIONAL),
  COMPARISON,
];

function sourceLines(text: string): string[] {
  const lines = text.split("\n");
  return lines.map((line, i) => (i < lines.length - 1 ? `${line}\n` : line));
}

/** The notebook JSON (nbformat 4.5, Deno kernel, no outputs). */
export function notebookJson(notebook: NotebookText): Record<string, unknown> {
  const stem = notebook.file.replace(/\.ipynb$/, "");
  return {
    cells: notebook.cells.map((cell, i) => {
      const id = `${stem.replace(/_/g, "-")}-${String(i).padStart(2, "0")}`;
      return "md" in cell
        ? { cell_type: "markdown", id, metadata: {}, source: sourceLines(cell.md) }
        : {
          cell_type: "code",
          execution_count: null,
          id,
          metadata: {},
          outputs: [],
          source: sourceLines(cell.code),
        };
    }),
    metadata: {
      kernelspec: { display_name: "Deno 2.9.6", language: "typescript", name: "deno" },
      language_info: {
        codemirror_mode: "typescript",
        file_extension: ".ts",
        mimetype: "text/x.typescript",
        name: "typescript",
        nbconvert_exporter: "script",
        pygments_lexer: "typescript",
      },
    },
    nbformat: 4,
    nbformat_minor: 5,
  };
}

/**
 * Formats a notebook's cells with `deno fmt` (code as TypeScript, markdown reflowed at the
 * project's line width), in a temp folder under .check/ since notebooks/ is excluded from fmt.
 * Returns the formatted file text.
 */
export async function formatNotebook(
  json: Record<string, unknown>,
  file: string,
): Promise<string> {
  await Deno.mkdir(join(PROJECT_ROOT, ".check"), { recursive: true });
  const dir = await Deno.makeTempDir({ dir: join(PROJECT_ROOT, ".check"), prefix: "fmt_" });
  try {
    const path = join(dir, file);
    await Deno.writeTextFile(path, JSON.stringify(json, null, 1) + "\n");
    const result = await new Deno.Command(Deno.execPath(), {
      args: ["fmt", "--quiet", path],
      cwd: PROJECT_ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!result.success) {
      throw new Error(
        `make_notebooks: deno fmt failed on ${file}:\n${new TextDecoder().decode(result.stderr)}`,
      );
    }
    return await Deno.readTextFile(path);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

function sourcesOf(json: { cells?: { cell_type: string; source: string | string[] }[] }): string {
  return JSON.stringify(
    (json.cells ?? []).map((
      c,
    ) => [c.cell_type, Array.isArray(c.source) ? c.source.join("") : c.source]),
  );
}

async function main(args: string[]): Promise<number> {
  const force = args.includes("--force");
  const check = args.includes("--check");
  let differ = 0;
  for (const notebook of NOTEBOOKS) {
    const path = join(PROJECT_ROOT, "notebooks", notebook.file);
    const freshText = await formatNotebook(notebookJson(notebook), notebook.file);
    const fresh = JSON.parse(freshText);
    let existing: {
      cells?: { cell_type: string; source: string | string[]; outputs?: unknown[] }[];
    } | undefined;
    try {
      existing = JSON.parse(await Deno.readTextFile(path));
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    if (existing && sourcesOf(existing) === sourcesOf(fresh as typeof existing)) {
      console.log(`unchanged  notebooks/${notebook.file}`);
      continue;
    }
    differ++;
    if (check) {
      console.log(`differs    notebooks/${notebook.file}`);
      continue;
    }
    const hasOutputs = existing?.cells?.some((c) => (c.outputs ?? []).length > 0) ?? false;
    if (hasOutputs && !force) {
      console.error(
        `make_notebooks: notebooks/${notebook.file} has outputs and its cells changed; pass ` +
          "--force to rewrite it without outputs (then re-run it with deno task report).",
      );
      return 1;
    }
    await writeTextAtomically(path, freshText);
    console.log(`wrote      notebooks/${notebook.file}`);
  }
  return check && differ > 0 ? 1 : 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
