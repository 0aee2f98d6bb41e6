/**
 * Comparing a kernel's outputs and gradients with a reference.
 *
 * @module
 */
import { ok as assert } from "node:assert";

/**
 * Asserts that every array of `got` (output, dx, dw, db) is within `tolerance` of `want`, relative
 * to the largest reference value.
 */
export function assertClose(
  label: string,
  got: Float32Array[],
  want: Float32Array[],
  tolerance: number,
) {
  const names = ["output", "dx", "dw", "db"];
  want.forEach((ref, i) => {
    assert(ref.length === got[i].length, `${label}: ${names[i]} lengths differ`);
    let worst = 0, scale = 1e-12;
    for (let j = 0; j < ref.length; j++) {
      scale = Math.max(scale, Math.abs(ref[j]));
      worst = Math.max(worst, Math.abs(got[i][j] - ref[j]));
    }
    assert(worst / scale < tolerance, `${label}: ${names[i]} relative error ${worst / scale}`);
  });
}
