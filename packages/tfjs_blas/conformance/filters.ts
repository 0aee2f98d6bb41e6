/**
 * The tfjs-core tests the conformance run excludes, each with its reason. A test may be listed
 * only when plain tfjs-backend-wasm 4.22.0 (no project kernels) fails it too: the conformance test
 * runs the listed tests on plain wasm and fails if one of them passes there.
 *
 * @module
 */

/** One excluded test. */
export interface ExcludedTest {
  /** The test's full jasmine name (describe names + spec name, test env `test-wasm {}`). */
  name: string;
  /** Why plain tfjs wasm fails it (and so the project's backends may too). */
  reason: string;
}

/** Every excluded test. */
export const EXCLUDED_TESTS: readonly ExcludedTest[] = [];

const byName = new Map(EXCLUDED_TESTS.map((t) => [t.name, t]));

/** The exclusion entry for a test's full name, or undefined when it must pass. */
export function exclusionFor(name: string): ExcludedTest | undefined {
  return byName.get(name);
}
