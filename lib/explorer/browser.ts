/**
 * Opens an explorer page in Debian's Chromium, driven by puppeteer-core, with the network off:
 * every request other than the page's own `file://` URL (and inline `data:` URLs) is blocked and
 * recorded. Used by the
 * browser test and by `deno task explorer --screenshot`. Never downloads a browser.
 *
 * @module
 */
import { pathToFileURL } from "node:url";
import * as path from "node:path";
import puppeteer, { type Browser, type Frame, type Page } from "puppeteer-core";
import { chromiumSetting } from "../io/mod.ts";

/** An open explorer page and what it did. */
export interface OpenedExplorer {
  /** The browser (close it with {@link OpenedExplorer.close}). */
  browser: Browser;
  /** The page, with the explorer started (or failed with its message). */
  page: Page;
  /** URLs the page tried to fetch beyond its own file (all blocked). */
  blocked: string[];
  /** The same requests with the URL of the frame that made them ("about:srcdoc" in an iframe). */
  blockedBy: { url: string; frame: string }[];
  /** Console messages of type "error" and uncaught page errors. */
  errors: string[];
  /** Opens another file in the same page (also allowed through the block), then waits. */
  open(file: string, options?: { wait?: boolean }): Promise<void>;
  /** Closes the browser. */
  close(): Promise<void>;
}

/** Waits until the explorer in `frame` says "ready" or "error" (its root's data-explorer). */
export async function waitForExplorer(frame: Page | Frame): Promise<string> {
  // A string, evaluated in the page (this module is type-checked without the DOM's types).
  const handle = await frame.waitForFunction("document.documentElement.dataset.explorer", {
    timeout: 120_000,
  });
  return String(await handle.jsonValue());
}

/** Options of {@link openExplorer}. */
export interface OpenExplorerOptions {
  /** The HTML file to open. */
  file: string;
  /** Viewport width (default 1000). */
  width?: number;
  /** Viewport height (default 900). */
  height?: number;
  /** Chromium binary (default `KMNIST_CHROMIUM` or /usr/bin/chromium). */
  executablePath?: string;
  /** Wait until the explorer in the page says ready or error (default true). */
  wait?: boolean;
}

/**
 * Opens `file` from `file://` in headless Chromium with request interception (only the page
 * itself loads) and waits until the explorer says ready or error.
 */
export async function openExplorer(options: OpenExplorerOptions): Promise<OpenedExplorer> {
  const executablePath = options.executablePath ?? chromiumSetting();
  try {
    await Deno.stat(executablePath);
  } catch {
    throw new Error(
      `No Chromium at ${executablePath}: install Debian's chromium (deno task setup), or set ` +
        `KMNIST_CHROMIUM to a Chromium binary.`,
    );
  }
  const browser = await puppeteer.launch({
    executablePath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions"],
    defaultViewport: { width: options.width ?? 1000, height: options.height ?? 900 },
  });
  const blocked: string[] = [];
  const blockedBy: { url: string; frame: string }[] = [];
  const errors: string[] = [];
  const allowed = new Set<string>();
  try {
    const page = await browser.newPage();
    await page.setRequestInterception(true);
    page.on("request", (request) => {
      // The opened files, and data: URLs (inline images: bytes already in the page, no network).
      if (allowed.has(request.url()) || request.url().startsWith("data:")) request.continue();
      else {
        blocked.push(request.url());
        blockedBy.push({ url: request.url(), frame: request.frame()?.url() ?? "" });
        request.abort();
      }
    });
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    page.on("pageerror", (error) => errors.push(String(error)));
    const open = async (file: string, opts: { wait?: boolean } = {}) => {
      const url = pathToFileURL(path.resolve(file)).href;
      allowed.add(url);
      await page.goto(url, { waitUntil: "load" });
      if (opts.wait ?? true) await waitForExplorer(page);
    };
    await open(options.file, { wait: options.wait });
    return { browser, page, blocked, blockedBy, errors, open, close: () => browser.close() };
  } catch (error) {
    await browser.close();
    throw error;
  }
}
