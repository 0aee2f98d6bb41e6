/**
 * The latent explorer: a self-contained page (and a notebook widget) in which the trained
 * decoders run in the reader's browser with tfjs, offline. Move the pointer over the latent plane
 * of the 2-D VAE and watch the decoded glyph follow; pick two test images of a 32-D model and
 * slide between their codes; see the nearest training images of the current code.
 *
 * ```ts
 * import { latentExplorer, writeExplorer } from "../lib/explorer/mod.ts";
 * await writeExplorer({ quick: false });          // reports/explorer.html
 * await latentExplorer({ runs: ["variational"] }); // last expression of a notebook cell
 * ```
 *
 * @module
 */
export * from "./data.ts";
export * from "./encoding.ts";
export * from "./page.ts";
export * from "./runs.ts";
export * from "./tfjs_scripts.ts";
export * from "./widget.ts";
export * from "./write.ts";
