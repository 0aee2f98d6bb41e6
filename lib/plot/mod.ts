/**
 * Figures for the KMNIST autoencoder study, drawn with @napi-rs/canvas (Skia) and Noto Sans CJK.
 * Every function returns a {@link Figure}: the last expression of a Deno Jupyter cell shows it;
 * `fig.save("x.png")` / `fig.save("x.svg")` writes it; `fig.toPng()` gives the bytes.
 *
 * ```ts
 * import { imageGrid, latentScatter, learningCurves } from "../lib/plot/mod.ts";
 * imageGrid({ rows: [{ title: "original", images: x }, { title: "reconstruction", images: xHat }],
 *   difference: true });
 * learningCurves({ series: [{ name: "train", values: train }, { name: "validation", values: val,
 *   dashed: true }] });
 * latentScatter({ codes, labels });                       // PCA when codes have > 2 dims
 * manifold({ decode: (z, n) => vae.decode(z, n), gridSize: 15 });
 * ```
 *
 * Images are 28x28 unless `imageShape` says otherwise; floats in [0, 1], `Uint8Array` in 0..255;
 * tfjs tensors are accepted wherever arrays are.
 *
 * @module
 */
export {
  type AxesDrawing,
  type AxesLabels,
  type Box,
  drawAxes,
  linearScale,
  type LinearScaleOptions,
  logScale,
  type Scale,
  type TickLabel,
} from "./axes.ts";
export {
  type BarSeries,
  classBars,
  type ClassBarsLayout,
  type ClassBarsOptions,
} from "./class_bars.ts";
export {
  type DecodedGridOptions,
  type DecodeFunction,
  type InterpolationOptions,
  interpolationStrip,
  manifold,
  type ManifoldLayout,
  type ManifoldOptions,
  priorSamples,
  type PriorSamplesOptions,
} from "./decode.ts";
export {
  type DrawFunction,
  Figure,
  type FigureOptions,
  JUPYTER_DISPLAY,
  type MimeBundle,
} from "./figure.ts";
export { CJK_FONT_FAMILY, ensureFonts, FONT_STACK, glyphBitmap } from "./fonts.ts";
export {
  imageGrid,
  type ImageGridLayout,
  type ImageGridOptions,
  type ImageRow,
} from "./image_grid.ts";
export {
  type CodesInput,
  type ImagesInput,
  type ImageStack,
  type TensorLike,
  toCodeMatrix,
  toImageStack,
} from "./input.ts";
export {
  type ClassLabel,
  latentScatter,
  type LatentScatterLayout,
  type LatentScatterOptions,
} from "./latent_scatter.ts";
export {
  compareHistories,
  type CurvePanel,
  type CurvePanelLayout,
  type CurveSeries,
  historyCurves,
  type HistoryRecord,
  learningCurves,
  type LearningCurvesLayout,
  type LearningCurvesOptions,
} from "./learning_curves.ts";
export {
  type MetricColumn,
  type MetricRow,
  metricsTable,
  type MetricsTableLayout,
  type MetricsTableOptions,
} from "./metrics_table.ts";
export { normalCdf, normalQuantile, normalSamples } from "./normal.ts";
export {
  formatNumber,
  NUMBER_LOCALE,
  numberFormat,
  type NumberFormatOptions,
  numberSpecifier,
} from "../format/number_format.ts";
export { OKABE_ITO, seriesColor, viridis } from "./palette.ts";
export { pca, type PcaResult } from "./pca.ts";
export { type DecodedImage, decodePng, meanRed, pixelAt } from "./png.ts";
export {
  codeSizeFigure,
  type CodeSizeFigureOptions,
  type CodeSizeLineData,
  costFigure,
  type CostPanelData,
  type CostPointData,
  rateDistortionFigure,
  type RateDistortionLineData,
  reconstructionsByCodeSize,
  type ReconstructionsByCodeSizeOptions,
} from "./study_figures.ts";
