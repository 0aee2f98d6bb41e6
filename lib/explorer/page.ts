/**
 * The explorer page: one self-contained HTML document (styles, tfjs, the page's script and the
 * payload inlined) that works from `file://` with no network.
 *
 * @module
 */
import { OKABE_ITO } from "../plot/palette.ts";
import type { ExplorerPayload } from "./data.ts";
import { tfjsScripts } from "./tfjs_scripts.ts";
import { escapeHtml } from "../format/mod.ts";

/** The largest page the explorer writes, in bytes (the limit: under 6 MB). */
export const MAX_PAGE_BYTES = 6_000_000;

/** JSON that is safe inside a `<script type="application/json">` element. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c");
}

const STYLE = `
body { margin: 0; font: 14px/1.4 system-ui, "Noto Sans CJK JP", "Noto Sans", sans-serif; color: #222; background: #fff; }
.kx { padding: 12px 16px; max-width: 980px; }
.kx header { display: flex; flex-wrap: wrap; gap: 12px; align-items: baseline; }
.kx h1 { font-size: 19px; margin: 0; }
.kx h2 { font-size: 14px; margin: 6px 0; font-weight: 600; }
.kx select, .kx input { font: inherit; }
.kx-info { color: #555; font-size: 12px; }
.kx-status { margin: 8px 0; padding: 5px 8px; border-radius: 4px; background: #eef3f8; }
.kx-status.kx-error { background: #fde8e4; color: #8a1c00; }
.kx-status.kx-ready { background: #eaf6ef; }
.kx-notes { margin: 0 0 8px; padding-left: 18px; color: #8a5a00; font-size: 12px; }
.kx-row { display: flex; flex-wrap: wrap; gap: 18px; align-items: flex-start; }
.kx-row > section { max-width: 440px; }
.kx-stack { position: relative; display: inline-block; line-height: 0; }
.kx-stack canvas { image-rendering: pixelated; }
.kx-overlay { position: absolute; inset: 0; margin: 0; padding: 12px; display: flex; align-items: center;
  justify-content: center; text-align: center; line-height: 1.4; color: #555; font-size: 13px; pointer-events: none; }
.kx-overlay[hidden] { display: none; }
#kx-plane { cursor: crosshair; border-radius: 2px; touch-action: none; }
.kx-legend { display: flex; flex-wrap: wrap; gap: 4px 10px; max-width: 420px; margin-top: 6px; font-size: 13px; }
.kx-key i { display: inline-block; width: 10px; height: 10px; border-radius: 50%; margin-right: 4px; }
.kx-caption { font-size: 12px; color: #555; margin: 4px 0; }
.kx-pair { display: flex; gap: 8px; }
.kx-pair canvas, .kx-ends canvas { border: 1px solid #ccc; image-rendering: pixelated; }
.kx-ends { display: flex; align-items: center; gap: 10px; flex-wrap: wrap; }
.kx-ends input[type=range] { width: 220px; }
.kx-ends input[type=number] { width: 64px; }
.kx-nn { display: flex; gap: 6px; flex-wrap: wrap; }
.kx-nn figure { margin: 0; text-align: center; font-size: 11px; color: #555; }
.kx-nn canvas { display: block; border: 1px solid #ccc; image-rendering: pixelated; }
`;

function body(payload: ExplorerPayload): string {
  const title = escapeHtml(payload.title);
  return `<div class="kx" id="kx">
<header><h1>${title}</h1>
<label>Model <select id="kx-model" aria-label="trained model"></select></label>
<span class="kx-info" id="kx-info"></span></header>
<p id="kx-status" class="kx-status" role="status">Loading the decoders in this page…</p>
<noscript><p class="kx-status kx-error">The explorer needs JavaScript: open this file in a browser with JavaScript on.</p></noscript>
<ul class="kx-notes" id="kx-notes"></ul>
<div class="kx-row">
<section>
<h2 id="kx-plane-title">The latent plane</h2>
<div class="kx-stack"><canvas id="kx-plane" width="420" height="420"></canvas>
<p class="kx-overlay" id="kx-plane-msg">Loading the codes…</p></div>
<p class="kx-caption" id="kx-plane-axes">&nbsp;</p>
<div class="kx-legend" id="kx-legend"></div>
</section>
<section>
<h2 id="kx-pointer-title">Decoded at the pointer</h2>
<div class="kx-stack"><canvas id="kx-glyph" width="224" height="224"></canvas>
<p class="kx-overlay" id="kx-glyph-msg">Loading the decoder…</p></div>
<canvas id="kx-glyph28" width="28" height="28" hidden></canvas>
<p class="kx-caption" id="kx-glyph-z">&nbsp;</p>
<h2>Picked test image → reconstruction</h2>
<div class="kx-pair"><canvas id="kx-picked" width="96" height="96"></canvas><canvas id="kx-recon" width="96" height="96"></canvas></div>
<canvas id="kx-picked28" width="28" height="28" hidden></canvas><canvas id="kx-recon28" width="28" height="28" hidden></canvas>
<p class="kx-caption" id="kx-picked-caption">Click a point of the plane.</p>
</section>
</div>
<section>
<h2>Interpolation between the codes of two test images</h2>
<div class="kx-ends">
<label>A: test # <input type="number" id="kx-a" min="0" value="0"></label>
<canvas id="kx-a-img" width="72" height="72"></canvas><canvas id="kx-a28" width="28" height="28" hidden></canvas>
<input type="range" id="kx-t" min="0" max="1000" value="500" aria-label="interpolation from A to B">
<canvas id="kx-b-img" width="72" height="72"></canvas><canvas id="kx-b28" width="28" height="28" hidden></canvas>
<label>B: test # <input type="number" id="kx-b" min="0" value="1"></label>
<div class="kx-stack"><canvas id="kx-interp" width="140" height="140"></canvas>
<p class="kx-overlay" id="kx-interp-msg">Loading the decoder…</p></div>
<canvas id="kx-interp28" width="28" height="28" hidden></canvas>
</div>
<p class="kx-caption"><span id="kx-a-caption"></span> · <span id="kx-t-value"></span> · <span id="kx-b-caption"></span></p>
<h2>Nearest training images of the current code</h2>
<div class="kx-nn" id="kx-nn"></div>
</section>
</div>`;
}

/**
 * The whole page for `payload`: styles, tfjs (from the pinned npm packages on disk), the payload
 * and the page's script, in one HTML document.
 */
export async function explorerHtml(payload: ExplorerPayload): Promise<string> {
  const client = await Deno.readTextFile(new URL("./client.js", import.meta.url));
  const scripts = (await tfjsScripts()).map((text) => `<script>${text}</script>`).join("\n");
  const data = scriptJson({ payload, colors: OKABE_ITO });
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(payload.title)}</title>
<style>${STYLE}</style></head>
<body>
${body(payload)}
<script type="application/json" id="kx-data">${data}</script>
${scripts}
<script>${client.replace(/<\/script/gi, "<\\/script")}</script>
</body></html>
`;
}
