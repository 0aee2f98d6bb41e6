/**
 * The outcome of one conformance run and how it is counted.
 *
 * @module
 */
import { type ConformanceBackend, exclusionFor } from "./filters.ts";

/** One jasmine spec's outcome. */
export interface SpecOutcome {
  /** Full name (describe names + spec name), as in filters.ts. */
  name: string;
  /** jasmine's status: passed, failed, excluded (filtered out), pending. */
  status: string;
  /** The failed expectations' messages, shortened. */
  message: string;
}

/** Counts of a run. */
export interface ConformanceCounts {
  /** Tests not on the exclusion list that passed. */
  passed: number;
  /** Tests not on the exclusion list that failed (each is in `unexpected`). */
  failed: number;
  /** Tests on the exclusion list (skipped, or run with `--run-excluded`). */
  excluded: number;
  /** Excluded tests that failed when run (`--run-excluded` only). */
  excludedFailed: number;
  /** Pending tests (jasmine's `xit`/`pending()` in tfjs's own files). */
  pending: number;
  /** Errors in beforeAll/afterAll hooks or outside any spec. */
  suiteErrors: number;
  /** Test files that failed to load. */
  loadErrors: number;
}

/** What a conformance run found. */
export interface ConformanceResult {
  /** The backend under test. */
  backend: string;
  /** What the backend reported at start. */
  backendInfo: string;
  /** How many test files were loaded. */
  files: number;
  /** Whether excluded tests were run. */
  runExcluded: boolean;
  /** Counts. */
  counts: ConformanceCounts;
  /** Failures not covered by the exclusion list, suite errors and load errors: must be empty. */
  unexpected: string[];
  /** Excluded tests that passed when run (`--run-excluded`): the list may be too wide for them. */
  excludedPassed: string[];
  /** Every spec's outcome. */
  specs: SpecOutcome[];
  /** Wall time of the run in seconds. */
  seconds: number;
}

/** Inputs of {@link summarize}. */
export interface SummaryInput {
  /** The backend under test. */
  backend: ConformanceBackend;
  /** What the backend reported at start. */
  backendInfo: string;
  /** How many test files were loaded. */
  files: number;
  /** Whether excluded tests were run. */
  runExcluded: boolean;
  /** Every spec's outcome. */
  specs: SpecOutcome[];
  /** Hook errors. */
  suiteErrors: string[];
  /** Files that did not load, with the error. */
  loadErrors: Record<string, string>;
  /** Entries in the exclusion list. */
  exclusions: number;
  /** Wall time in seconds. */
  seconds: number;
}

/** Counts a run's specs against the exclusion list. */
export function summarize(input: SummaryInput): ConformanceResult {
  const counts: ConformanceCounts = {
    passed: 0,
    failed: 0,
    excluded: 0,
    excludedFailed: 0,
    pending: 0,
    suiteErrors: input.suiteErrors.length,
    loadErrors: Object.keys(input.loadErrors).length,
  };
  const unexpected: string[] = [];
  const excludedPassed: string[] = [];
  for (const spec of input.specs) {
    const excluded = exclusionFor(spec.name, input.backend) !== undefined;
    if (excluded) {
      counts.excluded++;
      if (spec.status === "failed") counts.excludedFailed++;
      if (spec.status === "passed") excludedPassed.push(spec.name);
    } else if (spec.status === "passed") {
      counts.passed++;
    } else if (spec.status === "failed") {
      counts.failed++;
      unexpected.push(`${spec.name} :: ${spec.message}`);
    } else {
      counts.pending++;
    }
  }
  unexpected.push(...input.suiteErrors.map((e) => `suite error: ${e}`));
  for (const [file, error] of Object.entries(input.loadErrors)) {
    unexpected.push(`load error: ${file}: ${error}`);
  }
  return {
    backend: input.backend,
    backendInfo: input.backendInfo,
    files: input.files,
    runExcluded: input.runExcluded,
    counts,
    unexpected,
    excludedPassed,
    specs: input.specs,
    seconds: input.seconds,
  };
}
