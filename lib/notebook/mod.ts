/**
 * What the notebooks share, as library calls: each step of an experiment notebook (open, build,
 * train, evaluate, conclude), its figures and tables, the variational and denoising steps, the
 * comparison's steps (notebook 05) and the design study's (notebook 06).
 * Notebooks hold their own narrative (markdown) and call these; a change to a shared step is a
 * change here.
 *
 * @module
 */
export * from "./display.ts";
export * from "./architecture_table.ts";
export * from "./experiment.ts";
export * from "./figures.ts";
export * from "./html_table.ts";
export * from "./tables.ts";
export * from "./prose.ts";
export * from "./study_prose.ts";
export * from "./variational.ts";
export * from "./denoising.ts";
export * from "./comparison.ts";
export * from "./study.ts";
export * from "./study_vae.ts";
export * from "./replicates.ts";
export * from "./conditional.ts";
