/**
 * The soak run of tests/soak_test.ts, in its own process (started with --v8-flags=--expose-gc):
 * trains vanilla on 256 images for `Deno.args[0]` epochs with a checkpoint into `Deno.args[1]`
 * after each, and prints one JSON line per epoch, measured after a full garbage collection:
 * {"epoch", "tensors", "rss", "heapUsed", "external"} (bytes).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "@kmnist/tfjs-blas";
import { loadKmnist, takeSubset } from "../../lib/data/mod.ts";
import { buildModel } from "../../lib/models/mod.ts";
import { train } from "../../lib/train/mod.ts";

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --v8-flags=--expose-gc");
const [epochs, dir] = [Number(Deno.args[0]), Deno.args[1]];
await initBackend();
const kmnist = await loadKmnist();
const range = (start: number, n: number) => Int32Array.from({ length: n }, (_, i) => start + i);
const model = buildModel({ kind: "vanilla", seed: 0 });
await train(model, {
  train: takeSubset(kmnist.train, range(0, 256)),
  validation: takeSubset(kmnist.train, range(50000, 64)),
  epochs,
  batchSize: 64,
  progress: "none",
  checkpointDirectory: dir,
  callbacks: {
    onEpochEnd: (record) => {
      gc();
      const memory = Deno.memoryUsage();
      console.log(JSON.stringify({
        epoch: record.epoch,
        tensors: tf.memory().numTensors,
        rss: memory.rss,
        heapUsed: memory.heapUsed,
        external: memory.external,
      }));
    },
  },
});
model.dispose();
