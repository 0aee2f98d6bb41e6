/**
 * Learning curves: loss per epoch for several series, one or more panels (e.g. the VAE's
 * reconstruction and KL terms side by side), nice ticks, optional log scale.
 *
 * @module
 */
import type { SKRSContext2D } from "@napi-rs/canvas";
import { type Box, drawAxes, drawFigureTitle, linearScale, logScale, type Scale } from "./axes.ts";
import { Figure } from "./figure.ts";
import { checkFiniteArray } from "./input.ts";
import { drawLegend, type LegendEntry, type LegendLayout, legendLayout } from "./legend.ts";
import { font, measureText } from "./fonts.ts";
import { seriesColor } from "./palette.ts";

/** One curve. */
export interface CurveSeries {
  /** Legend text, e.g. "train" or "conv AE (val)". */
  name: string;
  /** One value per epoch. */
  values: ArrayLike<number>;
  /** The x value of each point (default 1, 2, ..., n). */
  epochs?: ArrayLike<number>;
  /** Draw dashed (e.g. validation curves). */
  dashed?: boolean;
  /** CSS colour (default: the palette colour of the series name, same across panels). */
  color?: string;
  /**
   * A label beside each point (e.g. "z=8"), one per value ("" for none): placed where it overlaps
   * no other label, no marker and not the legend.
   */
  pointLabels?: readonly string[];
  /** Per value: draw its marker as a ring (e.g. a doubtful measurement); default all filled. */
  hollow?: readonly boolean[];
}

/** One panel of curves sharing axes. */
export interface CurvePanel {
  /** Panel title, e.g. "reconstruction (BCE)". */
  title?: string;
  /** The curves. */
  series: readonly CurveSeries[];
  /** y axis label (default the figure's `yLabel`). */
  yLabel?: string;
  /** Log-scale y axis (default the figure's `logY`). */
  logY?: boolean;
  /** Log-scale x axis (default the figure's `logX`). */
  logX?: boolean;
}

/** Options of {@link learningCurves}: give `series` (one panel) or `panels`. */
export interface LearningCurvesOptions {
  /** Curves of a single panel. */
  series?: readonly CurveSeries[];
  /** Several panels, laid out left to right (wrapping after `columns`). */
  panels?: readonly CurvePanel[];
  /** Figure title. */
  title?: string;
  /** x axis label (default "epoch"). */
  xLabel?: string;
  /**
   * The label of an x tick from its value (default: the axis's own number format); e.g.
   * `(v) => String(2 ** v)` for an axis of log2 code sizes labelled with the sizes.
   */
  xTickLabel?: (value: number) => string;
  /** y axis label (default "loss"). */
  yLabel?: string;
  /** Log-scale y axes (default false). */
  logY?: boolean;
  /**
   * Base-10 log x axes (default false): d3's log ticks, labelled with the values themselves, for
   * x values spanning decades (e.g. parameters); the values must be positive.
   */
  logX?: boolean;
  /** Panels per row (default: all in one row, at most 3). */
  columns?: number;
  /** Size of each panel's plot area (default 340 x 220). */
  panelSize?: readonly [number, number];
  /** Draw a dot at each point (default: when a series has at most 20 points). */
  markers?: boolean;
  /**
   * Where legends go: "auto" (default) inside the plot in a corner that covers no data, else
   * outside it on the right; "inside" (the emptiest corner, even when it covers data);
   * "outside".
   */
  legend?: "auto" | "inside" | "outside";
  /** PNG scale (default 2). */
  scale?: number;
}

/** Geometry of one panel. */
export interface CurvePanelLayout {
  /** The plot area. */
  area: Box;
  /** The x scale (epochs). */
  x: Scale;
  /** The y scale (values). */
  y: Scale;
  /** Data point to logical pixel. */
  toPixel(epoch: number, value: number): [number, number];
  /** The legend's geometry. */
  legend: LegendLayout;
  /** Whether the legend sits outside the plot area (no corner inside was free of data). */
  legendOutside: boolean;
  /** The colour each series was drawn in. */
  colors: string[];
  /** Each series' legend text, in the legend's order. */
  names: string[];
  /** The point labels drawn: text, its box, the point it names and its series' colour. */
  pointLabels: { text: string; box: Box; point: [number, number]; color: string }[];
}

/** Geometry of a {@link learningCurves} figure. */
export interface LearningCurvesLayout {
  /** One entry per panel. */
  panels: CurvePanelLayout[];
}

/**
 * Loss (or any metric) against epoch.
 *
 * ```ts
 * learningCurves({ title: "Dense AE", series: [
 *   { name: "train", values: history.trainLoss },
 *   { name: "validation", values: history.validationLoss, dashed: true },
 * ] });
 * learningCurves({ title: "VAE", panels: [
 *   { title: "reconstruction", series: [...] }, { title: "KL", series: [...] },
 * ] });
 * ```
 *
 * @throws Error for no series, empty or non-finite values, epochs of a different length than
 *   values, or non-positive values on a log axis.
 */
export function learningCurves(options: LearningCurvesOptions): Figure<LearningCurvesLayout> {
  const where = "learningCurves";
  const panels: readonly CurvePanel[] = options.panels ??
    (options.series ? [{ series: options.series }] : []);
  if (panels.length === 0 || panels.some((p) => !p.series || p.series.length === 0)) {
    throw new Error(`${where}: no curves; pass series: [{ name, values }] or panels.`);
  }
  const names: string[] = [];
  for (const panel of panels) {
    for (const s of panel.series) if (!names.includes(s.name)) names.push(s.name);
  }
  const prepared = panels.map((panel, p) =>
    panel.series.map((s, i) => {
      const label = `panels[${p}].series[${i}] "${s.name}"`;
      checkFiniteArray(where, `${label}.values`, s.values);
      let epochs: ArrayLike<number>;
      if (s.epochs !== undefined) {
        checkFiniteArray(where, `${label}.epochs`, s.epochs);
        if (s.epochs.length !== s.values.length) {
          throw new Error(
            `${where}: ${label} has ${s.values.length} values but ${s.epochs.length} epochs; ` +
              `pass one epoch per value.`,
          );
        }
        epochs = s.epochs;
      } else epochs = Array.from(s.values, (_, k) => k + 1);
      return {
        name: s.name,
        values: Array.from(s.values),
        epochs: Array.from(epochs),
        dashed: s.dashed ?? false,
        color: s.color ?? seriesColor(names.indexOf(s.name)),
        pointLabels: checkPointLabels(where, label, s.pointLabels, s.values.length),
        hollow: checkHollow(where, label, s.hollow, s.values.length),
      };
    })
  );
  const [pw, ph] = options.panelSize ?? [340, 220];
  const columns = Math.min(panels.length, options.columns ?? Math.min(3, panels.length));
  const rowsCount = Math.ceil(panels.length / columns);
  const marginLeft = 70;
  const marginTop = panels.some((p) => p.title) ? 34 : 14;
  const marginBottom = 50;
  const top = options.title ? 36 : 0;
  const placement = options.legend ?? "auto";
  const outsideGap = 12;
  const layoutPanels = (marginRight: number, outside: boolean[]): CurvePanelLayout[] => {
    const cellW = marginLeft + pw + marginRight;
    const cellH = marginTop + ph + marginBottom;
    return prepared.map((series, p) => {
      const col = p % columns;
      const row = Math.floor(p / columns);
      const area: Box = {
        x: col * cellW + marginLeft,
        y: top + row * cellH + marginTop,
        width: pw,
        height: ph,
      };
      const allX = series.flatMap((s) => s.epochs);
      const allY = series.flatMap((s) => s.values);
      const logY = panels[p].logY ?? options.logY ?? false;
      const xMin = Math.min(...allX);
      const xMax = Math.max(...allX);
      const logX = panels[p].logX ?? options.logX ?? false;
      if (logX) {
        const bad = allX.findIndex((v) => v <= 0);
        if (bad >= 0) {
          throw new Error(
            `${where}: panel ${p} uses a log x axis but holds the x value ${allX[bad]}; log axes ` +
              `need positive values (use logX: false).`,
          );
        }
      }
      const xRange: [number, number] = [area.x, area.x + area.width];
      const baseX = logX ? logScale([xMin, xMax], xRange) : linearScale([xMin, xMax], xRange, {
        nice: false,
        integer: allX.every(Number.isInteger),
        tickCount: Math.min(8, Math.max(1, xMax - xMin)),
      });
      const tickLabel = options.xTickLabel;
      const x = tickLabel ? { ...baseX, labels: baseX.ticks.map(tickLabel) } : baseX;
      if (logY) {
        const bad = allY.findIndex((v) => v <= 0);
        if (bad >= 0) {
          throw new Error(
            `${where}: panel ${p} uses a log y axis but holds the value ${allY[bad]}; log axes ` +
              `need positive values (use logY: false).`,
          );
        }
      }
      const yMin = Math.min(...allY);
      const yMax = Math.max(...allY);
      const yRange: [number, number] = [area.y + area.height, area.y];
      const y = logY ? logScale([yMin, yMax], yRange) : linearScale([yMin, yMax], yRange);
      const entries = legendEntries(series);
      const size = legendLayout(entries, 0, 0).box;
      const toPixel = (epoch: number, value: number): [number, number] => [
        x.map(epoch),
        y.map(value),
      ];
      let legend: LegendLayout;
      let legendOutside = false;
      if (outside[p]) {
        legend = legendLayout(entries, area.x + area.width + outsideGap, area.y);
        legendOutside = true;
      } else legend = bestLegendPlace(entries, area, size, series, x, y).legend;
      return {
        area,
        x,
        y,
        toPixel,
        legend,
        legendOutside,
        colors: series.map((s) => s.color),
        names: series.map((s) => s.name),
        pointLabels: placePointLabels(series, area, toPixel, legend.box),
      };
    });
  };
  // First pass: legends inside; a panel whose every corner covers data moves its legend out.
  let layouts = layoutPanels(16, prepared.map(() => placement === "outside"));
  const needOutside = prepared.map((series, p) => {
    if (placement !== "auto") return placement === "outside";
    const L = layouts[p];
    const size = legendLayout(legendEntries(series), 0, 0).box;
    return bestLegendPlace(legendEntries(series), L.area, size, series, L.x, L.y).hits > 0;
  });
  let marginRight = 16;
  if (needOutside.some((o) => o)) {
    const widest = Math.max(
      ...prepared.map((series, p) =>
        needOutside[p] ? legendLayout(legendEntries(series), 0, 0).box.width : 0
      ),
    );
    marginRight = outsideGap + widest + 12;
    layouts = layoutPanels(marginRight, needOutside);
  }
  const cellW = marginLeft + pw + marginRight;
  const cellH = marginTop + ph + marginBottom;
  const width = columns * cellW;
  const height = top + rowsCount * cellH;
  const draw = (ctx: SKRSContext2D) => {
    if (options.title) drawFigureTitle(ctx, options.title, width);
    prepared.forEach((series, p) => {
      const L = layouts[p];
      drawAxes(ctx, L.area, L.x, L.y, {
        title: panels[p].title,
        xLabel: options.xLabel ?? "epoch",
        yLabel: panels[p].yLabel ?? options.yLabel ?? "loss",
      });
      ctx.save();
      ctx.beginPath();
      ctx.rect(L.area.x - 4, L.area.y - 4, L.area.width + 8, L.area.height + 8);
      ctx.clip();
      for (const s of series) {
        ctx.strokeStyle = s.color;
        ctx.fillStyle = s.color;
        ctx.lineWidth = 2;
        ctx.lineJoin = "round";
        ctx.setLineDash(s.dashed ? [6, 4] : []);
        ctx.beginPath();
        s.values.forEach((v, k) => {
          const [px, py] = L.toPixel(s.epochs[k], v);
          if (k === 0) ctx.moveTo(px, py);
          else ctx.lineTo(px, py);
        });
        ctx.stroke();
        ctx.setLineDash([]);
        if (options.markers ?? s.values.length <= 20) {
          s.values.forEach((v, k) => {
            const [px, py] = L.toPixel(s.epochs[k], v);
            ctx.beginPath();
            if (s.hollow[k]) {
              // A ring: white inside, the series colour around.
              ctx.arc(px, py, 3.2, 0, Math.PI * 2);
              ctx.fillStyle = "#ffffff";
              ctx.fill();
              ctx.lineWidth = 1.5;
              ctx.stroke();
              ctx.fillStyle = s.color;
              ctx.lineWidth = 2;
            } else {
              ctx.arc(px, py, 2.8, 0, Math.PI * 2);
              ctx.fill();
            }
          });
        }
      }
      ctx.restore();
      ctx.font = font(10);
      ctx.textAlign = "left";
      ctx.textBaseline = "middle";
      for (const label of L.pointLabels) {
        ctx.fillStyle = label.color;
        ctx.fillText(label.text, label.box.x + 1, label.box.y + label.box.height / 2);
      }
      drawLegend(ctx, legendEntries(series), L.legend);
    });
  };
  return new Figure<LearningCurvesLayout>({
    width,
    height,
    draw,
    scale: options.scale,
    title: options.title ?? "learning curves",
    layout: { panels: layouts },
  });
}

function legendEntries(
  series: readonly { name: string; color: string; dashed: boolean }[],
): LegendEntry[] {
  return series.map((s) => ({ label: s.name, color: s.color, kind: "line", dashed: s.dashed }));
}

/** A series' hollow flags, one per value (all false when absent). */
function checkHollow(
  where: string,
  label: string,
  hollow: readonly boolean[] | undefined,
  count: number,
): boolean[] {
  if (hollow === undefined) return new Array(count).fill(false);
  if (hollow.length !== count) {
    throw new Error(
      `${where}: ${label} has ${count} values but ${hollow.length} hollow flags; pass one flag ` +
        `per value.`,
    );
  }
  return Array.from(hollow);
}

/**
 * The corner of `area` whose legend box covers the fewest curve samples (top-right on ties), and
 * how many it covers (0: the legend hides nothing).
 */
function bestLegendPlace(
  entries: LegendEntry[],
  area: Box,
  size: Box,
  series: readonly { values: number[]; epochs: number[] }[],
  x: Scale,
  y: Scale,
): { legend: LegendLayout; hits: number } {
  const inset = 6;
  const corners: [number, number][] = [
    [area.x + area.width - size.width - inset, area.y + inset],
    [area.x + area.width - size.width - inset, area.y + area.height - size.height - inset],
    [area.x + inset, area.y + inset],
    [area.x + inset, area.y + area.height - size.height - inset],
  ];
  let best = corners[0];
  let bestHits = Infinity;
  for (const corner of corners) {
    let hits = 0;
    for (const s of series) {
      // sample each segment every few pixels, so that lines crossing the box count, not only
      // the points (whose markers reach 4 px around them: the box is widened by that)
      for (let k = 0; k < s.values.length; k++) {
        const length = k + 1 < s.values.length
          ? Math.hypot(
            x.map(s.epochs[k + 1]) - x.map(s.epochs[k]),
            y.map(s.values[k + 1]) - y.map(s.values[k]),
          )
          : 0;
        const steps = k + 1 < s.values.length ? Math.max(8, Math.ceil(length / 3)) : 1;
        for (let t = 0; t < steps; t++) {
          const f = t / steps;
          const ex = s.epochs[k] + f * ((s.epochs[k + 1] ?? s.epochs[k]) - s.epochs[k]);
          const py = y.map(s.values[k]) +
            f * (y.map(s.values[k + 1] ?? s.values[k]) - y.map(s.values[k]));
          const px = x.map(ex);
          if (
            px >= corner[0] - 4 && px <= corner[0] + size.width + 4 && py >= corner[1] - 4 &&
            py <= corner[1] + size.height + 4
          ) hits++;
        }
      }
    }
    if (hits < bestHits) {
      bestHits = hits;
      best = corner;
    }
  }
  return { legend: legendLayout(entries, best[0], best[1]), hits: bestHits };
}

function checkPointLabels(
  where: string,
  label: string,
  labels: readonly string[] | undefined,
  count: number,
): string[] {
  if (labels === undefined) return Array.from({ length: count }, () => "");
  if (labels.length !== count) {
    throw new Error(
      `${where}: ${label} has ${count} values but ${labels.length} pointLabels; pass one label ` +
        `per value ("" for none).`,
    );
  }
  return Array.from(labels);
}

function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height &&
    b.y < a.y + a.height;
}

/**
 * Places each point label beside its point: the first of eight positions around it whose box
 * stays in the plot area and overlaps no label placed before, no marker and not the legend (the
 * nearest free one further out, or stacked above or below it, when all eight are taken).
 */
function placePointLabels(
  series: readonly { values: number[]; epochs: number[]; pointLabels: string[]; color: string }[],
  area: Box,
  toPixel: (epoch: number, value: number) => [number, number],
  legend: Box,
): { text: string; box: Box; point: [number, number]; color: string }[] {
  const markers: Box[] = series.flatMap((s) =>
    s.values.map((v, k) => {
      const [px, py] = toPixel(s.epochs[k], v);
      return { x: px - 3.5, y: py - 3.5, width: 7, height: 7 };
    })
  );
  const placed: { text: string; box: Box; point: [number, number]; color: string }[] = [];
  const h = 12;
  for (const s of series) {
    for (const { text, point } of coincidentLabels(s, toPixel)) {
      const w = measureText(text, font(10)) + 2;
      const candidates: Box[] = [];
      for (const gap of [5, 12, 20, 30]) {
        const [px, py] = point;
        candidates.push(
          { x: px + gap, y: py - h / 2, width: w, height: h },
          { x: px - gap - w, y: py - h / 2, width: w, height: h },
          { x: px - w / 2, y: py - gap - h, width: w, height: h },
          { x: px - w / 2, y: py + gap, width: w, height: h },
          { x: px + gap - 2, y: py - gap - h + 2, width: w, height: h },
          { x: px + gap - 2, y: py + gap - 2, width: w, height: h },
          { x: px - gap - w + 2, y: py - gap - h + 2, width: w, height: h },
          { x: px - gap - w + 2, y: py + gap - 2, width: w, height: h },
        );
      }
      // Stacked beside the point, for crowded spots at the plot's edges.
      for (let k = 1; k <= 4; k++) {
        const [px, py] = point;
        for (const dy of [k * h, -k * h]) {
          candidates.push(
            { x: px + 5, y: py - h / 2 + dy, width: w, height: h },
            { x: px - 5 - w, y: py - h / 2 + dy, width: w, height: h },
          );
        }
      }
      const inside = (b: Box) =>
        b.x >= area.x && b.y >= area.y && b.x + b.width <= area.x + area.width &&
        b.y + b.height <= area.y + area.height;
      const free = (b: Box) =>
        inside(b) && !overlaps(b, legend) && !placed.some((p) => overlaps(b, p.box)) &&
        !markers.some((m) => overlaps(b, m));
      const box = candidates.find(free) ?? candidates.find(inside) ?? candidates[0];
      placed.push({ text, box, point, color: s.color });
    }
  }
  return placed;
}

/**
 * A series' labelled points, those within 4 px of each other merged into one label: "z=4",
 * "z=16" at one place read "z=4, 16" (a shared "name=" prefix is written once).
 */
function coincidentLabels(
  s: { values: number[]; epochs: number[]; pointLabels: string[] },
  toPixel: (epoch: number, value: number) => [number, number],
): { text: string; point: [number, number] }[] {
  const groups: { texts: string[]; point: [number, number] }[] = [];
  s.values.forEach((v, k) => {
    const text = s.pointLabels[k];
    if (!text) return;
    const point = toPixel(s.epochs[k], v);
    const near = groups.find((g) => Math.hypot(g.point[0] - point[0], g.point[1] - point[1]) < 4);
    if (near) near.texts.push(text);
    else groups.push({ texts: [text], point });
  });
  return groups.map((g) => {
    const prefix = g.texts[0].match(/^[^=]*=/)?.[0];
    const shared = prefix !== undefined && g.texts.every((t) => t.startsWith(prefix));
    return {
      text: shared
        ? prefix + g.texts.map((t) => t.slice(prefix.length)).join(", ")
        : g.texts.join(", "),
      point: g.point,
    };
  });
}

/**
 * The fields of one epoch of a training history that the curves plot (lib/train's EpochRecord has
 * them; the plot layer names them itself, so it needs nothing from lib/train).
 */
export interface HistoryRecord {
  /** 1-based epoch. */
  epoch: number;
  /** Mean training loss. */
  trainLoss: number;
  /** Validation loss. */
  valLoss?: number;
  /** VAE: training reconstruction term. */
  trainReconstruction?: number;
  /** VAE: training KL term. */
  trainKl?: number;
  /** VAE: validation reconstruction term. */
  valReconstruction?: number;
  /** VAE: validation KL term. */
  valKl?: number;
}

function historySeries(
  history: readonly HistoryRecord[],
  pick: (r: HistoryRecord) => number | undefined,
  name: string,
  extra: Partial<CurveSeries> = {},
): CurveSeries | undefined {
  const rows = history.filter((r) => pick(r) !== undefined);
  if (rows.length === 0) return undefined;
  return {
    name,
    values: rows.map((r) => pick(r)!),
    epochs: rows.map((r) => r.epoch),
    ...extra,
  };
}

/**
 * Learning curves straight from a training history: train (solid) and validation (dashed) loss;
 * for a VAE history (with KL terms) also a reconstruction panel and a KL panel.
 *
 * ```ts
 * const { history } = await train(model, data, options);
 * historyCurves(history, { title: "VAE (32-D)" });
 * ```
 *
 * @throws Error for an empty history.
 */
export function historyCurves(
  history: readonly HistoryRecord[],
  options: Omit<LearningCurvesOptions, "series" | "panels"> = {},
): Figure<LearningCurvesLayout> {
  if (!Array.isArray(history) || history.length === 0) {
    throw new Error("historyCurves: the history is empty; train for at least one epoch.");
  }
  const pair = (
    train: (r: HistoryRecord) => number | undefined,
    val: (r: HistoryRecord) => number | undefined,
  ) =>
    [
      historySeries(history, train, "train", { color: seriesColor(0) }),
      historySeries(history, val, "validation", { color: seriesColor(1), dashed: true }),
    ].filter((s): s is CurveSeries => s !== undefined);
  const panels: CurvePanel[] = [{
    title: "total loss",
    series: pair((r) => r.trainLoss, (r) => r.valLoss),
  }];
  if (history.some((r) => r.trainKl !== undefined)) {
    panels.push(
      {
        title: "reconstruction",
        series: pair((r) => r.trainReconstruction, (r) => r.valReconstruction),
      },
      { title: "KL divergence", series: pair((r) => r.trainKl, (r) => r.valKl) },
    );
  } else delete panels[0].title;
  return learningCurves({ ...options, panels });
}

/**
 * One panel comparing several models' histories: each model gets a colour, training solid,
 * validation dashed.
 *
 * ```ts
 * compareHistories({ "dense": h1, "multilayer": h2, "conv": h3 }, { title: "Validation loss" });
 * ```
 *
 * @param options.validationOnly draw only the validation curves (default false).
 * @throws Error for no models or an empty history.
 */
export function compareHistories(
  histories: Readonly<Record<string, readonly HistoryRecord[]>>,
  options: Omit<LearningCurvesOptions, "series" | "panels"> & { validationOnly?: boolean } = {},
): Figure<LearningCurvesLayout> {
  const names = Object.keys(histories ?? {});
  if (names.length === 0) {
    throw new Error("compareHistories: no histories; pass { modelName: history, ... }.");
  }
  const series: CurveSeries[] = [];
  names.forEach((name, i) => {
    const history = histories[name];
    if (!Array.isArray(history) || history.length === 0) {
      throw new Error(`compareHistories: the history of "${name}" is empty.`);
    }
    const color = seriesColor(i);
    if (!options.validationOnly) {
      series.push(historySeries(history, (r) => r.trainLoss, `${name} train`, { color })!);
    }
    const val = historySeries(history, (r) => r.valLoss, `${name} validation`, {
      color,
      dashed: true,
    });
    if (val) series.push(val);
  });
  if (series.length === 0) {
    throw new Error("compareHistories: no validation losses in these histories.");
  }
  return learningCurves({ ...options, series });
}
