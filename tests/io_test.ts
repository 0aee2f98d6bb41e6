/**
 * lib/io: atomic writes (whole file or the old one, no temp file left, umask respected) and paths
 * shown relative to the project; the settings read from the environment.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import {
  chromiumSetting,
  DEFAULT_CHROMIUM,
  displayPath,
  isAtomicTemporary,
  PROJECT_ROOT,
  quickModeSetting,
  writeFileAtomic,
  writeFileAtomicSync,
  writeJsonAtomic,
} from "../lib/io/mod.ts";

Deno.test("writeFileAtomic: replaces the file whole, creates folders, leaves no temporary file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "io_test_" });
  try {
    const target = path.join(dir, "a", "b", "value.json");
    await writeJsonAtomic(target, { x: 1 });
    await writeJsonAtomic(target, { x: 2 });
    assert.deepEqual(JSON.parse(await Deno.readTextFile(target)), { x: 2 });
    writeFileAtomicSync(target, new TextEncoder().encode("sync"));
    assert.equal(await Deno.readTextFile(target), "sync");
    const names = [...Deno.readDirSync(path.dirname(target))].map((e) => e.name);
    assert.deepEqual(names, ["value.json"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeFileAtomic: a failed write keeps the old file and removes its temporary file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "io_test_" });
  try {
    const target = path.join(dir, "kept.txt");
    await Deno.writeTextFile(target, "old");
    // A folder where the file should go makes the rename fail after the bytes were written.
    const blocked = path.join(dir, "blocked");
    await Deno.mkdir(path.join(blocked, "inside"), { recursive: true });
    await assert.rejects(() => writeFileAtomic(blocked, new Uint8Array([1, 2, 3])));
    assert.equal(await Deno.readTextFile(target), "old");
    const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assert.deepEqual(names, ["blocked", "kept.txt"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeFileAtomic: the file gets the umask's permissions (0644 under umask 022)", async () => {
  if (Deno.build.os === "windows") return;
  const dir = await Deno.makeTempDir({ prefix: "io_test_" });
  const previous = Deno.umask(0o022);
  try {
    const target = path.join(dir, "mode.bin");
    await writeFileAtomic(target, new Uint8Array([7]));
    assert.equal((await Deno.stat(target)).mode! & 0o777, 0o644);
    writeFileAtomicSync(target, new Uint8Array([8]));
    assert.equal((await Deno.stat(target)).mode! & 0o777, 0o644);
  } finally {
    Deno.umask(previous);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("isAtomicTemporary recognises only the helper's temporary names", () => {
  assert.ok(isAtomicTemporary(".weights.bin.0a1b2c3d.tmp"));
  assert.ok(!isAtomicTemporary("weights.bin"));
  assert.ok(!isAtomicTemporary(".weights.bin.tmp"));
  assert.ok(!isAtomicTemporary(".weights.bin.0A1B2C3D.tmp"));
});

Deno.test("displayPath: relative inside the project and beside it, no absolute path elsewhere", () => {
  assert.equal(
    displayPath(path.join(PROJECT_ROOT, "runs", "vanilla")),
    path.join("runs", "vanilla"),
  );
  assert.equal(displayPath(PROJECT_ROOT), ".");
  assert.equal(
    displayPath(path.join(PROJECT_ROOT, "..", "shared", "data", "kmnist")),
    path.join("..", "shared", "data", "kmnist"),
  );
  assert.equal(displayPath("/srv/datasets/kmnist"), "…/datasets/kmnist");
});

/** Runs `fn` with the environment variable `name` set to `value` (unset: undefined), then restores it. */
function withEnv<T>(name: string, value: string | undefined, fn: () => T): T {
  const before = Deno.env.get(name);
  if (value === undefined) Deno.env.delete(name);
  else Deno.env.set(name, value);
  try {
    return fn();
  } finally {
    if (before === undefined) Deno.env.delete(name);
    else Deno.env.set(name, before);
  }
}

Deno.test("KMNIST_QUICK: 1 is quick, 0 / unset / empty full, anything else refused with the fix", () => {
  assert.equal(withEnv("KMNIST_QUICK", "1", quickModeSetting), true);
  assert.equal(withEnv("KMNIST_QUICK", "0", quickModeSetting), false);
  assert.equal(withEnv("KMNIST_QUICK", undefined, quickModeSetting), false);
  assert.equal(withEnv("KMNIST_QUICK", "", quickModeSetting), false);
  for (const bad of ["yes", "true", "2", " 1"]) {
    assert.throws(
      () => withEnv("KMNIST_QUICK", bad, quickModeSetting),
      new RegExp(`KMNIST_QUICK=${JSON.stringify(bad)} is not a setting: use KMNIST_QUICK=1`),
    );
  }
});

Deno.test("KMNIST_CHROMIUM names the Chromium binary; Debian's when unset", () => {
  assert.equal(withEnv("KMNIST_CHROMIUM", undefined, chromiumSetting), DEFAULT_CHROMIUM);
  assert.equal(withEnv("KMNIST_CHROMIUM", "/opt/chrome", chromiumSetting), "/opt/chrome");
});
