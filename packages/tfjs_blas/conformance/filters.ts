/**
 * The tfjs-core tests the conformance run excludes, each with its reason. A test may be listed
 * only where plain tfjs-backend-wasm 4.22.0 (no project kernels) fails it too: conformance_test.ts
 * runs every listed test on plain tfjs wasm and fails when one of them passes there.
 *
 * `ALL` entries are excluded on every backend (the project's kernels do not cover them either:
 * complex numbers, NCHW, kernels tfjs wasm lacks, ...). `PLAIN` entries are excluded on plain tfjs
 * wasm only: gaps the project's kernels fill, which `blas` and `wasm` must pass.
 *
 * The list was made from a `--run-excluded` run of each backend (run.ts `--json`): every failure
 * of plain tfjs wasm, grouped by cause.
 *
 * @module
 */

/** The backends a conformance run targets: `initBackend`'s two wasm-based options, plain wasm. */
export type ConformanceBackend = "blas" | "wasm" | "tfjs-wasm";

/** A group of excluded tests sharing one reason. */
export interface ExclusionGroup {
  /** Why plain tfjs wasm fails these tests (and, for `ALL`, the project's backends too). */
  reason: string;
  /** The backends on which the tests are excluded. */
  backends: readonly ConformanceBackend[];
  /** The tests' full jasmine names (describe names + spec name; test env `test-wasm {}`). */
  tests: readonly string[];
}

/** One excluded test. */
export interface ExcludedTest {
  /** The test's full jasmine name. */
  name: string;
  /** Why it is excluded. */
  reason: string;
  /** The backends on which it is excluded. */
  backends: readonly ConformanceBackend[];
}

const ALL: readonly ConformanceBackend[] = ["tfjs-wasm", "wasm", "blas"];
const PLAIN: readonly ConformanceBackend[] = ["tfjs-wasm"];

/** Every excluded test, grouped by reason. */
export const EXCLUSION_GROUPS: readonly ExclusionGroup[] = [
  {
    reason: "NCHW (channelsFirst): tfjs-backend-wasm 4.22's convolutions take NHWC only",
    backends: ALL,
    tests: [
      "conv2d test-wasm {} x=[2,1,2,2] f=[1,1,1,1] s=1 d=1 p=0 NCHW",
      "conv2d test-wasm {} x=[1,2,2] f=[2,2,1,1] s=1 d=1 p=same NCHW",
      "conv2d test-wasm {} x=[4,2,2] f=[1,1,4,4] s=1 d=1 p=same NCHW",
      "conv2d test-wasm {} x=[3,2,2] f=[1,1,3,4] s=1 d=1 p=same NCHW",
      "conv2d test-wasm {} x=[2,2,2,2] f=[1,1,4,4] s=1 d=1 p=same NCHW",
      "conv2d test-wasm {} x=[4,2,2] f=[2,2,4,4] s=1 d=1 p=same NCHW",
      "conv2d test-wasm {} x=[1,2,2] f=[2,2,1,1] s=1 d=1 p=explicit NCHW",
      "conv2d test-wasm {} x=[2,2,2] f=[2,2,2,1] s=1 d=1 p=same NCHW",
      "conv2d test-wasm {} x=[2,1,2,2] f=[2,2,1,1] s=1 d=1 p=same NCHW",
      "conv2d test-wasm {} gradient x=[1,1,3,3] f=[2,2,1,1] s=1 p=0 NCHW",
      "conv2d test-wasm {} gradient x=[2,1,3,3] f=[2,2,1,1] s=1 p=0 NCHW",
      "fused conv2d test-wasm {} basic in NCHW",
      "fused conv2d test-wasm {} basic in NCHW with scalar bias",
      "fused conv2d test-wasm {} basic in NCHW with 1-D bias",
      "fused conv2d test-wasm {} basic in NCHW with bias and multiple batches",
      "fused conv2d test-wasm {} basic in NCHW with scalar PReLU actiavation",
      "fused conv2d test-wasm {} basic in NCHW with 1-D PReLU actiavation",
      "fused conv2d test-wasm {} basic in NCHW with 3-D PReLU actiavation",
      "fused conv2d test-wasm {} basic in NCHW with full 3-D PReLU actiavation",
      "fused conv2d test-wasm {} im2row in NCHW",
      "fused conv2d test-wasm {} im2row in NCHW with scalar bias",
      "fused conv2d test-wasm {} im2row in NCHW with 1-D bias",
      "fused conv2d test-wasm {} im2row in NCHW with scalar PReLU actiavation weights",
      "fused conv2d test-wasm {} im2row in NCHW with 1-D PReLU actiavation weights",
      "fused conv2d test-wasm {} im2row in NCHW with 3-D PReLU actiavation weights",
      "fused conv2d test-wasm {} im2row in NCHW with full 3-D PReLU actiavation weights",
      "fused conv2d test-wasm {} batch in NCHW",
      "fused conv2d test-wasm {} batch in NCHW with scalar bias",
      "fused conv2d test-wasm {} batch in NCHW with 1-D bias",
      "fused conv2d test-wasm {} batch in NCHW with scalar PReLU actiavation weights",
      "fused conv2d test-wasm {} batch in NCHW with 1-D PReLU actiavation weights",
      "fused conv2d test-wasm {} batch in NCHW with 3-D PReLU actiavation weights",
      "fused conv2d test-wasm {} batch in NCHW with full 3-D PReLU actiavation weights",
    ],
  },
  {
    reason: "complex64: tfjs-backend-wasm 4.22 has no Complex kernel",
    backends: ALL,
    tests: [
      "encodeWeights test-wasm {} Complex64 tensors",
      "encodeWeights test-wasm {} Mixed dtype tensors",
      "decodeWeights test-wasm {} from arraybuffer Mixed dtype tensors",
      "decodeWeights test-wasm {} from stream Mixed dtype tensors",
      "abs test-wasm {} complex64 rank-1",
      "abs test-wasm {} complex64 rank-2",
      "abs test-wasm {} complex64 rank-3",
      "abs test-wasm {} is underflow-safe for complex64",
      "add test-wasm {} complex number addition",
      "add test-wasm {} complex number reshape and then addition",
      "add test-wasm {} complex number broadcasting addition",
      "add test-wasm {} upcasts when dtypes dont match",
      "mul test-wasm {} complex number multiplication",
      "mul test-wasm {} complex number broadcasting multiplication",
      "clone test-wasm {} 1D complex64 dtype",
      "clone test-wasm {} 2D complex64 dtype",
      "clone test-wasm {} 3D complex64 dtype",
      "clone test-wasm {} 4D complex64 dtype",
      "complex64 test-wasm {} tf.complex",
      "complex64 test-wasm {} tf.real",
      "complex64 test-wasm {} tf.imag",
      "concat1d test-wasm {} concat complex input",
      "concat2d test-wasm {} concat complex input axis=0",
      "concat2d test-wasm {} concat complex input axis=1",
      "concat3d test-wasm {} concat complex input axis=0",
      "concat3d test-wasm {} concat complex input axis=1",
      "concat3d test-wasm {} concat complex input axis=1",
      "1D IFFT test-wasm {} should return the same value with TensorFlow (2 elements)",
      "1D IFFT test-wasm {} should calculate FFT from Tensor directly",
      "1D IFFT test-wasm {} should return the same value as TensorFlow (3 elements)",
      "1D IFFT test-wasm {} should return the same value as TensorFlow with imaginary (3 elements)",
      "1D IFFT test-wasm {} should return the same value as TensorFlow (negative 3 elements)",
      "1D IFFT test-wasm {} should return the same value with TensorFlow (4 elements)",
      "1D IFFT test-wasm {} should return the same value as TensorFlow with imaginary (4 elements)",
      "2D IFFT test-wasm {} 2D: should return the same value as TensorFlow",
      "2D IFFT test-wasm {} 3D: should return the same value as TensorFlow",
      "onesLike test-wasm {} 1D complex dtype",
      "onesLike test-wasm {} 2D complex dtype",
      "onesLike test-wasm {} 3D complex dtype",
      "onesLike test-wasm {} 4D complex dtype",
      "onesLike test-wasm {} 5D complex dtype",
      "onesLike test-wasm {} 6D complex dtype",
      "stft test-wasm {} 3 length with hann window",
      "stft test-wasm {} 3 length with hann window (sequencial number)",
      "stft test-wasm {} 3 length, 2 step with hann window",
      "stft test-wasm {} 3 fftLength, 5 frameLength, 2 step",
      "stft test-wasm {} 5 length with hann window",
      "stft test-wasm {} 5 length with hann window (sequential)",
      "stft test-wasm {} 3 length with hamming window",
      "stft test-wasm {} 3 length, 2 step with hamming window",
      "stft test-wasm {} 3 fftLength, 5 frameLength, 2 step with hamming window",
      "stft test-wasm {} 5 length with hann window (sequential)",
      "stft test-wasm {} 3 length without window function",
      "stft test-wasm {} 3 length, 2 step without window function",
      "1D FFT test-wasm {} should return the same value with TensorFlow (2 elements)",
      "1D FFT test-wasm {} should calculate FFT from Tensor directly",
      "1D FFT test-wasm {} should return the same value as TensorFlow (3 elements)",
      "1D FFT test-wasm {} should return the same value as TensorFlow with imaginary (3 elements)",
      "1D FFT test-wasm {} should return the same value as TensorFlow (negative 3 elements)",
      "1D FFT test-wasm {} should return the same value with TensorFlow (4 elements)",
      "1D FFT test-wasm {} should return the same value as TensorFlow with imaginary (4 elements)",
      "2D FFT test-wasm {} 2D: should return the same value as TensorFlow",
      "2D FFT test-wasm {} 3D: should return the same value as TensorFlow",
      "1D IRFFT test-wasm {} should return the same value with TensorFlow (2 elements)",
      "1D IRFFT test-wasm {} should calculate from the tensor directly",
      "1D IRFFT test-wasm {} should return the same value with TensorFlow (5 elements)",
      "1D IRFFT test-wasm {} should return the same value with TensorFlow (5 elements) with imag",
      "2D IRFFT test-wasm {} should return the same value with TensorFlow (2x2 elements)",
      "2D IRFFT test-wasm {} should return the same value with TensorFlow (2x3 elements)",
      "2D IRFFT test-wasm {} should return the same value with TensorFlow (2x3 elements) with imag",
      "3D IRFFT test-wasm {} should return the same value with TensorFlow (2x2x2 elements)",
      "3D IRFFT test-wasm {} should return the same value with TensorFlow (2x2x3 elements)",
      "3D IRFFT test-wasm {} should return the same value with TensorFlow (2x2x3 elements) with imag",
      "1D RFFT test-wasm {} should return the same value with TensorFlow (3 elements)",
      "1D RFFT test-wasm {} should calculate from tensor directly",
      "1D RFFT test-wasm {} should return the same value with TensorFlow (6 elements)",
      "1D RFFT test-wasm {} should return the same value without any fftLength",
      "1D RFFT test-wasm {} should return the value with cropped input",
      "1D RFFT test-wasm {} should return the value with padded input",
      "2D RFFT test-wasm {} should return the same value with TensorFlow (2x2 elements)",
      "2D RFFT test-wasm {} should return the same value with TensorFlow (2x3 elements)",
      "2D RFFT test-wasm {} should return the same value with TensorFlow (2x2x2 elements)",
      "2D RFFT test-wasm {} should return the value with cropping",
      "2D RFFT test-wasm {} should return the value with padding",
      "sub test-wasm {} complex number subtraction",
      "sub test-wasm {} complex number broadcasting subtraction",
      "sub test-wasm {} upcasts when dtypes dont match",
      "transpose test-wasm {} accepts complex64 input",
      "tensor test-wasm {} Scalar complex64 dtype",
      "tensor test-wasm {} Tensor1D complex64 dtype",
      "tensor test-wasm {} Tensor2D complex64 dtype",
      "tensor test-wasm {} Tensor3D complex64 dtype",
      "tensor test-wasm {} Tensor4D complex64 dtype",
      "tensor test-wasm {} cast complex64 -> float32",
      "tensor test-wasm {} cast complex64 -> int32",
      "tensor test-wasm {} cast complex64 -> bool",
      "tensor test-wasm {} squeeze a complex64 tensor",
      "tensor test-wasm {} ones with complex type",
      "tensor arraySync test-wasm {} .arraySync() with a complex tensor",
      "tensor.toString test-wasm {} scalar complex64 verbose",
      "tensor.toString test-wasm {} 1d complex64 tensor verbose",
      "tensor.toString test-wasm {} 2d complex64 tensor verbose",
      "tensor.toString test-wasm {} 3d complex64 tensor verbose",
      "tensor.toString test-wasm {} 1d long complex64 tensor verbose",
      "tensor.toString test-wasm {} 2d long complex64 tensor verbose",
      "tensor.toString test-wasm {} 2d complex64 with padding to align columns verbose",
      "tensor.toString test-wasm {} scalar complex64",
      "tensor.toString test-wasm {} 1d complex64 tensor",
      "tensor.toString test-wasm {} 2d complex64 tensor",
      "tensor.toString test-wasm {} 3d complex64 tensor",
      "tensor.toString test-wasm {} 1d long complex64 tensor",
      "tensor.toString test-wasm {} 2d long complex64 tensor",
      "tensor.toString test-wasm {} 2d complex64 with padding to align columns",
      "tensor with 0 in shape test-wasm {} complex64 with 0 in shape",
      "util.toNestedArray for a complex tensor test-wasm {} tensor to nested array",
    ],
  },
  {
    reason:
      "fails tfjs's leak check on tfjs-backend-wasm 4.22 (a kernel of its own leaves data ids)",
    backends: ALL,
    tests: [
      "fused depthwiseConv2D test-wasm {} gradient x=[2,3,3,1] f=[2,2,1,1] s=1 p=0",
    ],
  },
  {
    reason: "int32 matMul: tfjs-backend-wasm 4.22's BatchMatMul takes float32 only",
    backends: ALL,
    tests: [
      "confusionMatrix test-wasm {} 3x3 all cases present in both labels and predictions",
      "confusionMatrix test-wasm {} float32 arguments are accepted",
      "confusionMatrix test-wasm {} 4x4 all cases present in labels, but not predictions",
      "confusionMatrix test-wasm {} 4x4 all cases present in predictions, but not labels",
      "confusionMatrix test-wasm {} Plain arrays as inputs",
      "confusionMatrix test-wasm {} Int32Arrays as inputs",
      "confusionMatrix test-wasm {} 5x5 predictions and labels both missing some cases",
      "matmul test-wasm {} upcasts when dtypes dont match",
      "dtypes test-wasm {} Should use the input tensor dtype",
    ],
  },
  {
    reason: "string tensors: tfjs-backend-wasm 4.22's kernels here do not take the string dtype",
    backends: ALL,
    tests: [
      "equal test-wasm {} should support string comparison",
      "fill test-wasm {} 1D fill string",
      "fill test-wasm {} 2D fill string",
      "greaterEqual test-wasm {} should support string comparison",
      "greater test-wasm {} should support string comparison",
      "lessEqual test-wasm {} should support string comparison",
      "less test-wasm {} should support string comparison",
      "notEqual test-wasm {} should support string comparison",
      "sparseToDense test-wasm {} should work for string",
      "squeeze test-wasm {} default",
      "squeeze test-wasm {} specific dimension",
      "squeeze test-wasm {} all ones",
      "squeeze test-wasm {} squeeze only ones",
      "tile test-wasm {} 1d string tensor",
      "tile test-wasm {} 2d string tensor",
      "tile test-wasm {} 6D string tensor",
      "tensor.toString test-wasm {} 1d long string tensor verbose",
      "tensor.toString test-wasm {} 2d long string tensor verbose",
    ],
  },
  {
    reason: "tfjs-backend-wasm 4.22 has no DepthwiseConv2dNativeBackpropFilter kernel",
    backends: ALL,
    tests: [
      "depthwiseConv2d gradients test-wasm {} wrt filter",
      "depthwiseConv2d gradients test-wasm {} wrt filter, squared output",
      "depthwiseConv2d gradients test-wasm {} wrt filter, stride=2, pad=valid",
    ],
  },
  {
    reason: "tfjs-backend-wasm 4.22 has no DepthwiseConv2dNativeBackpropInput kernel",
    backends: ALL,
    tests: [
      "depthwiseConv2d gradients test-wasm {} wrt input",
      "depthwiseConv2d gradients test-wasm {} wrt input, squared output",
      "depthwiseConv2d gradients test-wasm {} gradient with clones",
      "depthwiseConv2d gradients test-wasm {} wrt input, stride=2, pad=valid",
      "depthwiseConv2d gradients test-wasm {} gradient with clones",
      "fused depthwiseConv2D test-wasm {} gradient x=[2,3,3,1] f=[2,2,1,1] s=1 p=0 with bias and activation",
    ],
  },
  {
    reason: "tfjs-backend-wasm 4.22 has no Einsum kernel",
    backends: ALL,
    tests: [
      "einsum test-wasm {} two scalars",
      "einsum test-wasm {} 1D tensor and scalars: reduce",
      "einsum test-wasm {} 1D tensor and scalars: multiply",
      "einsum test-wasm {} 1d reduce sum",
      "einsum test-wasm {} 2d matrix reduce sum",
      "einsum test-wasm {} 2d matrices multiply and reduce summing",
      "einsum test-wasm {} 2d matrix times scalar and reduce summing",
      "einsum test-wasm {} two 1d tensors dot",
      "einsum test-wasm {} two 1d tensors outer",
      "einsum test-wasm {} 2d matrix calculate trace: duplicate axes not implemented yet",
      "einsum test-wasm {} 2d and 1d matrix & vector multiply",
      "einsum test-wasm {} 2d matrix sum along columns",
      "einsum test-wasm {} 2d matrix sum along rows",
      "einsum test-wasm {} 2d matrix transposing",
      "einsum test-wasm {} 2d matrix multiply",
      "einsum test-wasm {} 2d matrix multiply and transposing",
      "einsum test-wasm {} two 2d matrices batch dot",
      "einsum test-wasm {} two 2d matrices batch outer",
      "einsum test-wasm {} two 3d tensors batch matmul",
      "einsum test-wasm {} two 3d tensors A",
      "einsum test-wasm {} two 3d tensors B",
      "einsum test-wasm {} one 3d tensor: batch matrix transposing",
      "einsum test-wasm {} 4d tensor and 3d tensor, contracting two dimensions",
      "einsum test-wasm {} two 4d tensors, contracting one dimension",
      "einsum test-wasm {} two 4d tensors, contracting two dimensions",
      "einsum test-wasm {} mismatched dimensions throws error",
      "einsum test-wasm {} incorrect equation throws error",
      "einsum test-wasm {} incorrect number of tensors throws error",
      "einsum test-wasm {} more than two input tensors throws error",
      "einsum test-wasm {} nonexistent dimension throws error",
      "einsum test-wasm {} two arrows in equation throws error",
      "RGBToGrayscale test-wasm {} should return int32 dtype tensor for int32 dtype input",
      "RGBToGrayscale test-wasm {} basic 3 rank array conversion",
      "RGBToGrayscale test-wasm {} basic 4 rank array conversion",
    ],
  },
  {
    reason: "tfjs-backend-wasm 4.22 has no RaggedGather kernel",
    backends: ALL,
    tests: [
      "raggedGather  test-wasm {} RaggedGather",
      "raggedGather  test-wasm {} RaggedGather3DParams",
      "raggedGather  test-wasm {} RaggedGather4DParams",
      "raggedGather  test-wasm {} RaggedGather2DIndices",
      "raggedGather  test-wasm {} RaggedGatherScalarIndices",
      "raggedGather  test-wasm {} OutOfBounds",
      "raggedGather  test-wasm {} InvalidSplitsNotSorted",
      "raggedGather  test-wasm {} InvalidSplitsNegative",
      "raggedGather  test-wasm {} InvalidSplitsEmpty",
      "raggedGather  test-wasm {} InvalidSplitsTooBig",
      "raggedGather  test-wasm {} BadValuesShape",
      "raggedGather  test-wasm {} does not have memory leak.",
    ],
  },
  {
    reason: "tfjs-backend-wasm 4.22 has no RaggedRange kernel",
    backends: ALL,
    tests: [
      "raggedRange  test-wasm {} IntValues",
      "raggedRange  test-wasm {} FloatValues",
      "raggedRange  test-wasm {} RangeSizeOverflow",
      "raggedRange  test-wasm {} BroadcastDeltas",
      "raggedRange  test-wasm {} BroadcastLimitsAndDeltas",
      "raggedRange  test-wasm {} BroadcastStartsAndLimits",
      "raggedRange  test-wasm {} AllScalarInputs",
      "raggedRange  test-wasm {} InvalidArgsStarts",
      "raggedRange  test-wasm {} InvalidArgsLimits",
      "raggedRange  test-wasm {} InvalidArgsDeltas",
      "raggedRange  test-wasm {} InvalidArgsShapeMismatch",
      "raggedRange  test-wasm {} InvalidArgsZeroDelta",
      "raggedRange  test-wasm {} EmptyRangePositiveDelta",
      "raggedRange  test-wasm {} EmptyRangeNegativeDelta",
      "raggedRange  test-wasm {} does not have memory leak.",
    ],
  },
  {
    reason: "tfjs-backend-wasm 4.22 has no RaggedTensorToTensor kernel",
    backends: ALL,
    tests: [
      "raggedTensorToTensor  test-wasm {} RaggedTensorToTensor",
      "raggedTensorToTensor  test-wasm {} RaggedTensorToTensorRowSplits",
      "raggedTensorToTensor  test-wasm {} RaggedTensorToTensor3DParams",
      "raggedTensorToTensor  test-wasm {} RaggedTensorToTensor3DParamsRowSplits",
      "raggedTensorToTensor  test-wasm {} RaggedTensorToTensor3DParamsRowSplits2",
      "raggedTensorToTensor  test-wasm {} RaggedTensorToTensor4DParams",
      "raggedTensorToTensor  test-wasm {} RaggedTensorToTensor4DParamsRowSplit",
      "raggedTensorToTensor  test-wasm {} RaggedTensorToTensorContractExpanded",
      "raggedTensorToTensor  test-wasm {} RaggedTensorToTensorContractExpandedDense",
      "raggedTensorToTensor  test-wasm {} RaggedTensorToTensorConstrained",
      "raggedTensorToTensor  test-wasm {} RaggedTensorToTensor3DParamsConstrained",
      "raggedTensorToTensor  test-wasm {} RaggedTensorToTensor4DParamsConstrained",
      "raggedTensorToTensor  test-wasm {} shape wrong dimensions",
      "raggedTensorToTensor  test-wasm {} does not have memory leak.",
    ],
  },
  {
    reason: "tfjs-backend-wasm 4.22 has no StaticRegexReplace kernel",
    backends: ALL,
    tests: [
      "staticRegexReplace test-wasm {} replaces the first instance of a string",
      "staticRegexReplace test-wasm {} replaces a string globally by default",
      "staticRegexReplace test-wasm {} matches using regex",
    ],
  },
  {
    reason: "tfjs-backend-wasm 4.22 has no UnsortedSegmentSum kernel",
    backends: ALL,
    tests: [
      "gather test-wasm {} gradient 1D (gather), 1D indices",
      "gather test-wasm {} gradient with clones",
      "gather test-wasm {} gradient 1D (gather), 2D indices",
      "gather test-wasm {} gradient 2D (gather) axis=0 shape=[2, 2] 1D indices",
      "gather test-wasm {} gradient 2D (gather) axis=0 shape=[2, 2] 2D indices",
      "gather test-wasm {} gradient 2D (gather) axis=0 shape=[4, 1] 1D indices",
      "gather test-wasm {} gradient 2D (gather) axis=0 shape=[4, 1] 2D indices",
      "gather test-wasm {} gradient 2D (gather) axis=1 shape=[4, 2] 1D indices batchDims 1",
      "gather test-wasm {} gradient 2D (gather) axis=1 shape=[2, 2] 1D indices",
      "gather test-wasm {} gradient 2D (gather) axis=1 shape=[2, 2] 2D indices",
      "gather test-wasm {} gradient 2D (gather) axis=1 shape=[4, 1] 1D indices",
      "gather test-wasm {} gradient 2D (gather) axis=1 shape=[4, 1] 2D indices",
      "gather test-wasm {} gradient 3D (gather) axis=0 shape=[2, 3, 2] 1D indices",
      "gather test-wasm {} gradient 3D (gather) axis=0 shape=[2, 3, 2] 2D indices",
      "gather test-wasm {} gradient 3D (gather) axis=0 shape=[1, 4, 4]",
      "gather test-wasm {} gradient 3D (gather) axis=0 shape=[1, 4, 4] 1D indices",
      "gather test-wasm {} gradient 3D (gather) axis=1 shape=[2, 3, 2] 2D indices",
      "gather test-wasm {} gradient 3D (gather) axis=1 shape=[1, 4, 4] 1D indices",
      "gather test-wasm {} gradient 3D (gather) axis=1 shape=[1, 4, 4] 2D indices",
      "gather test-wasm {} gradient 3D (gather) axis=2 shape=[2, 3, 2] 1D indices",
      "gather test-wasm {} gradient 3D (gather) axis=2 shape=[2, 3, 2] 2D indices",
      "gather test-wasm {} gradient 3D (gather) axis=2 shape=[4, 1, 4] 1D indices",
      "gather test-wasm {} gradient 3D (gather) axis=2 shape=[4, 1, 4] 2D indices",
      "unsortedSegmentSum test-wasm {} tensor1D",
      "unsortedSegmentSum test-wasm {} tensor2D",
      "unsortedSegmentSum test-wasm {} tensor3D",
      "unsortedSegmentSum test-wasm {} N > than parallelization threshold, tensor1D",
      "unsortedSegmentSum test-wasm {} ignores negative segmentIds",
      "unsortedSegmentSum test-wasm {} gradient ignores negative segmentIds",
      "unsortedSegmentSum test-wasm {} tensor1D gradient",
      "unsortedSegmentSum test-wasm {} gradient with clones",
      "unsortedSegmentSum test-wasm {} tensor2D gradient",
      "unsortedSegmentSum test-wasm {} tensor3D gradient",
      "unsortedSegmentSum test-wasm {} accepts a tensor-like object",
      "unsortedSegmentSum test-wasm {} accepts a tensor-like object chained",
    ],
  },
  {
    reason: "tfjs-backend-wasm 4.22's Cast to bool keeps the raw values",
    backends: ALL,
    tests: [
      "tensor test-wasm {} Tensor2D float32 -> bool",
      "tensor test-wasm {} Tensor2D int32 -> bool",
    ],
  },
  {
    reason: "tfjs-backend-wasm 4.22's ClipByValue does not propagate NaN",
    backends: ALL,
    tests: [
      "clipByValue test-wasm {} basic vec4",
      "clipByValue test-wasm {} propagates NaNs",
    ],
  },
  {
    reason: "tfjs-backend-wasm 4.22's Slice does not check bounds",
    backends: ALL,
    tests: [
      "slice2d test-wasm {} throws when requesting out of bounds slice",
    ],
  },
  {
    reason: "tfjs-backend-wasm 4.22's binary kernels do not broadcast these shapes",
    backends: ALL,
    tests: [
      "threshold test-wasm {} method otsu",
      "threshold test-wasm {} method otsu, inverted = true",
    ],
  },
  {
    reason:
      "tfjs-backend-wasm 4.22's fused kernels take a rank-1 bias only (no scalar or broadcast bias)",
    backends: ALL,
    tests: [
      "fused conv2d test-wasm {} basic with broadcasted bias and relu",
      "fused conv2d test-wasm {} im2row with broadcasted bias and relu",
      "fused conv2d test-wasm {} gradient x=[2,3,3,1] f=[2,2,1,1] s=1 p=0 with bias",
      "fused depthwiseConv2D test-wasm {} basic with broadcasted bias and relu",
      "fused depthwiseConv2D test-wasm {} gradient x=[2,3,3,1] f=[2,2,1,1] s=1 p=0 with bias",
      "fused matmul test-wasm {} fused A x B with 2d bias and relu",
      "fused matmul test-wasm {} fused A x B with relu and broadcasted bias different rank",
      "fused matmul test-wasm {} fused A x B with 2d bias only",
    ],
  },
  {
    reason: "tfjs-backend-wasm 4.22's pooling reads outside the input for fractional output sizes",
    backends: ALL,
    tests: [
      "pool test-wasm {} max x=[2,2,3] f=[1,1] s=2 p=1 fractional outputs default rounding",
      "pool test-wasm {} avg x=[2,2,3] f=[1,1] s=2 p=1 fractional outputs default rounding",
    ],
  },
  {
    reason:
      "fails on tfjs-backend-wasm 4.22 with TypeError: Cannot read properties of undefined (reading 'backend'); the project's kernels pass it",
    backends: PLAIN,
    tests: [
      "logSigmoid test-wasm {} gradient with clones",
    ],
  },
  {
    reason:
      "fails tfjs's leak check on tfjs-backend-wasm 4.22 (a kernel of its own leaves data ids); the project's kernels pass it",
    backends: PLAIN,
    tests: [
      "customGradient test-wasm {} second order derivative through customGradient",
      "customGradient test-wasm {} calling gradient of custom op twice works",
      "fused conv2d test-wasm {} backProp input x=[2,3,3,1] f=[2,2,1,1] s=1 p=0",
      "fused conv2d test-wasm {} gradient x=[2,3,3,1] f=[2,2,1,1] s=1 p=0",
      "logSoftmax test-wasm {} 1D gradient",
    ],
  },
  {
    reason:
      "tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel; the project's kernels pass it",
    backends: PLAIN,
    tests: [
      "conv1d test-wasm {} gradient with clones, input=2x2x1,d2=1,f=1,s=1,d=1,p=same",
      "conv1d test-wasm {} conv1d gradients input=14x1,d2=1,f=3x1x1,s=1,p=valid",
      "conv2d test-wasm {} gradient with clones input=[3,3,1] f=[2,2,1,1] s=1 p=0",
      "conv2d test-wasm {} gradient x=[2,3,3,1] f=[2,2,1,1] s=1 p=0",
      "conv2dTranspose test-wasm {} gradient with clones input=[1,3,3,1] f=[2,2,2,1] s=1 padding=valid",
      "conv2dTranspose test-wasm {} gradient input=[1,2,2,1] f=[2,2,2,1] s=[2,2] padding=valid",
      "conv2dTranspose test-wasm {} gradient input=[1,3,3,1] f=[2,2,2,1] s=[1,1] padding=same",
      "conv2dTranspose test-wasm {} gradient input=[1,3,3,1] f=[2,2,2,1] s=[1,1] p=explicit",
      "conv2dTranspose test-wasm {} gradient input=[1,2,2,2] f=[2,2,2,1] s=[2,2] padding=same",
      "fused conv2d test-wasm {} gradient x=[2,3,3,1] f=[2,2,1,1] s=1 p=0 with bias and relu",
      "fused conv2d test-wasm {} gradient x=[2,3,3,1] f=[2,2,1,1] s=1 p=0 with bias and elu",
    ],
  },
  {
    reason:
      "tfjs-backend-wasm 4.22's Identity copies the data, so the engine's saved clone of an input has another data id than the test expects; the project's kernels pass it",
    backends: PLAIN,
    tests: [
      "gradient registry test-wasm {} register a kernel with gradient and call it",
      "gradient registry test-wasm {} register a kernel with gradient that specifies outputsToSave and call it",
    ],
  },
];

/** Every excluded test, one entry each. */
export const EXCLUDED_TESTS: readonly ExcludedTest[] = EXCLUSION_GROUPS.flatMap((g) =>
  g.tests.map((name) => ({ name, reason: g.reason, backends: g.backends }))
);

const byName = new Map(EXCLUDED_TESTS.map((t) => [t.name, t]));

/** The exclusion of a test (by full name) on `backend`, or undefined when it must pass there. */
export function exclusionFor(name: string, backend: ConformanceBackend): ExcludedTest | undefined {
  const entry = byName.get(name);
  return entry !== undefined && entry.backends.includes(backend) ? entry : undefined;
}
