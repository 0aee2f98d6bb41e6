/**
 * Soak (issue #14, part 5): many epochs on a small subset with a checkpoint after each, in a child
 * process that can force garbage collections; the tfjs tensor count stays exactly constant from
 * epoch to epoch, and the live memory (JS heap + array buffers, after a full collection) and the
 * resident memory stay bounded. `KMNIST_SOAK_EPOCHS` sets the length (default 60); the figures
 * are printed.
 */
import assert from "node:assert/strict";

interface Sample {
  epoch: number;
  tensors: number;
  rss: number;
  heapUsed: number;
  external: number;
}

Deno.test("soak: a checkpoint every epoch for many epochs; tensors constant, memory bounded", async () => {
  const epochs = Number(Deno.env.get("KMNIST_SOAK_EPOCHS") ?? 60);
  const dir = await Deno.makeTempDir({ prefix: "kmnist_soak_" });
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        "--v8-flags=--expose-gc",
        new URL("./helpers/soak_run.ts", import.meta.url).pathname,
        String(epochs),
        dir,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assert.ok(out.success, text + new TextDecoder().decode(out.stderr));
    const samples: Sample[] = text.trim().split("\n").map((line) => JSON.parse(line));
    assert.equal(samples.length, epochs);

    const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
    const warm = samples[Math.min(9, epochs - 1)];
    const last = samples.at(-1)!;
    const live = (s: Sample) => s.heapUsed + s.external;
    const peakRss = Math.max(...samples.slice(warm.epoch - 1).map((s) => s.rss));
    const tensors = samples.map((s) => s.tensors);
    console.log(
      `soak: ${epochs} epochs with a checkpoint each; tfjs tensors ${Math.min(...tensors)}..` +
        `${Math.max(...tensors)}; live JS memory after GC epoch ${warm.epoch} ` +
        `${mb(live(warm))} MiB, epoch ${last.epoch} ${mb(live(last))} MiB; RSS epoch ` +
        `${warm.epoch} ${mb(warm.rss)} MiB, epoch ${last.epoch} ${mb(last.rss)} MiB, peak ` +
        `${mb(peakRss)} MiB`,
    );
    assert.ok(tensors.every((n) => n === tensors[0]), `tensor count moved: ${tensors.join(",")}`);
    // A leak of one checkpoint's bytes per epoch (~0.6 MiB) would add 30 MiB over 50 epochs.
    assert.ok(
      live(last) - live(warm) < 8 * 2 ** 20,
      `live memory grew ${mb(live(last) - live(warm))} MiB`,
    );
    assert.ok(peakRss - warm.rss < 64 * 2 ** 20, `RSS grew to ${mb(peakRss)} MiB`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
