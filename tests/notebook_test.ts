/**
 * lib/notebook: the architecture table fits a page and adds up, counts read in the right number.
 */
import assert from "node:assert/strict";
import { initBackend } from "@kmnist/tfjs-blas";
import { AUTOENCODER_KINDS, buildModel } from "../lib/models/mod.ts";
import { escapeHtml } from "../lib/format/mod.ts";
import { architectureTable, countOf } from "../lib/notebook/mod.ts";
import { JUPYTER_DISPLAY } from "../lib/plot/mod.ts";

await initBackend({ backend: "cpu" });

Deno.test("architectureTable: every layer of encoder and decoder, parameters that add up to the total", () => {
  for (const kind of AUTOENCODER_KINDS) {
    const model = buildModel({ kind, seed: 0 });
    try {
      const table = architectureTable(model);
      const bundle = table[JUPYTER_DISPLAY]();
      assert.equal(bundle["text/html"], table.html);
      const rows = [...table.html.matchAll(/<tr>(.*?)<\/tr>/g)].map((m) =>
        [...m[1].matchAll(/<t[dh][^>]*>(.*?)<\/t[dh]>/g)].map((c) => c[1])
      );
      const body = rows.slice(1, -1);
      const layers = model.encoder.layers.length + model.decoder.layers.length;
      assert.equal(body.length, layers, `${kind}: one row per layer`);
      const sum = body.reduce((s, r) => s + Number(r[5].replace(/,/g, "")), 0);
      assert.equal(sum, model.countParams(), `${kind}: layer parameters add up to the total`);
      assert.match(rows.at(-1)!.join(" "), new RegExp(model.countParams().toLocaleString("en-US")));
      // The text form fits a printed page (tfjs's own summary is 90+ columns and wraps).
      for (const line of table.text.split("\n")) {
        assert.ok(line.length <= 96, `${kind}: text line of ${line.length} columns: ${line}`);
      }
      if (kind === "convolutional") assert.match(table.html, />Conv2DTranspose</);
    } finally {
      model.dispose();
    }
  }
});

Deno.test("countOf and escapeHtml", () => {
  assert.equal(countOf(1, "epoch"), "1 epoch");
  assert.equal(countOf(10, "epoch"), "10 epochs");
  assert.equal(countOf(0, "epoch"), "0 epochs");
  assert.equal(countOf(12_800, "image"), "12,800 images");
  assert.equal(escapeHtml(`<a href="x">&'`), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
});
