/**
 * Integration: the project's four models (lib/models) train on fused layer calls with the same loss
 * and gradients as tfjs's own layer calls, every Dense / Conv2D / Conv2DTranspose fused, no leaked
 * tensors. Skipped when OpenBLAS or a C compiler is missing.
 */
import * as tf from "@tensorflow/tfjs";
import { ok as assert } from "node:assert";
import {
  fusedLayerCalls,
  fusedLayersActive,
  initBackend,
  loadBlas,
  loadNative,
  reloadConfig,
} from "@kmnist/tfjs-blas";
import { type AutoencoderKind, buildModel } from "../lib/models/mod.ts";
import { relError } from "./helpers/numeric.ts";

const ignore = loadBlas() === null || (await loadNative()) === null;

Deno.test({
  name: "models train on fused layer calls: same loss and gradients as tfjs's own layer " +
    "calls, every Dense / Conv2D / Conv2DTranspose fused, no leaked tensors",
  ignore,
  fn: async () => {
    await initBackend({ backend: "blas" });
    const expected: Record<AutoencoderKind, Record<string, number>> = {
      vanilla: { Dense: 2 },
      multilayer: { Dense: 6 },
      convolutional: { Dense: 2, Conv2D: 2, Conv2DTranspose: 3 },
      variational: { Dense: 4, Conv2D: 2, Conv2DTranspose: 3 },
    };
    try {
      for (const kind of Object.keys(expected) as AutoencoderKind[]) {
        const model = buildModel({ kind, seed: 3 });
        const x = tf.randomUniform([16, 28, 28, 1], 0, 1, "float32", 4) as tf.Tensor4D;
        const step = () => {
          const { value, grads } = tf.variableGrads(
            () => model.lossTerms(x, { step: 1 }).loss as tf.Scalar,
            model.trainableVariables as tf.Variable[],
          );
          const out = [value, ...Object.values(grads)].map((t) => Float32Array.from(t.dataSync()));
          tf.dispose([value, ...Object.values(grads)]);
          return out;
        };
        reloadConfig({ fusedLayers: false }); // as KMNIST_FUSED_LAYERS=0
        assert(!fusedLayersActive());
        const want = step();
        reloadConfig({ fusedLayers: true });
        assert(fusedLayersActive(), "fused layers inactive on the blas backend");
        const calls = { ...fusedLayerCalls };
        const tensorsBefore = tf.memory().numTensors;
        const got = step();
        assert(tf.memory().numTensors === tensorsBefore, `${kind}: a fused step leaked tensors`);
        for (const [layer, n] of Object.entries(expected[kind])) {
          const ran = (fusedLayerCalls[layer] ?? 0) - (calls[layer] ?? 0);
          assert(ran === n, `${kind}: ${layer} ran fused ${ran} times, want ${n}`);
        }
        want.forEach((w, i) => {
          const error = relError(got[i], w);
          assert(error < 1e-5, `${kind} tensor ${i}: relative error ${error}`);
        });
        x.dispose();
        model.dispose();
      }
    } finally {
      reloadConfig();
    }
  },
});
