/**
 * Per-class bar chart (e.g. reconstruction error per character), grouped by model, with the
 * characters and romaji as x labels.
 *
 * @module
 */
import type { SKRSContext2D } from "@napi-rs/canvas";
import { KMNIST_CLASSES } from "../data/classes.ts";
import { type Box, drawAxes, drawFigureTitle, linearScale, type Scale } from "./axes.ts";
import { Figure } from "./figure.ts";
import { font, measureText } from "./fonts.ts";
import { checkFiniteArray } from "./input.ts";
import { drawLegend, type LegendEntry, type LegendLayout, legendLayout } from "./legend.ts";
import type { ClassLabel } from "./latent_scatter.ts";
import { INK, seriesColor } from "./palette.ts";

/** One group member: a model's value per class. */
export interface BarSeries {
  /** Legend text, e.g. "conv AE". */
  name: string;
  /** One value per class (non-negative). */
  values: ArrayLike<number>;
  /** Optional error bar half-lengths per class (e.g. standard errors). */
  errors?: ArrayLike<number>;
  /** CSS colour (default palette order). */
  color?: string;
}

/** Options of {@link classBars}. */
export interface ClassBarsOptions {
  /** One or more series (several are drawn side by side per class). */
  series: readonly BarSeries[];
  /** Class names (default the ten KMNIST classes). */
  classes?: readonly ClassLabel[];
  /** Figure title. */
  title?: string;
  /** y axis label (default "reconstruction error"). */
  yLabel?: string;
  /** Width of the plot area (default 60 per class). */
  width?: number;
  /** Height of the plot area (default 240). */
  height?: number;
  /** PNG scale (default 2). */
  scale?: number;
}

/** Geometry of a {@link classBars} figure. */
export interface ClassBarsLayout {
  /** The plot area. */
  area: Box;
  /** The value scale. */
  y: Scale;
  /** `bars[s][c]`: the bar of series s for class c. */
  bars: Box[][];
  /** Centre x of each class group. */
  classCenters: number[];
  /** The legend (only with more than one series). */
  legend?: LegendLayout;
}

/**
 * Bars of a value per class, labelled with the characters.
 *
 * ```ts
 * classBars({ title: "Test BCE per class", series: [{ name: "conv AE", values: perClass }] });
 * ```
 *
 * @throws Error for no series, a value count different from the class count, negative or
 *   non-finite values.
 */
export function classBars(options: ClassBarsOptions): Figure<ClassBarsLayout> {
  const where = "classBars";
  const classes = options.classes ?? KMNIST_CLASSES;
  const series = options.series;
  if (!Array.isArray(series) || series.length === 0) {
    throw new Error(`${where}: series is empty; pass series: [{ name, values }].`);
  }
  let max = 0;
  series.forEach((s, i) => {
    checkFiniteArray(where, `series[${i}].values`, s.values);
    if (s.values.length !== classes.length) {
      throw new Error(
        `${where}: series[${i}] "${s.name}" has ${s.values.length} values for ` +
          `${classes.length} classes; pass one value per class.`,
      );
    }
    if (s.errors !== undefined) {
      checkFiniteArray(where, `series[${i}].errors`, s.errors);
      if (s.errors.length !== classes.length) {
        throw new Error(`${where}: series[${i}].errors needs ${classes.length} values.`);
      }
    }
    for (let c = 0; c < classes.length; c++) {
      if (s.values[c] < 0) {
        throw new Error(`${where}: series[${i}].values[${c}] is ${s.values[c]}; bars need >= 0.`);
      }
      max = Math.max(max, s.values[c] + (s.errors ? Math.abs(s.errors[c]) : 0));
    }
  });
  const title = options.title ?? "";
  const top = title ? 44 : 16;
  const areaW = options.width ?? 60 * classes.length;
  const areaH = options.height ?? 240;
  const area: Box = { x: 72, y: top, width: areaW, height: areaH };
  const y = linearScale([0, max > 0 ? max * 1.05 : 1], [area.y + areaH, area.y]);
  const groupW = areaW / classes.length;
  const barW = (groupW * 0.78) / series.length;
  const bars = series.map((_, s) =>
    classes.map((_, c) => {
      const x0 = area.x + c * groupW + groupW * 0.11 + s * barW;
      const yTop = y.map(series[s].values[c]);
      return { x: x0, y: yTop, width: barW, height: area.y + areaH - yTop };
    })
  );
  const classCenters = classes.map((_, c) => area.x + (c + 0.5) * groupW);
  const colors = series.map((s, i) => s.color ?? seriesColor(i));
  const entries: LegendEntry[] = series.map((s, i) => ({
    label: s.name,
    color: colors[i],
    kind: "square",
  }));
  const legend = series.length > 1 ? legendLayout(entries, area.x + areaW + 14, area.y) : undefined;
  const width = Math.max(
    (legend ? legend.box.x + legend.box.width : area.x + areaW) + 16,
    title ? measureText(title, font(15, "bold")) + 24 : 0,
  );
  const height = area.y + areaH + 58;
  const xDummy = linearScale([0, 1], [area.x, area.x + areaW], { nice: false, tickCount: 1 });
  const draw = (ctx: SKRSContext2D) => {
    if (title) drawFigureTitle(ctx, title, width);
    drawAxes(ctx, area, { ...xDummy, ticks: [], labels: [] }, y, {
      yLabel: options.yLabel ?? "reconstruction error",
    }, { gridX: false });
    series.forEach((s, i) => {
      ctx.fillStyle = colors[i];
      bars[i].forEach((b, c) => {
        ctx.fillRect(b.x, b.y, b.width - 1, b.height);
        if (s.errors) {
          const e = Math.abs(s.errors[c]);
          const cx = b.x + (b.width - 1) / 2;
          ctx.strokeStyle = INK.text;
          ctx.lineWidth = 1;
          ctx.beginPath();
          ctx.moveTo(cx, y.map(s.values[c] + e));
          ctx.lineTo(cx, y.map(Math.max(0, s.values[c] - e)));
          ctx.stroke();
        }
      });
    });
    ctx.fillStyle = INK.text;
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    classes.forEach((c, i) => {
      ctx.font = font(18);
      ctx.fillStyle = INK.text;
      ctx.fillText(c.char, classCenters[i], area.y + areaH + 6);
      ctx.font = font(11);
      ctx.fillStyle = INK.muted;
      ctx.fillText(c.romaji, classCenters[i], area.y + areaH + 32);
    });
    if (legend) drawLegend(ctx, entries, legend);
  };
  return new Figure<ClassBarsLayout>({
    width,
    height,
    draw,
    scale: options.scale,
    title: title || "per-class bars",
    layout: { area, y, bars, classCenters, legend },
  });
}
