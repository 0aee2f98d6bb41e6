/**
 * Font tests: Kuzushiji labels render as real, distinct glyphs (not tofu boxes), and a missing
 * font gives an error that names the Debian package and `deno task setup`.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { KMNIST_CLASSES } from "../lib/data/mod.ts";
import {
  type DecodedImage,
  decodePng,
  ensureFonts,
  glyphBitmap,
  latentScatter,
} from "../lib/plot/mod.ts";

function differingPixels(a: Uint8Array, b: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

function inked(bits: Uint8Array): number {
  return bits.reduce((s, v) => s + v, 0);
}

/** Dark pixels (R < 128) of a logical-pixel box of a PNG rendered at `scale`, as 0/1. */
function darkBitmap(
  png: DecodedImage,
  box: { x: number; y: number; width: number; height: number },
  scale: number,
): Uint8Array {
  const x0 = Math.floor(box.x * scale);
  const y0 = Math.floor(box.y * scale);
  const w = Math.ceil(box.width * scale);
  const h = Math.ceil(box.height * scale);
  const bits = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      bits[y * w + x] = png.data[((y0 + y) * png.width + x0 + x) * 4] < 128 ? 1 : 0;
    }
  }
  return bits;
}

Deno.test("the CJK font is registered and お, を differ from each other and from tofu", () => {
  const path = ensureFonts();
  assert.match(path, /NotoSansCJK|noto/i);
  const o = glyphBitmap("お");
  const wo = glyphBitmap("を");
  const tofuPua = glyphBitmap("\uE000");
  const tofuUnassigned = glyphBitmap("\u0378");
  assert.ok(inked(o) > 40 && inked(wo) > 40, "glyphs are not blank");
  for (const tofu of [tofuPua, tofuUnassigned]) {
    assert.ok(differingPixels(o, tofu) > 30, "お is not drawn as the missing-glyph box");
    assert.ok(differingPixels(wo, tofu) > 30, "を is not drawn as the missing-glyph box");
  }
  assert.ok(differingPixels(o, wo) > 30, "お and を are different glyphs");
});

Deno.test("latentScatter legend shows non-blank, distinct glyphs for お and を (not tofu)", async () => {
  const codes = [[0, 0], [1, 1], [2, 0], [0, 2]];
  const labels = [0, 9, 0, 9];
  const real = latentScatter({ codes, labels });
  const tofuClasses = KMNIST_CLASSES.map((c) => ({ char: "\uE000", romaji: c.romaji }));
  const tofu = latentScatter({ codes, labels, classes: tofuClasses });
  const [pngReal, pngTofu] = await Promise.all([decodePng(real.toPng()), decodePng(tofu.toPng())]);
  const glyphBox = (fig: typeof real, index: number) => {
    const label = fig.layout.legend.labels[index];
    return { x: label.x, y: label.y, width: 14, height: label.height };
  };
  const o = darkBitmap(pngReal, glyphBox(real, 0), real.scale);
  const wo = darkBitmap(pngReal, glyphBox(real, 9), real.scale);
  const box = darkBitmap(pngTofu, glyphBox(tofu, 0), tofu.scale);
  assert.ok(inked(o) > 30 && inked(wo) > 30, `non-blank: お ${inked(o)}, を ${inked(wo)}`);
  assert.ok(differingPixels(o, wo) > 30, "お and を glyphs differ in the legend");
  assert.ok(differingPixels(o, box) > 30, "お differs from the tofu rendering");
  assert.ok(differingPixels(wo, box) > 30, "を differs from the tofu rendering");
});

/** Runs ensureFonts() in a fresh process with KMNIST_CJK_FONT set; returns exit code and stderr. */
async function ensureFontsWith(fontPath: string): Promise<{ code: number; text: string }> {
  const root = fileURLToPath(new URL("..", import.meta.url));
  const command = new Deno.Command(Deno.execPath(), {
    args: ["eval", `import { ensureFonts } from "./lib/plot/fonts.ts"; ensureFonts();`],
    cwd: root,
    env: { KMNIST_CJK_FONT: fontPath, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  });
  const { code, stderr } = await command.output();
  return { code, text: new TextDecoder().decode(stderr) };
}

Deno.test("a missing font fails with an error naming fonts-noto-cjk and deno task setup", async () => {
  const { code, text } = await ensureFontsWith("/nonexistent/NotoSansCJK-Regular.ttc");
  assert.notEqual(code, 0);
  assert.match(text, /fonts-noto-cjk/);
  assert.match(text, /deno task setup/);
  assert.match(text, /\/nonexistent\/NotoSansCJK-Regular\.ttc/);
});

Deno.test("a font without hiragana is detected (tofu), not silently used", async () => {
  const latinOnly = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"; // fonts-dejavu-core
  const { code, text } = await ensureFontsWith(latinOnly);
  assert.notEqual(code, 0);
  assert.match(text, /does not render hiragana/);
  assert.match(text, /fonts-noto-cjk/);
});
