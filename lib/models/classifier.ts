/**
 * The KMNIST classifier, the instrument that measures generated samples (Fréchet distance on its
 * penultimate features, class coverage, confidence): a small CNN, (Conv 32 k3 relu) x c ->
 * MaxPool 2 -> (Conv 64 k3 relu) x c -> MaxPool 2 -> Flatten (3,136) -> Dense 128 relu (the
 * features) -> dropout (training only, seeded per step) -> Dense 10 (logits), with c convolutions
 * per block (`convsPerBlock`, 1 by default; the project trains it with 2).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import {
  checkPositiveInteger,
  deriveSeed,
  IMAGE_SIZE,
  inChunks,
  INFER,
  SeededInitializers,
  trainableVariablesOf,
} from "./common.ts";

/** The classes KMNIST has. */
export const CLASSIFIER_CLASSES = 10;

/** The JSON-able description that rebuilds a classifier (weights aside). */
export interface ClassifierConfig {
  /** Always "classifier". */
  kind: "classifier";
  /** Width of the penultimate (feature) layer. */
  featureUnits: number;
  /** Dropout rate on the features during training. */
  dropout: number;
  /** Seed of the initialisers and of the dropout masks. */
  seed: number;
  /**
   * 3x3 convolutions per block before each pooling (absent in configs written before it was an
   * option: 1).
   */
  convsPerBlock?: number;
}

/** Options for {@link buildClassifier}. */
export interface ClassifierOptions {
  /** Width of the feature layer (default 128). */
  featureUnits?: number;
  /** Dropout rate on the features during training (default 0.5; 0 = none). */
  dropout?: number;
  /** Seed of the initialisers and of the dropout masks (default 0). */
  seed?: number;
  /** 3x3 convolutions per block before each pooling (default 1). */
  convsPerBlock?: number;
}

/** The classifier. */
export interface Classifier {
  /** What rebuilds it. */
  readonly config: ClassifierConfig;
  /** Images `[n,28,28,1]` in [0,1] -> features `[n, featureUnits]` (post-ReLU). */
  readonly trunk: tf.LayersModel;
  /** Features -> logits `[n, 10]`. */
  readonly head: tf.LayersModel;
  /** Trunk then head as one layers model (saved in checkpoints). */
  readonly model: tf.LayersModel;
  /** The variables the optimizer updates. */
  readonly trainableVariables: tf.Variable[];
  /**
   * Mean softmax cross-entropy of a batch with dropout (seeded by `step`), differentiable with
   * respect to the trainable variables.
   */
  loss(images: tf.Tensor4D, labels: tf.Tensor1D, step: number): tf.Scalar;
  /** Penultimate features `[n, featureUnits]`, in chunks of <= 1000 (no dropout). */
  features(images: tf.Tensor4D): tf.Tensor2D;
  /** Class probabilities `[n, 10]`, in chunks of <= 1000. */
  probabilities(images: tf.Tensor4D): tf.Tensor2D;
  /** The most probable class of each image `[n]` (int32). */
  predict(images: tf.Tensor4D): tf.Tensor1D;
  /** Number of trainable parameters. */
  countParams(): number;
  /** Frees the variables. */
  dispose(): void;
}

/** Offset keeping the dropout seeds apart from the initialiser seeds. */
const DROPOUT_SEED_OFFSET = 1 << 21;

/**
 * The classifier CNN (421,642 parameters at the defaults; 467,818 with `convsPerBlock: 2`, the
 * project's instrument: see CLASSIFIER_TRAINING in lib/train/classifier.ts).
 */
export function buildClassifier(options: ClassifierOptions = {}): Classifier {
  const { featureUnits = 128, dropout = 0.5, seed = 0, convsPerBlock = 1 } = options;
  checkPositiveInteger("featureUnits", featureUnits);
  checkPositiveInteger("convsPerBlock", convsPerBlock);
  if (!(dropout >= 0 && dropout < 1)) {
    throw new Error(`dropout must be in [0, 1), got ${dropout}.`);
  }
  const config: ClassifierConfig = {
    kind: "classifier",
    featureUnits,
    dropout,
    seed,
    ...(convsPerBlock !== 1 ? { convsPerBlock } : {}),
  };
  const init = new SeededInitializers(seed);
  const image = tf.input({ shape: [IMAGE_SIZE, IMAGE_SIZE, 1], name: "image" });
  let x = image;
  [32, 64].forEach((filters, i) => {
    for (let j = 0; j < convsPerBlock; j++) {
      x = tf.layers.conv2d({
        filters,
        kernelSize: 3,
        padding: "same",
        activation: "relu",
        kernelInitializer: init.glorot(),
        // The first convolution of a block keeps its old name, so saved classifiers still load.
        name: j === 0 ? `cls_conv${i + 1}` : `cls_conv${i + 1}_${j + 1}`,
      }).apply(x) as tf.SymbolicTensor;
    }
    x = tf.layers.maxPooling2d({ poolSize: 2, name: `cls_pool${i + 1}` }).apply(
      x,
    ) as tf.SymbolicTensor;
  });
  x = tf.layers.flatten({ name: "cls_flatten" }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({
    units: featureUnits,
    activation: "relu",
    kernelInitializer: init.glorot(),
    name: "cls_features",
  }).apply(x) as tf.SymbolicTensor;
  const trunk = tf.model({ inputs: image, outputs: x, name: "classifier_trunk" });
  const featureInput = tf.input({ shape: [featureUnits], name: "features" });
  const logits = tf.layers.dense({
    units: CLASSIFIER_CLASSES,
    kernelInitializer: init.glorot(),
    name: "cls_logits",
  }).apply(featureInput) as tf.SymbolicTensor;
  const head = tf.model({ inputs: featureInput, outputs: logits, name: "classifier_head" });
  const input = tf.input({ shape: [IMAGE_SIZE, IMAGE_SIZE, 1], name: "image" });
  const model = tf.model({
    inputs: input,
    outputs: head.apply(trunk.apply(input)) as tf.SymbolicTensor,
    name: "classifier",
  });
  const trainableVariables = trainableVariablesOf(model);
  const probabilities = (images: tf.Tensor4D) =>
    inChunks(images, (b) => tf.softmax(model.predict(b, INFER) as tf.Tensor2D) as tf.Tensor2D);
  return {
    config,
    trunk,
    head,
    model,
    trainableVariables,
    loss(images, labels, step) {
      return tf.tidy(() => {
        let h = trunk.apply(images) as tf.Tensor2D;
        if (dropout > 0) {
          const keep = tf.step(
            tf.sub(
              tf.randomUniform(
                h.shape,
                0,
                1,
                "float32",
                deriveSeed(seed, DROPOUT_SEED_OFFSET + step),
              ),
              dropout,
            ),
          );
          h = tf.mul(h, tf.mul(keep, 1 / (1 - dropout)));
        }
        const out = head.apply(h) as tf.Tensor2D;
        return tf.losses.softmaxCrossEntropy(
          tf.oneHot(labels, CLASSIFIER_CLASSES),
          out,
        ) as tf.Scalar;
      });
    },
    features: (images) => inChunks(images, (b) => trunk.predict(b, INFER) as tf.Tensor2D),
    probabilities,
    predict: (images) =>
      inChunks(images, (b) => tf.argMax(model.predict(b, INFER) as tf.Tensor2D, 1) as tf.Tensor1D),
    countParams: () => model.countParams(),
    dispose: () => model.dispose(),
  };
}
