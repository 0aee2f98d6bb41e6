/**
 * Trainings running at once in one process (as `deno test --parallel` runs test modules: worker
 * threads of one process, sharing OpenBLAS's process-wide thread count and the native helpers)
 * give each exactly the numbers it gives alone.
 */
import assert from "node:assert/strict";
import type { TrainJob, TrainJobResult } from "./helpers/train_worker.ts";

function runJob(job: TrainJob): Promise<Record<string, number>[]> {
  const worker = new Worker(new URL("./helpers/train_worker.ts", import.meta.url), {
    type: "module",
  });
  return new Promise((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<TrainJobResult>) => {
      worker.terminate();
      const data = event.data;
      if ("error" in data) reject(new Error(`training worker failed: ${data.error}`));
      else resolve(data.losses);
    };
    worker.onerror = (event) => {
      event.preventDefault();
      worker.terminate();
      reject(new Error(`training worker failed: ${event.message}`));
    };
    worker.postMessage(job);
  });
}

// The vanilla model's products are all below the single-thread size (1 OpenBLAS thread); the
// multilayer one switches OpenBLAS's process-wide thread count between 1 and all cores every
// batch; the convolutional one's blocked convolutions set it to 1 and back around each call.
// Before the fix, a run picked up another's thread count mid-product and its sums rounded
// differently (tests/checkpoint_test.ts failed that way under `deno test --parallel`).
const JOBS: TrainJob[] = [
  { kind: "vanilla", trainCount: 1280, validationCount: 100, epochs: 3, batchSize: 128 },
  { kind: "multilayer", trainCount: 1280, validationCount: 100, epochs: 2, batchSize: 128 },
  { kind: "convolutional", trainCount: 384, validationCount: 100, epochs: 2, batchSize: 64 },
];

Deno.test("trainings at once in one process each give the numbers they give alone", async () => {
  const together = await Promise.all([...JOBS, JOBS[0]].map(runJob));
  const alone: Record<string, number>[][] = [];
  for (const job of JOBS) alone.push(await runJob(job));
  JOBS.forEach((job, i) => assert.deepEqual(together[i], alone[i], `${job.kind} differs`));
  assert.deepEqual(together[3], alone[0], "the second vanilla run differs");
});
