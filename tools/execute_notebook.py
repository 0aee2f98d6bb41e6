#!/usr/bin/python3
"""Executes a Jupyter notebook through the project's Deno kernel and saves it with all its outputs.

    /usr/bin/python3 tools/execute_notebook.py notebooks/01_vanilla.ipynb            # in place
    /usr/bin/python3 tools/execute_notebook.py IN.ipynb -o OUT.ipynb --timeout 900   # to another file
    KMNIST_QUICK=1 /usr/bin/python3 tools/execute_notebook.py IN.ipynb -o /tmp/out.ipynb

Why not `jupyter nbconvert --execute`: the Deno kernel can report "idle" before the last outputs of
a cell have been published, so a client that stops reading at "idle" loses outputs at random. Here,
after a cell's execute_reply and its idle status, iopub is read on until it has been quiet for a
grace period (--grace, 0.5 s), and every output is attached by its parent msg_id to the cell that
produced it (late outputs of an earlier cell still land in that cell).

Handles stream (merged per stream name), display_data, update_display_data (replaces every output
with that display_id), execute_result, error and clear_output (with wait=True too).

The kernel is the project-local kernelspec kernels/<name>/kernel.json (default name: the notebook's
metadata.kernelspec.name, else "deno"); it runs in --cwd (default: the input notebook's folder), so
relative imports such as "../lib/mod.ts" and the import map of deno.json work. The environment is
passed through to the kernel (e.g. KMNIST_QUICK=1); --env KEY=VALUE adds to it.

Exit status: 0 when every code cell ran without error; 1 when a cell failed (the message names the
notebook, the cell index and its first line, and the error), timed out, or the kernel died; 2 for bad
arguments. The output notebook is written atomically (temp file + rename) in every case where at
least the kernel started, so a failed run can be inspected.
"""

import argparse
import os
import queue
import sys
import tempfile
import time

try:
    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
    from jupyter_client.manager import KernelManager
except ImportError as error:  # pragma: no cover - depends on the machine
    sys.stderr.write(
        f"execute_notebook: missing Python package ({error}). Install the Debian packages "
        "jupyter-client and python3-nbformat (bash tools/install_system_deps.sh does it).\n"
    )
    sys.exit(2)

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KERNELS_DIR = os.path.join(PROJECT_ROOT, "jupyter", "kernels")


class CellFailure(Exception):
    """A cell raised, timed out, or the kernel died while running it."""


def log(message):
    sys.stderr.write(f"execute_notebook: {message}\n")
    sys.stderr.flush()


def first_line(source):
    for line in source.splitlines():
        if line.strip():
            return line.strip()[:100]
    return "(empty cell)"


class OutputCollector:
    """Turns iopub messages into nbformat outputs, per parent msg_id."""

    def __init__(self):
        self.outputs_by_msg = {}  # msg_id -> list of outputs (the cell's outputs list)
        self.count_by_msg = {}  # msg_id -> execution_count from execute_input
        self.idle = set()  # msg_ids whose status went idle
        self.pending_clear = set()  # msg_ids with a clear_output(wait=True) pending
        self.display_ids = {}  # display_id -> list of output dicts to update
        self.errors_by_msg = {}  # msg_id -> error output

    def register(self, msg_id, outputs):
        self.outputs_by_msg[msg_id] = outputs

    def _append(self, msg_id, output):
        outputs = self.outputs_by_msg[msg_id]
        if msg_id in self.pending_clear:
            self.pending_clear.discard(msg_id)
            del outputs[:]
        if (
            output["output_type"] == "stream"
            and outputs
            and outputs[-1]["output_type"] == "stream"
            and outputs[-1]["name"] == output["name"]
        ):
            outputs[-1]["text"] += output["text"]
            return
        outputs.append(output)

    def handle(self, msg):
        """Applies one iopub message. Returns False when it belongs to no known cell."""
        parent = msg.get("parent_header", {}).get("msg_id")
        msg_type = msg["header"]["msg_type"]
        content = msg["content"]
        if msg_type == "update_display_data":
            # Updates may come from any cell and apply to every output with that display id.
            display_id = content.get("transient", {}).get("display_id")
            for output in self.display_ids.get(display_id, []):
                output["data"] = content.get("data", {})
                output["metadata"] = content.get("metadata", {})
            return True
        if parent not in self.outputs_by_msg:
            return False
        if msg_type == "status":
            if content.get("execution_state") == "idle":
                self.idle.add(parent)
        elif msg_type == "execute_input":
            self.count_by_msg[parent] = content.get("execution_count")
        elif msg_type == "stream":
            self._append(
                parent,
                nbformat.v4.new_output("stream", name=content["name"], text=content["text"]),
            )
        elif msg_type in ("display_data", "execute_result"):
            if msg_type == "display_data":
                output = nbformat.v4.new_output(
                    "display_data",
                    data=content.get("data", {}),
                    metadata=content.get("metadata", {}),
                )
            else:
                output = nbformat.v4.new_output(
                    "execute_result",
                    data=content.get("data", {}),
                    metadata=content.get("metadata", {}),
                    execution_count=content.get("execution_count"),
                )
            self._append(parent, output)
            display_id = content.get("transient", {}).get("display_id")
            if display_id:
                self.display_ids.setdefault(display_id, []).append(output)
        elif msg_type == "error":
            output = nbformat.v4.new_output(
                "error",
                ename=content.get("ename", "Error"),
                evalue=content.get("evalue", ""),
                traceback=content.get("traceback", []),
            )
            self._append(parent, output)
            self.errors_by_msg[parent] = output
        elif msg_type == "clear_output":
            if content.get("wait"):
                self.pending_clear.add(parent)
            else:
                del self.outputs_by_msg[parent][:]
        return True


def drain_iopub(client, collector, until_quiet_for, deadline=None):
    """Reads iopub until it has been quiet for `until_quiet_for` seconds (or the deadline)."""
    last = time.monotonic()
    while True:
        now = time.monotonic()
        if now - last >= until_quiet_for or (deadline is not None and now >= deadline):
            return
        try:
            msg = client.get_iopub_msg(timeout=min(0.05, until_quiet_for))
        except queue.Empty:
            continue
        collector.handle(msg)
        last = time.monotonic()


def run_cell(km, client, collector, cell, index, args):
    """Executes one code cell; fills cell.outputs and execution_count; raises CellFailure."""
    cell.outputs = []
    msg_id = client.execute(cell.source, store_history=True, allow_stdin=False, stop_on_error=True)
    collector.register(msg_id, cell.outputs)
    started = time.monotonic()
    deadline = started + args.timeout if args.timeout > 0 else None
    reply = None
    last_alive_check = started
    while reply is None or msg_id not in collector.idle:
        now = time.monotonic()
        if deadline is not None and now > deadline:
            km.interrupt_kernel()
            drain_iopub(client, collector, args.grace, time.monotonic() + 5)
            raise CellFailure(f"timed out after {args.timeout:g} s (raise it with --timeout)")
        if now - last_alive_check > 1.0:
            last_alive_check = now
            if not km.is_alive():
                raise CellFailure("the kernel died while running this cell")
        try:
            msg = client.get_iopub_msg(timeout=0.05)
            collector.handle(msg)
        except queue.Empty:
            pass
        if reply is None:
            try:
                shell_msg = client.get_shell_msg(timeout=0)
            except queue.Empty:
                shell_msg = None
            if shell_msg is not None and shell_msg.get("parent_header", {}).get("msg_id") == msg_id:
                reply = shell_msg
    # The Deno kernel may send idle before the cell's last outputs: read on until iopub is quiet.
    drain_iopub(client, collector, args.grace, deadline)
    content = reply["content"]
    cell.execution_count = content.get("execution_count", collector.count_by_msg.get(msg_id))
    for output in cell.outputs:
        if output["output_type"] == "execute_result":
            output["execution_count"] = cell.execution_count
    error = collector.errors_by_msg.get(msg_id)
    if content.get("status") != "ok" or error is not None:
        ename = (error or content).get("ename", "Error")
        evalue = (error or content).get("evalue", content.get("status", ""))
        raise CellFailure(f"{ename}: {evalue}")
    return time.monotonic() - started


def write_atomically(nb, path):
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=".execute_", suffix=".ipynb", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            nbformat.write(nb, handle)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Execute a notebook through the Deno kernel and save it with its outputs."
    )
    parser.add_argument("notebook", help="the .ipynb file to execute")
    parser.add_argument("-o", "--output", help="where to save it (default: in place)")
    parser.add_argument("--cwd", help="kernel working directory (default: the notebook's folder)")
    parser.add_argument(
        "--timeout", type=float, default=1800, help="per-cell timeout in seconds, 0 = none (1800)"
    )
    parser.add_argument(
        "--startup-timeout", type=float, default=120, help="kernel start timeout in seconds (120)"
    )
    parser.add_argument(
        "--grace",
        type=float,
        default=0.5,
        help="seconds of iopub silence after a cell's reply and idle before the next cell (0.5)",
    )
    parser.add_argument("--kernel", help="kernelspec name (default: the notebook's, else deno)")
    parser.add_argument(
        "--kernels-dir", default=KERNELS_DIR, help="folder of kernelspecs (default: jupyter/kernels/)"
    )
    parser.add_argument(
        "--env", action="append", default=[], metavar="KEY=VALUE", help="extra kernel env var"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no per-cell progress lines")
    args = parser.parse_args(argv)
    for item in args.env:
        if "=" not in item:
            parser.error(f"--env expects KEY=VALUE, got {item!r}")
    return args


def main(argv):
    args = parse_args(argv)
    path = args.notebook
    output_path = args.output or path
    if not os.path.isfile(path):
        log(f"{path}: no such notebook file")
        return 2
    with open(path, encoding="utf-8") as handle:
        nb = nbformat.read(handle, as_version=4)
    kernel_name = args.kernel or nb.metadata.get("kernelspec", {}).get("name") or "deno"
    cwd = os.path.abspath(args.cwd or os.path.dirname(os.path.abspath(path)))
    env = dict(os.environ)
    for item in args.env:
        key, value = item.split("=", 1)
        env[key] = value

    spec_manager = KernelSpecManager(kernel_dirs=[os.path.abspath(args.kernels_dir)])
    try:
        spec_manager.get_kernel_spec(kernel_name)
    except NoSuchKernel:
        log(
            f"{path}: no kernelspec named {kernel_name!r} in {args.kernels_dir}; "
            "run `deno task kernel` or pass --kernel/--kernels-dir"
        )
        return 2
    km = KernelManager(kernel_name=kernel_name, kernel_spec_manager=spec_manager)
    started = time.monotonic()
    km.start_kernel(cwd=cwd, env=env)
    client = km.client()
    client.start_channels()
    failure = None
    try:
        try:
            client.wait_for_ready(timeout=args.startup_timeout)
        except RuntimeError as error:
            log(f"{path}: the kernel {kernel_name!r} did not start: {error}")
            return 1
        if not args.quiet:
            log(f"{path}: kernel {kernel_name!r} ready in {time.monotonic() - started:.1f} s")
        # kernel_info gives the notebook its language_info.
        client.kernel_info()
        try:
            info = client.get_shell_msg(timeout=30)
            language_info = info["content"].get("language_info")
            if language_info:
                nb.metadata["language_info"] = language_info
        except queue.Empty:
            pass
        drain_iopub(client, OutputCollector(), args.grace)
        collector = OutputCollector()
        code_cells = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
        for number, (index, cell) in enumerate(code_cells, 1):
            if not cell.source.strip():
                cell.outputs = []
                cell.execution_count = None
                continue
            try:
                seconds = run_cell(km, client, collector, cell, index, args)
            except CellFailure as error:
                failure = (
                    f"{path}: cell {index} (code cell {number} of {len(code_cells)}, "
                    f"{first_line(cell.source)!r}) failed: {error}"
                )
                # Cells after the failing one keep no stale outputs from an earlier run.
                for _, later in code_cells[number:]:
                    later.outputs = []
                    later.execution_count = None
                break
            if not args.quiet:
                log(f"[{number}/{len(code_cells)}] cell {index} done in {seconds:.1f} s")
    finally:
        client.stop_channels()
        try:
            km.shutdown_kernel(now=False)
        except Exception:  # noqa: BLE001 - best effort, then force
            km.shutdown_kernel(now=True)
    nbformat.validate(nb)
    write_atomically(nb, output_path)
    if failure is not None:
        log(failure)
        return 1
    if not args.quiet:
        log(f"{path}: all cells ran in {time.monotonic() - started:.1f} s; saved {output_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
