/**
 * The Deno kernel's late outputs (issue #14, part 6) on the real kernel and real runners: the
 * repro notebook tests/e2e/fixtures/notebooks/late_outputs.ipynb (30 cells of `console.log` + a
 * value) through `jupyter nbconvert --execute` and through a Run All client keeps every output in
 * its own cell with the project's kernelspec (deno behind jupyter/kernels/deno/ordered_kernel.py),
 * and the bare kernel still loses outputs under nbconvert (the fault the proxy works around).
 *
 * The kernelspec's setting comes from the environment: `KMNIST_KERNEL_ORDERING=0 deno test -A
 * tests/e2e/late_outputs_test.ts` runs the first two tests on the bare kernel, as before the fix.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../lib/io/mod.ts";
import {
  countLateOutputs,
  type LateOutputRunner,
  type LateOutputsRun,
  runLateOutputsNotebook,
} from "../../tools/measure_late_outputs.ts";

const DENO = Deno.env.get("KMNIST_DENO") ?? Deno.execPath();

function describe(run: LateOutputsRun): string {
  return `${run.cellsLost} of ${run.cells} cells lost (cells ${run.lostCells.join(", ")}: ` +
    `${run.linesLost} lines, ${run.valuesLost} values), ${run.misplaced} misplaced`;
}

async function assertNoneLost(runner: LateOutputRunner, runs: number): Promise<void> {
  for (let run = 0; run < runs; run++) {
    const result = await runLateOutputsNotebook({ deno: DENO, runner });
    assert.equal(result.cells, 30);
    assert.ok(
      result.cellsLost === 0 && result.misplaced === 0,
      `${runner} run ${run + 1}: ${describe(result)}`,
    );
  }
}

Deno.test("nbconvert --execute keeps every line and value of the repro notebook (3 runs)", async () => {
  await assertNoneLost("nbconvert", 3);
});

Deno.test("Run All (every cell sent at once) shows every output under its own cell (2 runs)", async () => {
  await assertNoneLost("runall", 2);
});

Deno.test("the bare Deno kernel still loses outputs under nbconvert --execute", async () => {
  // One run in ten or so loses nothing by chance: up to 5 runs, stopping at the first loss.
  const seen: string[] = [];
  for (let run = 0; run < 5; run++) {
    const result = await runLateOutputsNotebook({
      deno: DENO,
      runner: "nbconvert",
      ordering: false,
    });
    seen.push(describe(result));
    if (result.cellsLost > 0) return;
  }
  assert.fail(
    `the bare kernel lost nothing in 5 nbconvert runs (${seen.join("; ")}): this deno may have ` +
      "fixed its late outputs; re-measure with tools/measure_late_outputs.ts --ordering off and " +
      "consider dropping jupyter/kernels/deno/ordered_kernel.py",
  );
});

Deno.test("countLateOutputs finds lost, misplaced and intact outputs", () => {
  const cell = (n: number, outputs: unknown[]) => ({
    cell_type: "code",
    source: [`console.log("line ${n}");\n`, `"value ${n}";`],
    outputs,
  });
  const line = (n: number) => ({ output_type: "stream", name: "stdout", text: [`line ${n}\n`] });
  const value = (n: number) => ({
    output_type: "execute_result",
    data: { "text/plain": `"value ${n}"` },
  });
  const count = countLateOutputs({
    cells: [
      { cell_type: "markdown", source: "not counted" },
      cell(1, [line(1), value(1)]),
      cell(2, [line(2)]), // its value went under cell 3
      cell(3, [value(2), line(3), value(3)]),
      cell(4, []), // both lost
    ] as never,
  });
  assert.deepEqual(count, {
    cells: 4,
    cellsLost: 2,
    linesLost: 1,
    valuesLost: 2,
    misplaced: 1,
    lostCells: [1, 3],
  });
  assert.throws(
    () => countLateOutputs({ cells: [{ cell_type: "code", source: "1 + 1" }] as never }),
    /code cell 0 is not .*late_outputs\.ipynb/,
  );
});

/**
 * Runs jupyter/kernels/deno/ordered_kernel.py with a fake kernel (`bash -c SCRIPT`, which gets
 * `jupyter --kernel --conn FILE` as $1..$4) and a client that sends one shell message at once,
 * then optionally SIGINT; returns the proxy's exit status.
 */
async function runProxyWithFakeKernel(script: string, interrupt: boolean): Promise<number> {
  const python = `
import json, os, signal, socket, subprocess, sys, tempfile, time, zmq
def port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
ports = {f"{name}_port": port() for name in ("shell", "iopub", "control", "stdin", "hb")}
info = {"ip": "127.0.0.1", "transport": "tcp", "key": "k", "signature_scheme": "hmac-sha256", **ports}
folder = tempfile.mkdtemp()
conn = os.path.join(folder, "kernel.json")
json.dump(info, open(conn, "w"))
proxy = subprocess.Popen([sys.executable, sys.argv[1], conn, "bash", "-c", sys.argv[2], "fake"])
client = zmq.Context().socket(zmq.DEALER)
client.setsockopt(zmq.LINGER, 0)
client.connect(f"tcp://127.0.0.1:{info['shell_port']}")
header = {"msg_id": "m1", "msg_type": "kernel_info_request", "session": "s", "username": "u",
          "version": "5.3"}
client.send_multipart([b"<IDS|MSG>", b"", json.dumps(header).encode(), b"{}", b"{}", b"{}"])
if sys.argv[3] == "interrupt":
    time.sleep(1)
    proxy.send_signal(signal.SIGINT)
code = proxy.wait(timeout=30)
print(json.dumps({"code": code, "leftovers": sorted(os.listdir(folder))}))
`;
  const result = await new Deno.Command("/usr/bin/python3", {
    args: [
      "-c",
      python,
      join(PROJECT_ROOT, "jupyter", "kernels", "deno", "ordered_kernel.py"),
      script,
      interrupt ? "interrupt" : "none",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(result.stderr);
  assert.ok(result.success, stderr);
  const { code, leftovers } = JSON.parse(new TextDecoder().decode(result.stdout));
  assert.deepEqual(leftovers, ["kernel.json"], "the proxy removes the connection file it wrote");
  return code;
}

Deno.test("the kernel proxy keeps deno's connection file until deno has read it", async () => {
  // The fake kernel reads its connection file only after the client's first message came in.
  const code = await runProxyWithFakeKernel(
    'sleep 1; grep -q shell_port "$4" && exit 0; echo "no connection file $4" >&2; exit 3',
    false,
  );
  assert.equal(code, 0, "deno must find its connection file even when a client is quicker");
});

Deno.test("the kernel proxy keeps Jupyter's interrupt (SIGINT) from deno and exits with deno's status", async () => {
  // Deno's kernel dies on a SIGINT (denoland/deno issue 24491), so Stop reaches the library through
  // a stop file instead (tests/e2e/interrupt_test.ts): the fake kernel must never see the signal.
  const code = await runProxyWithFakeKernel(
    "trap 'exit 7' INT; for i in $(seq 30); do sleep 0.1; done; exit 3",
    true,
  );
  assert.equal(code, 3);
});
