/** Tests of the Figure class: PNG size and content, the Jupyter bundle, atomic PNG/SVG saves. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { decodePng, Figure, JUPYTER_DISPLAY, pixelAt } from "../lib/plot/mod.ts";

/** A figure with a red square at logical (10, 10)-(30, 30) on white. */
function redSquare(scale?: number): Figure<{ square: [number, number, number, number] }> {
  return new Figure({
    width: 120,
    height: 80,
    scale,
    title: "red <square>",
    layout: { square: [10, 10, 20, 20] },
    draw: (ctx) => {
      ctx.fillStyle = "#FF0000";
      ctx.fillRect(10, 10, 20, 20);
    },
  });
}

Deno.test("toPng renders width*scale x height*scale pixels with the content where drawn", async () => {
  for (const scale of [1, 2, 3]) {
    const image = await decodePng(redSquare(scale).toPng());
    assert.equal(image.width, 120 * scale);
    assert.equal(image.height, 80 * scale);
    assert.deepEqual(pixelAt(image, 20 * scale, 20 * scale), [255, 0, 0], `inside, scale ${scale}`);
    assert.deepEqual(pixelAt(image, 60 * scale, 20 * scale), [255, 255, 255], "background");
    assert.deepEqual(pixelAt(image, 20 * scale, 40 * scale), [255, 255, 255], "below the square");
  }
  const override = await decodePng(redSquare(2).toPng({ scale: 1 }));
  assert.equal(override.width, 120);
});

Deno.test("Jupyter display bundle: base64 PNG at 2x, <img> at the logical width, escaped alt", async () => {
  const fig = redSquare();
  assert.equal(JUPYTER_DISPLAY, Symbol.for("Jupyter.display"));
  const bundle = fig[JUPYTER_DISPLAY]();
  const bytes = Uint8Array.from(atob(bundle["image/png"]), (c) => c.charCodeAt(0));
  const image = await decodePng(bytes);
  assert.equal(image.width, 240, "rendered at scale 2 by default");
  assert.match(bundle["text/html"], /^<img src="data:image\/png;base64,/);
  assert.match(bundle["text/html"], /width="120" height="80"/);
  assert.ok(bundle["text/html"].includes(bundle["image/png"]));
  assert.ok(bundle["text/html"].includes("red &lt;square&gt;"), "title is HTML-escaped");
  assert.match(bundle["text/plain"], /120x80/);
});

Deno.test("save writes PNG and SVG atomically (no temp files) and rejects other extensions", async () => {
  const dir = await Deno.makeTempDir({ prefix: "plot_figure_test_" });
  try {
    const fig = redSquare();
    const pngPath = fig.save(join(dir, "nested", "fig.png"));
    const png = await decodePng(await Deno.readFile(pngPath));
    assert.equal(png.width, 240);
    assert.deepEqual(pixelAt(png, 40, 40), [255, 0, 0]);
    // overwrite in place
    fig.save(join(dir, "nested", "fig.png"), { scale: 1 });
    assert.equal((await decodePng(await Deno.readFile(pngPath))).width, 120);
    const svgPath = fig.save(join(dir, "fig.svg"));
    const svg = await Deno.readTextFile(svgPath);
    assert.match(svg, /<svg[^>]*width="120"[^>]*height="80"/);
    assert.match(svg, /fill="(#FF0000|#ff0000|red)"/i);
    const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assert.deepEqual(names, ["fig.svg", "nested"]);
    assert.deepEqual([...Deno.readDirSync(join(dir, "nested"))].map((e) => e.name), ["fig.png"]);
    assert.throws(() => fig.save(join(dir, "fig.jpg")), /use \.png or \.svg/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Figure rejects bad sizes and scales", () => {
  const draw = () => {};
  assert.throws(() => new Figure({ width: 0, height: 10, draw, layout: {} }), /width/);
  assert.throws(() => new Figure({ width: 10, height: NaN, draw, layout: {} }), /height/);
  assert.throws(() => new Figure({ width: 10, height: 10, scale: -1, draw, layout: {} }), /scale/);
});
