/**
 * `seedrandom` as tfjs-core's ES module files import it (`import * as seedrandom`, then
 * `seedrandom.alea(...)`). The npm package is CommonJS and attaches its generators to the exported
 * function at run time, which Deno's static CommonJS export detection cannot see; this module
 * re-exports them by name. Used only by the conformance run's import map (import_map.ts).
 *
 * @module
 */
import { createRequire } from "node:module";
import { coreDistDirectory } from "./suite.ts";

type Generators = Record<string, (...args: unknown[]) => unknown>;
// The seedrandom that tfjs-core itself depends on, resolved from tfjs-core's package folder.
const requireFromCore = createRequire(`${await coreDistDirectory()}/index.js`);
const seedrandom = requireFromCore("seedrandom") as Generators & ((...args: unknown[]) => unknown);
const generators: Generators = seedrandom;

/** The Alea generator tfjs-core's random ops use. */
export const alea = generators.alea;
/** The xor128 generator. */
export const xor128 = generators.xor128;
/** The xorwow generator. */
export const xorwow = generators.xorwow;
/** The xorshift7 generator. */
export const xorshift7 = generators.xorshift7;
/** The xor4096 generator. */
export const xor4096 = generators.xor4096;
/** The Tyche-i generator. */
export const tychei = generators.tychei;
/** The ARC4-based `seedrandom` function itself. */
export default seedrandom;
