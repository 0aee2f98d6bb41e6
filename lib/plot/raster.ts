/**
 * Drawing of small greyscale images and heat maps, pixel-exact (nearest neighbour).
 *
 * @module
 */
import { createCanvas, type SKRSContext2D } from "@napi-rs/canvas";
import type { Box } from "./axes.ts";
import { viridis } from "./palette.ts";

/** How image values in [0, 1] become colours. */
export type Colormap = "gray" | "gray-inverted" | "viridis";

/**
 * Draws one `height x width` image of values in [0, 1] into `box`, each image pixel a solid
 * block (no smoothing). `gray`: 0 black, 1 white (KMNIST as stored); `gray-inverted`: ink dark on
 * white; `viridis`: heat map.
 */
export function drawImageValues(
  ctx: SKRSContext2D,
  values: ArrayLike<number>,
  height: number,
  width: number,
  box: Box,
  colormap: Colormap = "gray",
  scaleMax = 1,
): void {
  const tile = createCanvas(width, height);
  const tctx = tile.getContext("2d");
  const image = tctx.createImageData(width, height);
  const rgba = image.data;
  for (let i = 0; i < height * width; i++) {
    const t = Math.min(1, Math.max(0, values[i] / scaleMax));
    let r: number, g: number, b: number;
    if (colormap === "viridis") [r, g, b] = viridis(t);
    else {
      const v = Math.round((colormap === "gray" ? t : 1 - t) * 255);
      r = g = b = v;
    }
    rgba[i * 4] = r;
    rgba[i * 4 + 1] = g;
    rgba[i * 4 + 2] = b;
    rgba[i * 4 + 3] = 255;
  }
  tctx.putImageData(image, 0, 0);
  ctx.save();
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(tile, box.x, box.y, box.width, box.height);
  ctx.restore();
}
