/**
 * A tour of KMNIST: split sizes, per-class counts and pixel statistics, printed to stdout.
 * Writes nothing (except the download cache, if the data had to be downloaded).
 *
 *     deno task tour
 *
 * @module
 */
import { IMAGE_PIXELS, type ImageSet, loadKmnist, splitTrainValidation } from "../lib/data/mod.ts";
import { formatNumber } from "../lib/format/mod.ts";

/** Pixel statistics of a set, in grey levels 0..255 and as a fraction of pixels. */
export interface PixelStatistics {
  mean: number;
  std: number;
  min: number;
  max: number;
  zeroFraction: number;
}

/** Mean, standard deviation, range and fraction of zero pixels over all images of a set. */
export function pixelStatistics(set: ImageSet): PixelStatistics {
  let sum = 0;
  let sumSquares = 0;
  let zeros = 0;
  let min = 255;
  let max = 0;
  for (const value of set.images) {
    sum += value;
    sumSquares += value * value;
    if (value === 0) zeros++;
    if (value < min) min = value;
    if (value > max) max = value;
  }
  const n = set.images.length;
  const mean = sum / n;
  return { mean, std: Math.sqrt(sumSquares / n - mean * mean), min, max, zeroFraction: zeros / n };
}

/** Number of images of each class 0..9. */
export function classCounts(set: ImageSet): number[] {
  const counts = new Array(10).fill(0);
  for (const label of set.labels) counts[label]++;
  return counts;
}

if (import.meta.main) {
  const kmnist = await loadKmnist();
  const { train, validation } = splitTrainValidation(kmnist.train);
  const number = (n: number) => formatNumber(n, { decimals: 0 });
  const number2 = (n: number) => formatNumber(n, { decimals: 2 });
  console.log(`KMNIST from ${kmnist.directory} (all five files SHA-256 verified)\n`);
  console.log(`split        images   (${IMAGE_PIXELS} pixels each)`);
  console.log(`train      ${number(kmnist.train.count).padStart(8)}`);
  console.log(
    `  fit      ${number(train.count).padStart(8)}   (after the seeded validation split)`,
  );
  console.log(`  valid.   ${number(validation.count).padStart(8)}`);
  console.log(
    `test       ${number(kmnist.test.count).padStart(8)}   (held out for final evaluation)\n`,
  );
  const trainCounts = classCounts(kmnist.train);
  const testCounts = classCounts(kmnist.test);
  const validationCounts = classCounts(validation);
  console.log("class  char  romaji  codepoint   train   valid.   test");
  for (const c of kmnist.classes) {
    console.log(
      `${String(c.index).padStart(5)}  ${c.char}    ${c.romaji.padEnd(6)}  ${c.codepoint}  ` +
        `${number(trainCounts[c.index]).padStart(6)}  ${
          String(validationCounts[c.index]).padStart(6)
        }  ` +
        `${number(testCounts[c.index]).padStart(5)}`,
    );
  }
  console.log("\npixels (0..255)   mean     std   min  max   zero pixels");
  for (const [name, set] of [["train", kmnist.train], ["test", kmnist.test]] as const) {
    const s = pixelStatistics(set);
    console.log(
      `${name.padEnd(15)} ${number2(s.mean).padStart(6)}  ${number2(s.std).padStart(6)}  ` +
        `${String(s.min).padStart(4)}  ${String(s.max).padStart(3)}   ${
          formatNumber(100 * s.zeroFraction, { decimals: 1 })
        }%`,
    );
  }
}
