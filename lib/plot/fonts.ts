/**
 * Fonts for figures: Noto Sans CJK (Debian `fonts-noto-cjk`) so that Kuzushiji class labels
 * render as real characters, not as empty "tofu" boxes.
 *
 * @module
 */
import { createCanvas, GlobalFonts } from "@napi-rs/canvas";

/**
 * The family name the figures ask for: the font file is registered under this private alias, so
 * figures use exactly that file (not whatever fontconfig would substitute).
 */
export const CJK_FONT_FAMILY = "KMNIST Noto Sans CJK";

/** The CSS font-family list used by every text element of a figure. */
export const FONT_STACK = `"${CJK_FONT_FAMILY}", sans-serif`;

/**
 * Where the font is looked for, first match wins. `KMNIST_CJK_FONT` (a path to a .ttc/.otf/.ttf)
 * overrides the list.
 */
export const CJK_FONT_CANDIDATES: readonly string[] = [
  "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
  "/usr/share/fonts/opentype/noto-cjk/NotoSansCJK-Regular.ttc",
  "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
  "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
];

let registeredPath: string | undefined;

function fileExists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** A small bitmap (alpha > 127 as 1) of one character drawn in {@link FONT_STACK}. */
export function glyphBitmap(char: string, sizePx = 32): Uint8Array {
  const size = Math.ceil(sizePx * 1.5);
  const canvas = createCanvas(size, size);
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#000";
  ctx.font = `${sizePx}px ${FONT_STACK}`;
  ctx.textBaseline = "top";
  ctx.fillText(char, sizePx * 0.2, sizePx * 0.2);
  const rgba = ctx.getImageData(0, 0, size, size).data;
  const bits = new Uint8Array(size * size);
  for (let i = 0; i < bits.length; i++) bits[i] = rgba[i * 4 + 3] > 127 ? 1 : 0;
  return bits;
}

function sameBitmap(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Registers Noto Sans CJK with the canvas library (once per process) and checks that hiragana
 * really render: お and を must differ from each other and from the "missing glyph" rendering of
 * the private-use code point U+E000.
 *
 * @returns the font file used.
 * @throws Error naming the Debian package and `deno task setup` when the font is missing or does
 *   not render hiragana.
 */
export function ensureFonts(): string {
  if (registeredPath !== undefined) return registeredPath;
  const override = Deno.env.get("KMNIST_CJK_FONT");
  const candidates = override ? [override] : CJK_FONT_CANDIDATES;
  const path = candidates.find(fileExists);
  const fix = "Install the Debian package fonts-noto-cjk: run `deno task setup` " +
    "(tools/install_system_deps.sh), or `apt-get install fonts-noto-cjk`, or set KMNIST_CJK_FONT " +
    "to a Noto Sans CJK .ttc/.otf file.";
  if (path === undefined) {
    throw new Error(
      `Figures need the Noto Sans CJK font for the Kuzushiji labels, but none of ` +
        `${candidates.join(", ")} exists. ${fix}`,
    );
  }
  const key = GlobalFonts.registerFromPath(path, CJK_FONT_FAMILY);
  if (key === null || !GlobalFonts.has(CJK_FONT_FAMILY)) {
    throw new Error(`Could not register the font file ${path} as "${CJK_FONT_FAMILY}". ${fix}`);
  }
  // The bold face (same folder) gives real bold titles, also in SVG; optional.
  const boldPath = path.replace(/Regular(\.[a-z]+)$/i, "Bold$1");
  if (boldPath !== path && fileExists(boldPath)) {
    GlobalFonts.registerFromPath(boldPath, CJK_FONT_FAMILY);
  }
  const o = glyphBitmap("お");
  const wo = glyphBitmap("を");
  const tofu = glyphBitmap("\uE000");
  if (sameBitmap(o, wo) || sameBitmap(o, tofu) || o.every((v) => v === 0)) {
    throw new Error(
      `The font ${path} does not render hiragana (お draws like a missing glyph). ${fix}`,
    );
  }
  registeredPath = path;
  return path;
}

/** A CSS font shorthand in the figure font, e.g. `font(12, "bold")`. */
export function font(sizePx: number, weight: "normal" | "bold" = "normal"): string {
  return `${weight === "bold" ? "bold " : ""}${sizePx}px ${FONT_STACK}`;
}

let measureContext: ReturnType<ReturnType<typeof createCanvas>["getContext"]> | undefined;

/** Width in logical pixels of `text` drawn in `cssFont` (see {@link font}). */
export function measureText(text: string, cssFont: string): number {
  measureContext ??= createCanvas(4, 4).getContext("2d");
  measureContext.font = cssFont;
  return measureContext.measureText(text).width;
}
