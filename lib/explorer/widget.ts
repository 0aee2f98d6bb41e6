/**
 * The explorer inline in a notebook: the same page in an `<iframe srcdoc>` (its scripts and ids
 * stay apart from the notebook's), shown by the Deno kernel's rich display. It works in the
 * classic Notebook UI and in the HTML that nbconvert exports, with no server and no network.
 * A frame cannot print (the PDF would show a cut-off window), so the output also holds a static
 * picture of the explorer's plane that print CSS shows in the frame's place.
 *
 * @module
 */
import type { ImageSet } from "../data/mod.ts";
import { isQuickMode } from "../experiments/mod.ts";
import { bytesToBase64, escapeHtml, formatNumber } from "../format/mod.ts";
import { type Figure, JUPYTER_DISPLAY } from "../plot/figure.ts";
import { latentScatter, type LatentScatterLayout } from "../plot/latent_scatter.ts";
import { buildExplorerPayload, type ExplorerPayload, type ExplorerRunSpec } from "./data.ts";
import { unpackBytes } from "./encoding.ts";
import { explorerHtml, MAX_PAGE_BYTES } from "./page.ts";
import { resolveRun } from "./write.ts";

/** Options of {@link latentExplorer}. */
export interface LatentExplorerOptions {
  /** The runs to show: experiment names ("variational") or run folders. */
  runs: (string | ExplorerRunSpec)[];
  /** Quick-mode runs (`runs/quick/`); default: `KMNIST_QUICK`. */
  quick?: boolean;
  /** Test images scattered on the plane (default 1000). */
  testImages?: number;
  /** Training images searched for neighbours (default 1000). */
  trainImages?: number;
  /** Height of the frame in the notebook, in CSS pixels (default 1020). */
  height?: number;
  /** Heading of the page. */
  title?: string;
  /** The images, when the notebook has them (`run.data`); else read with `loadKmnist`. */
  data?: { train: ImageSet; test: ImageSet };
}

/** The MIME bundle the widget shows. */
export interface ExplorerMimeBundle {
  /** The page in an iframe. */
  "text/html": string;
  /** A one-line description for frontends without HTML. */
  "text/plain": string;
}

/** The explorer as a notebook output; also gives the page itself. */
export class ExplorerWidget {
  /** The whole page (what the iframe shows). */
  readonly html: string;
  /** The runs it shows. */
  readonly runs: string[];
  /** Height of the frame in CSS pixels. */
  readonly height: number;

  /** The PNG shown in print instead of the frame (absent: nothing replaces the frame). */
  readonly printPng?: Uint8Array;
  /** The printed picture's width in CSS pixels (its logical width, not the PNG's pixels). */
  readonly printWidth?: number;

  /**
   * @param html the page; @param runs their names; @param height of the frame;
   * @param print the static picture printed in the frame's place, and its width in CSS pixels.
   */
  constructor(
    html: string,
    runs: string[],
    height: number,
    print?: { png: Uint8Array; width: number },
  ) {
    this.html = html;
    this.runs = runs;
    this.height = height;
    this.printPng = print?.png;
    this.printWidth = print?.width;
  }

  /** Size of the page in bytes. */
  get bytes(): number {
    return new TextEncoder().encode(this.html).byteLength;
  }

  /** The `<iframe srcdoc>` element holding the page. */
  iframe(): string {
    // Every markup character escaped: nothing of the page reads as a tag of the notebook's HTML.
    const srcdoc = escapeHtml(this.html);
    return `<iframe class="kmnist-explorer" title="KMNIST latent explorer: ${
      escapeHtml(this.runs.join(", "))
    }" srcdoc="${srcdoc}" style="width:100%;max-width:1000px;height:${this.height}px;` +
      `border:1px solid #ddd;border-radius:4px"></iframe>`;
  }

  /**
   * The frame on screen and, in print, the static picture instead (print CSS; a frame prints as
   * a cut-off window of its first screen).
   */
  printableHtml(): string {
    if (!this.printPng) return this.iframe();
    const style = "<style>.kmnist-explorer-print{display:none}" +
      "@media print{iframe.kmnist-explorer{display:none !important}" +
      ".kmnist-explorer-print{display:block !important;max-width:100%;height:auto}}</style>";
    const alt = `Latent explorer (${this.runs.join(", ")}): the plane of test codes`;
    const width = this.printWidth ? ` width="${Math.round(this.printWidth)}"` : "";
    return `${style}\n${this.iframe()}\n<img class="kmnist-explorer-print" alt="${alt}"${width} ` +
      `src="data:image/png;base64,${bytesToBase64(this.printPng)}"/>`;
  }

  /** What Deno's Jupyter kernel shows for the last expression of a cell. */
  [JUPYTER_DISPLAY](): ExplorerMimeBundle {
    return {
      "text/html": this.printableHtml(),
      "text/plain": `KMNIST latent explorer (${this.runs.join(", ")}): open the notebook in a ` +
        `browser to use it.`,
    };
  }
}

/**
 * The explorer of some trained runs as a notebook output: make it the last expression of a cell.
 *
 * ```ts
 * await latentExplorer({ runs: ["variational"] })
 * await latentExplorer({ runs: [run.settings.runDirectory], data: run.data }) // a notebook's run
 * ```
 */
export async function latentExplorer(options: LatentExplorerOptions): Promise<ExplorerWidget> {
  const quick = options.quick ?? isQuickMode();
  const specs = options.runs.map((run) => resolveRun(run, quick));
  const payload = await buildExplorerPayload({
    runs: specs,
    testImages: options.testImages,
    trainImages: options.trainImages,
    title: options.title ?? `Latent explorer: ${specs.map((s) => s.name).join(", ")}`,
    data: options.data,
  });
  const html = await explorerHtml(payload);
  const picture = await explorerPicture(payload);
  const widget = new ExplorerWidget(
    html,
    payload.runs.map((r) => r.name),
    options.height ?? 1020,
    picture ? { png: picture.toPng({ scale: 1.5 }), width: picture.width } : undefined,
  );
  if (widget.bytes > MAX_PAGE_BYTES) {
    throw new Error(
      `The explorer widget would be ${widget.bytes} bytes, over ${MAX_PAGE_BYTES}: show fewer ` +
        `runs or fewer images (testImages, trainImages).`,
    );
  }
  return widget;
}

/**
 * The explorer's plane as a static figure: the first run's test codes as the page lays them out
 * (the codes themselves when 2-D, else their first two principal axes), by class. Undefined when
 * the payload has no run.
 */
export async function explorerPicture(
  payload: ExplorerPayload,
): Promise<Figure<LatentScatterLayout> | undefined> {
  const run = payload.runs[0];
  if (!run) return undefined;
  const bytes = await unpackBytes(run.testCodes);
  const codes = new Float32Array(bytes.slice().buffer);
  const labels = await unpackBytes(payload.test.labels);
  const count = payload.test.count;
  const others = payload.runs.length > 1
    ? ` (the page switches between ${payload.runs.length} models)`
    : "";
  return latentScatter({
    codes,
    dims: run.latentDim,
    labels,
    classes: payload.classes,
    title: `Latent explorer, printed: ${run.name}, ${
      formatNumber(count, { decimals: 0 })
    } test codes${others}`,
    size: 360,
  });
}
