/**
 * The explorer inline in a notebook: the same page in an `<iframe srcdoc>` (its scripts and ids
 * stay apart from the notebook's), shown by the Deno kernel's rich display. It works in the
 * classic Notebook UI and in the HTML that nbconvert exports, with no server and no network.
 *
 * @module
 */
import type { ImageSet } from "../data/mod.ts";
import { escapeHtml } from "../format/mod.ts";
import { isQuickMode } from "../experiments/mod.ts";
import { JUPYTER_DISPLAY } from "../plot/figure.ts";
import { buildExplorerPayload, type ExplorerRunSpec } from "./data.ts";
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

  /** @param html the page; @param runs their names; @param height of the frame. */
  constructor(html: string, runs: string[], height: number) {
    this.html = html;
    this.runs = runs;
    this.height = height;
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

  /** What Deno's Jupyter kernel shows for the last expression of a cell. */
  [JUPYTER_DISPLAY](): ExplorerMimeBundle {
    return {
      "text/html": this.iframe(),
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
  const widget = new ExplorerWidget(html, payload.runs.map((r) => r.name), options.height ?? 1020);
  if (widget.bytes > MAX_PAGE_BYTES) {
    throw new Error(
      `The explorer widget would be ${widget.bytes} bytes, over ${MAX_PAGE_BYTES}: show fewer ` +
        `runs or fewer images (testImages, trainImages).`,
    );
  }
  return widget;
}
