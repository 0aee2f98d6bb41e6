/**
 * A worker that trains one small model and posts its history (tests/concurrent_training_test.ts):
 * several of them in one process share OpenBLAS and the native helpers, as `deno test --parallel`
 * modules do.
 */
import { initBackend } from "@kmnist/tfjs-blas";
import { loadKmnist, takeSubset } from "../../lib/data/mod.ts";
import { type AutoencoderKind, buildModel } from "../../lib/models/mod.ts";
import { train } from "../../lib/train/mod.ts";

/** What the worker is asked to train. */
export interface TrainJob {
  kind: AutoencoderKind;
  trainCount: number;
  validationCount: number;
  epochs: number;
  batchSize: number;
}

/** What it posts back: the deterministic part of each epoch's record, or an error. */
export type TrainJobResult = { losses: Record<string, number>[] } | { error: string };

const scope = self as unknown as {
  onmessage: (event: MessageEvent<TrainJob>) => void;
  postMessage: (message: TrainJobResult) => void;
  close: () => void;
};

scope.onmessage = async (event) => {
  try {
    const job = event.data;
    await initBackend();
    const kmnist = await loadKmnist();
    const range = (start: number, n: number) => Int32Array.from({ length: n }, (_, i) => start + i);
    const model = buildModel({ kind: job.kind, seed: 0 });
    const result = await train(model, {
      train: takeSubset(kmnist.train, range(1000, job.trainCount)),
      validation: takeSubset(kmnist.train, range(40000, job.validationCount)),
      epochs: job.epochs,
      batchSize: job.batchSize,
      progress: "none",
    });
    model.dispose();
    scope.postMessage({
      losses: result.history.map(({ seconds: _s, imagesPerSecond: _r, load: _l, ...rest }) => rest),
    });
  } catch (error) {
    scope.postMessage({ error: String((error as Error)?.stack ?? error) });
  }
  scope.close();
};
