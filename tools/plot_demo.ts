/**
 * Writes one of each figure to a folder for a person to look at:
 *
 *   deno task plot-demo [--out runs/plot_demo]
 *
 * Images are real KMNIST test images (lib/data). Where no trained model is needed to make the
 * point, the "models" are simple deterministic baselines computed here: average-pool
 * reconstructions (2x2 and 4x4 blocks) stand in for autoencoders, a class-anchor blending decoder
 * stands in for a VAE decoder, and the learning curves are synthetic (labelled as such).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join, resolve } from "node:path";
import { greyToUnit, IMAGE_PIXELS, KMNIST_CLASSES, loadKmnist } from "../lib/data/mod.ts";
import {
  classBars,
  type Figure,
  imageGrid,
  interpolationStrip,
  latentScatter,
  learningCurves,
  manifold,
  metricsTable,
  priorSamples,
} from "../lib/plot/mod.ts";

/** Average-pools each 28x28 image in `block`x`block` squares and upsamples it back. */
function poolReconstruct(images: Float32Array, count: number, block: number): Float32Array {
  const out = new Float32Array(count * IMAGE_PIXELS);
  for (let n = 0; n < count; n++) {
    const base = n * IMAGE_PIXELS;
    for (let by = 0; by < 28; by += block) {
      for (let bx = 0; bx < 28; bx += block) {
        let sum = 0;
        for (let y = by; y < by + block; y++) {
          for (let x = bx; x < bx + block; x++) sum += images[base + y * 28 + x];
        }
        const mean = sum / (block * block);
        for (let y = by; y < by + block; y++) {
          for (let x = bx; x < bx + block; x++) out[base + y * 28 + x] = mean;
        }
      }
    }
  }
  return out;
}

/** Per-image mean BCE (clipped) and MSE. */
function errors(x: Float32Array, xHat: Float32Array, count: number) {
  const bce = new Float64Array(count);
  const mse = new Float64Array(count);
  for (let n = 0; n < count; n++) {
    let b = 0;
    let m = 0;
    for (let i = n * IMAGE_PIXELS; i < (n + 1) * IMAGE_PIXELS; i++) {
      const p = Math.min(1 - 1e-6, Math.max(1e-6, xHat[i]));
      b -= x[i] * Math.log(p) + (1 - x[i]) * Math.log(1 - p);
      m += (x[i] - xHat[i]) ** 2;
    }
    bce[n] = b / IMAGE_PIXELS;
    mse[n] = m / IMAGE_PIXELS;
  }
  return { bce, mse };
}

function perClassMean(values: Float64Array, labels: Uint8Array): number[] {
  const sum = new Array(10).fill(0);
  const n = new Array(10).fill(0);
  values.forEach((v, i) => {
    sum[labels[i]] += v;
    n[labels[i]]++;
  });
  return sum.map((s, c) => s / Math.max(1, n[c]));
}

function mean(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s / values.length;
}

/** Where the stand-in decoder puts class `c`: on a circle of radius 1.4. */
function anchorOf(c: number): Float32Array {
  const angle = (2 * Math.PI * c) / 10;
  return Float32Array.of(1.4 * Math.cos(angle), 1.4 * Math.sin(angle));
}

/** A stand-in decoder: blends the class-mean images by a softmax over distances to anchors. */
function anchorDecoder(classMeans: Float32Array[]) {
  const anchors = classMeans.map((_, c) => anchorOf(c));
  return (z: Float32Array, count: number): Float32Array => {
    const dims = z.length / count;
    const out = new Float32Array(count * IMAGE_PIXELS);
    for (let n = 0; n < count; n++) {
      const weights = anchors.map(([ax, ay]) =>
        Math.exp(-((z[n * dims] - ax) ** 2 + (z[n * dims + 1] - ay) ** 2) / 0.35)
      );
      const total = weights.reduce((a, b) => a + b, 0) || 1;
      for (let c = 0; c < 10; c++) {
        const w = weights[c] / total;
        for (let i = 0; i < IMAGE_PIXELS; i++) out[n * IMAGE_PIXELS + i] += w * classMeans[c][i];
      }
    }
    // sharpen a little, as a trained decoder's outputs would be
    for (let i = 0; i < out.length; i++) out[i] = 1 / (1 + Math.exp(-10 * (out[i] - 0.35)));
    return out;
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: { out: { type: "string", default: "runs/plot_demo" } },
  });
  const out = resolve(values.out!);
  const kmnist = await loadKmnist();
  const test = kmnist.test;
  const count = 2000;
  const x = greyToUnit(test.images.subarray(0, count * IMAGE_PIXELS));
  const labels = test.labels.subarray(0, count);
  const pool2 = poolReconstruct(x, count, 2);
  const pool4 = poolReconstruct(x, count, 4);
  const written: string[] = [];
  const save = (name: string, fig: Figure) => {
    written.push(fig.save(join(out, name)));
  };

  // 1. originals over reconstructions with the difference row
  const shown = 10;
  const firstOfClass = KMNIST_CLASSES.map((c) => labels.indexOf(c.index));
  const pick = (data: Float32Array) =>
    firstOfClass.slice(0, shown).map((i) =>
      data.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS)
    );
  save(
    "reconstructions.png",
    imageGrid({
      title: "Reconstructions (stand-in model: 4x4 average pooling)",
      rows: [
        {
          title: "original",
          images: pick(x),
          captions: firstOfClass.map((i) =>
            `${KMNIST_CLASSES[labels[i]].char} ${KMNIST_CLASSES[labels[i]].romaji}`
          ),
        },
        { title: "reconstruction", images: pick(pool4) },
      ],
      difference: true,
    }),
  );

  // 2. learning curves (synthetic) and VAE terms
  const epochs = 30;
  const curve = (start: number, end: number, rate: number, gap: number, seed: number) =>
    Array.from(
      { length: epochs },
      (_, e) =>
        end + (start - end) * Math.exp(-e / rate) + gap * (e / epochs) +
        0.002 * Math.sin(3 * e + seed),
    );
  save(
    "learning_curves.png",
    learningCurves({
      title: "Learning curves (synthetic data)",
      yLabel: "BCE per pixel",
      series: [
        { name: "dense train", values: curve(0.32, 0.12, 4, 0, 1) },
        { name: "dense validation", values: curve(0.31, 0.125, 4, 0.006, 2), dashed: true },
        { name: "conv train", values: curve(0.3, 0.085, 5, 0, 3), color: "#E69F00" },
        {
          name: "conv validation",
          values: curve(0.29, 0.09, 5, 0.004, 4),
          dashed: true,
          color: "#E69F00",
        },
      ].map((s, i) => ({ ...s, color: s.color ?? (i < 2 ? "#0072B2" : undefined) })),
    }),
  );
  const vaeCurves = learningCurves({
    title: "VAE loss terms (synthetic data)",
    panels: [
      {
        title: "reconstruction (BCE, sum over pixels)",
        logY: true,
        series: [
          { name: "train", values: curve(260, 120, 4, 0, 5) },
          { name: "validation", values: curve(255, 124, 4, 3, 6), dashed: true },
        ],
      },
      {
        title: "KL divergence",
        series: [
          { name: "train", values: curve(2, 9, 6, 0, 7) },
          { name: "validation", values: curve(2.1, 9.1, 6, 0.1, 8), dashed: true },
        ],
        yLabel: "nats",
      },
    ],
  });
  save("vae_terms.png", vaeCurves);
  save("vae_terms.svg", vaeCurves);

  // 3. latent scatter: 2-D anchor codes with noise, and PCA of 49-D pooled pixels (real data)
  const classMeans = KMNIST_CLASSES.map((c) => {
    const m = new Float32Array(IMAGE_PIXELS);
    let n = 0;
    for (let i = 0; i < count; i++) {
      if (labels[i] !== c.index) continue;
      n++;
      for (let p = 0; p < IMAGE_PIXELS; p++) m[p] += x[i * IMAGE_PIXELS + p];
    }
    return m.map((v) => v / Math.max(1, n));
  });
  const codes49 = new Float32Array(count * 49);
  for (let n = 0; n < count; n++) {
    for (let k = 0; k < 49; k++) {
      codes49[n * 49 + k] = pool4[n * IMAGE_PIXELS + Math.floor(k / 7) * 4 * 28 + (k % 7) * 4];
    }
  }
  save(
    "latent_scatter_pca.png",
    latentScatter({ title: "4x4-pooled test images", codes: codes49, dims: 49, labels }),
  );
  const codes2 = new Float32Array(count * 2);
  let state = 12345;
  const rand = () => ((state = (state * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (let n = 0; n < count; n++) {
    const [ax, ay] = anchorOf(labels[n]);
    const r = Math.sqrt(-2 * Math.log(1 - rand())) * 0.45;
    const t = 2 * Math.PI * rand();
    codes2[2 * n] = ax + r * Math.cos(t);
    codes2[2 * n + 1] = ay + r * Math.sin(t);
  }
  save(
    "latent_scatter_2d.png",
    latentScatter({ title: "Latent codes (synthetic)", codes: codes2, dims: 2, labels }),
  );

  // 4. decoder figures with the stand-in decoder
  const decode = anchorDecoder(classMeans);
  save("manifold.png", manifold({ decode, gridSize: 15, title: "Manifold (stand-in decoder)" }));
  const a = firstOfClass[0];
  const b = firstOfClass[9];
  save(
    "interpolation.png",
    interpolationStrip({
      decode,
      from: anchorOf(0),
      to: anchorOf(9),
      steps: 8,
      endpoints: {
        from: x.subarray(a * IMAGE_PIXELS, (a + 1) * IMAGE_PIXELS),
        to: x.subarray(b * IMAGE_PIXELS, (b + 1) * IMAGE_PIXELS),
      },
      title: "Interpolation お → を (stand-in decoder)",
    }),
  );
  save(
    "prior_samples.png",
    priorSamples({ decode, latentDim: 2, count: 30, title: "Prior samples (stand-in decoder)" }),
  );

  // 5. per-class error and the metrics table, from the real pooling baselines
  const e2 = errors(x, pool2, count);
  const e4 = errors(x, pool4, count);
  save(
    "per_class_error.png",
    classBars({
      title: "Per-class reconstruction error (pooling baselines, 2,000 test images)",
      yLabel: "mean BCE per pixel",
      series: [
        { name: "2x2 pooling", values: perClassMean(e2.bce, labels) },
        { name: "4x4 pooling", values: perClassMean(e4.bce, labels) },
      ],
    }),
  );
  const psnr = (mse: Float64Array) => mean(Array.from(mse, (m) => 10 * Math.log10(1 / m)));
  save(
    "metrics_table.png",
    metricsTable({
      title: "Baselines on 2,000 test images",
      note: "Bold: best per column. Pooling baselines stand in for the trained models.",
      columns: [
        { key: "bce", label: "BCE / pixel", better: "lower", decimals: 4 },
        { key: "mse", label: "MSE", better: "lower", decimals: 4 },
        { key: "psnr", label: "PSNR (dB)", better: "higher", decimals: 2 },
        { key: "code", label: "code size", decimals: 0 },
      ],
      rows: [
        {
          name: "2x2 pooling",
          values: { bce: mean(e2.bce), mse: mean(e2.mse), psnr: psnr(e2.mse), code: 196 },
        },
        {
          name: "4x4 pooling",
          values: { bce: mean(e4.bce), mse: mean(e4.mse), psnr: psnr(e4.mse), code: 49 },
        },
      ],
    }),
  );
  console.log(`plot-demo: wrote ${written.length} files to ${out}:`);
  for (const path of written) console.log(`  ${path}`);
}

if (import.meta.main) await main();
