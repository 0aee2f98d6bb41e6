/**
 * The k-NN probe with the KMNIST baseline's protocol (scikit-learn's
 * `KNeighborsClassifier(n_neighbors=4, weights='distance')`): hand-computed votes, zero distances,
 * and the raw-pixel figure on the full KMNIST test set.
 */
import assert from "node:assert/strict";
import { initBackend } from "@kmnist/tfjs-blas";
import { loadKmnist } from "../lib/data/mod.ts";
import { accuracy, knnClassify, pixelKnnAccuracy, voteLabel } from "../lib/metrics/mod.ts";

await initBackend({ backend: "blas" });

const reference = new Float32Array([0, 0, 0, 1, 1, 0, 10, 10, 10, 11, 11, 10, 11, 11, 5, 5]);
const labels = [0, 0, 0, 1, 1, 1, 1, 2];

Deno.test("knnClassify weights votes by 1/distance: one close neighbour outvotes three far ones", () => {
  const query = new Float32Array([0.2, 0.2, 10.4, 10.4, 5.2, 5.1]);
  // (5.2,5.1): (5,5) label 2 at 0.224 (weight 4.47); (1,0) and (0,1) label 0 at 6.61 and 6.62
  // (0.30 together); (10,10) label 1 at 6.86 (0.15). Uniform votes would give 0 (two votes).
  const weighted = knnClassify({ reference, referenceLabels: labels, query, dim: 2, k: 4 });
  assert.deepEqual(Array.from(weighted), [0, 1, 2]);
  const uniform = knnClassify({
    reference,
    referenceLabels: labels,
    query,
    dim: 2,
    k: 4,
    weights: "uniform",
  });
  assert.deepEqual(Array.from(uniform), [0, 1, 0]);
});

Deno.test("voteLabel: zero distances vote alone, ties go to the smallest label", () => {
  // A neighbour at distance 0 takes the vote from closer-weighted others (scikit-learn's rule).
  assert.equal(voteLabel([3, 1, 1, 1], [0, 0.001, 0.001, 0.001]), 3);
  // Two at distance 0 with different labels: a tie, smallest label.
  assert.equal(voteLabel([5, 2, 7], [0, 0, 1]), 2);
  // 1/1 + 1/4 = 1.25 for label 4 against 1/2 + 1/2 = 1 for label 6.
  assert.equal(voteLabel([4, 6, 6, 4], [1, 2, 2, 4]), 4);
  assert.equal(voteLabel([4, 6, 6, 4], [1, 2, 2, 4], "uniform"), 4);
  assert.equal(voteLabel([9, 1], [2, 2]), 1);
  const exact = knnClassify({
    reference: new Float32Array([0, 0, 3, 0, 3, 0.1]),
    referenceLabels: [1, 8, 8],
    query: new Float32Array([3, 0]),
    dim: 2,
    k: 3,
  });
  assert.deepEqual(Array.from(exact), [8]);
});

Deno.test("knnClassify names bad input", () => {
  const query = new Float32Array([0, 0]);
  assert.throws(
    () => knnClassify({ reference, referenceLabels: labels, query, dim: 2, k: 9 }),
    /k must be an integer in 1..8/,
  );
  assert.throws(
    () => knnClassify({ reference, referenceLabels: labels, query, dim: 2, chunk: 5000 }),
    /chunk must be an integer in 1..1000/,
  );
  assert.throws(
    () => knnClassify({ reference, referenceLabels: [0, 1], query, dim: 2 }),
    /2 labels for 8 reference codes/,
  );
  assert.equal(accuracy([0, 1, 0], [0, 1, 1]), 2 / 3);
});

Deno.test("raw-pixel 4-NN with distance-weighted votes is 92.10% on the full KMNIST test set", async () => {
  const kmnist = await loadKmnist();
  assert.equal(kmnist.train.count, 60000);
  assert.equal(kmnist.test.count, 10000);
  const weighted = pixelKnnAccuracy({ train: kmnist.train, test: kmnist.test });
  assert.equal((weighted * 100).toFixed(2), "92.10");
});
