#!/usr/bin/python3
"""Runs the Deno Jupyter kernel behind a small proxy that keeps each cell's outputs in its cell.

    /usr/bin/python3 ordered_kernel.py CONNECTION_FILE DENO [ARG...]

runs `DENO [ARG...] jupyter --kernel --conn INNER_CONNECTION_FILE` behind the proxy.

Why: the Deno kernel (2.8.3 up to 2.9.6 at least) publishes a cell's printed lines and its value
from a queue that is drained after the cell's "idle" status may already have gone out, and tags
each output with the request it is handling when it drains it. A client that stops reading a cell
at "idle" (`jupyter nbconvert --execute`, nbclient) loses those outputs, and when the next request
is already waiting (the classic UI's Run All) they are tagged with, and shown under, the next cell.

What the proxy does (only the shell and iopub channels pass through it; heartbeat, control and
stdin connect to deno directly):
  * iopub: a cell's "idle" status is held back until deno has sent nothing on iopub for a quiet
    period (KMNIST_KERNEL_QUIET_MS, 50 ms); every other message passes at once, so the late
    outputs reach the client before the "idle" it waits for.
  * shell: execute requests are passed to deno one at a time: the next one only after the previous
    one's "idle" has been released, so deno never tags one cell's late outputs with the next cell.
    Other requests (kernel_info, complete, ...) pass at once; replies go back to the client that
    asked (found by the request's msg_id, since deno answers per connection).
Messages pass unchanged (no re-signing). Deno runs in its own process group with a connection file
beside CONNECTION_FILE that differs only in the shell and iopub ports (removed once deno answers);
SIGTERM is passed on to that group; deno is killed if this process dies; this process exits with
deno's exit status.

Jupyter's Stop (SIGINT to this process; kernel.json's interrupt_mode "signal"): Deno 2.9.6's kernel
dies on a SIGINT nobody listens for (denoland/deno issue 24491), so the proxy does not pass it on.
  * First Stop while a cell runs: the proxy creates the file named by KMNIST_INTERRUPT_FILE in
    deno's environment (a fresh path per kernel). The project's library (lib/train/cancel.ts)
    checks for it between batches: training, evaluation, IWAE, study trials and report loops stop
    at the end of the current batch with an InterruptedError; the kernel and its variables stay.
  * A second Stop while the same cell still runs (code that does not check, or never yields): the
    cell is ended the only way there is, by restarting deno. The proxy kills deno, starts it again
    on the same ports, answers the cell with an error ("KernelRestarted": every variable is lost;
    files already written, e.g. checkpoints, stay) and aborts the cells queued behind it.
  * A Stop while no cell runs does nothing. The stop file is removed whenever a cell ends.
"""

import ctypes
import datetime
import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid

try:
    import zmq
except ImportError as error:  # pragma: no cover - depends on the machine
    sys.stderr.write(
        f"ordered_kernel: missing Python package ({error}); install the Debian package python3-zmq "
        "(bash tools/install_system_deps.sh installs it with Jupyter), or set "
        "KMNIST_KERNEL_ORDERING=0 to run deno without the proxy (outputs may then be lost)\n"
    )
    sys.exit(1)

DELIMITER = b"<IDS|MSG>"
try:
    QUIET_SECONDS = float(os.environ.get("KMNIST_KERNEL_QUIET_MS", "50")) / 1000
    if not 0 <= QUIET_SECONDS <= 10:
        raise ValueError
except ValueError:
    sys.stderr.write(
        "ordered_kernel: KMNIST_KERNEL_QUIET_MS must be a number of milliseconds from 0 to 10000, "
        f"got {os.environ.get('KMNIST_KERNEL_QUIET_MS')!r}; unset it for the default 50\n"
    )
    sys.exit(2)
NO_IDLE_SECONDS = 5.0  # release the next cell anyway when a replied cell's idle never comes
RESTARTED = (
    "KernelRestarted",
    "Stopped by restarting the kernel (a second Stop while the cell still ran): every variable of "
    "the session is lost; files already written (checkpoints, records) are kept. Re-run the "
    "notebook's cells from the top; a training with checkpointDirectory continues from its last "
    "checkpoint (loadCheckpoint + train({ resume })). One Stop alone stops the library's loops "
    "at the end of a batch and keeps the kernel.",
)


def log(message):
    sys.stderr.write(f"ordered_kernel: {message}\n")
    sys.stderr.flush()


def parse(frames):
    """(header, parent_header, content) of a wire message; None when it is not one."""
    try:
        at = frames.index(DELIMITER)
        return (json.loads(frames[at + 2]), json.loads(frames[at + 3]), json.loads(frames[at + 5]))
    except (ValueError, IndexError):
        return None


def free_port(ip):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((ip, 0))
        return probe.getsockname()[1]


def die_with_parent():
    """In the child: get SIGKILL when the proxy dies (Linux), so deno never outlives it."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


EXEC_WITH_PDEATHSIG = (
    "import ctypes, os, signal, sys\n"
    "try:\n"
    "    ctypes.CDLL('libc.so.6', use_errno=True).prctl(1, signal.SIGKILL)\n"
    "except OSError:\n"
    "    pass\n"
    "os.execvp(sys.argv[1], sys.argv[1:])\n"
)


def signal_group(child, signum):
    """Signals deno's process group (deno, or npx and the deno it runs)."""
    try:
        os.killpg(child.pid, signum)
    except ProcessLookupError:
        pass


class Signer:
    """Signs the few messages the proxy writes itself (the key of the connection file)."""

    def __init__(self, info):
        self.key = info.get("key", "").encode()
        scheme = info.get("signature_scheme", "hmac-sha256")
        self.digest = getattr(hashlib, scheme.split("-", 1)[1]) if self.key else None
        self.session = uuid.uuid4().hex

    def frames(self, msg_type, parent, content):
        header = {
            "msg_id": uuid.uuid4().hex,
            "msg_type": msg_type,
            "username": "kernel",
            "session": self.session,
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
            "version": "5.3",
        }
        parts = [json.dumps(x).encode() for x in (header, parent, {}, content)]
        signature = b""
        if self.digest is not None:
            mac = hmac.new(self.key, digestmod=self.digest)
            for part in parts:
                mac.update(part)
            signature = mac.hexdigest().encode()
        return [DELIMITER, signature] + parts


class Proxy:
    def __init__(self, context, info, inner):
        address = lambda port: f"tcp://{info['ip']}:{port}"  # noqa: E731
        self.front_shell = context.socket(zmq.ROUTER)
        self.front_shell.bind(address(info["shell_port"]))
        self.front_iopub = context.socket(zmq.PUB)
        self.front_iopub.bind(address(info["iopub_port"]))
        for sock in (self.front_shell, self.front_iopub):
            sock.setsockopt(zmq.LINGER, 100)
        self.back_shell = self.back_iopub = None
        self.connect_back(context, inner)
        self.routes = {}  # request msg_id -> client identity on the front shell socket
        self.waiting = []  # execute requests not yet passed to deno (frames without identity)
        self.running = None  # msg_id of the execute request deno is running
        self.running_header = None  # its header (the parent of what the proxy answers itself)
        self.stop_cell = None  # msg_id of the cell a first Stop was asked for
        self.stop_file = None  # the KMNIST_INTERRUPT_FILE path
        self.restart = None  # callable: kills and restarts deno
        self.signer = Signer(info)
        self.warming = False  # after a restart: until deno's iopub is seen to reach the proxy
        self.probes = set()  # msg_ids of the proxy's own kernel_info requests
        self.next_probe = 0.0
        self.replied_at = None  # when deno replied to it
        self.held = None  # its "idle" status, held back
        self.quiet_until = 0.0  # when the held idle may go (after QUIET_SECONDS of silence)

    def connect_back(self, context, inner):
        """(Re)connects the shell and iopub sockets to deno (closing the old ones)."""
        address = f"tcp://{inner['ip']}:{{}}"
        for sock in (self.back_shell, self.back_iopub):
            if sock is not None:
                sock.close(linger=0)
        self.back_shell = context.socket(zmq.DEALER)
        self.back_shell.setsockopt(zmq.LINGER, 100)
        self.back_shell.connect(address.format(inner["shell_port"]))
        self.back_iopub = context.socket(zmq.SUB)
        self.back_iopub.setsockopt(zmq.LINGER, 100)
        self.back_iopub.setsockopt(zmq.SUBSCRIBE, b"")
        self.back_iopub.connect(address.format(inner["iopub_port"]))

    def next_execute(self):
        if self.running is None and self.waiting and not self.warming:
            frames = self.waiting.pop(0)
            self.running_header = parse(frames)[0]
            self.running = self.running_header["msg_id"]
            self.replied_at = None
            self.back_shell.send_multipart(frames)

    def release(self):
        if self.held is not None:
            self.front_iopub.send_multipart(self.held)
        self.held = None
        self.running = None
        self.clear_stop()
        self.next_execute()

    def clear_stop(self):
        self.stop_cell = None
        if self.stop_file and os.path.exists(self.stop_file):
            os.unlink(self.stop_file)

    def interrupt(self):
        """Jupyter's Stop (see the module doc): a stop file first, a restart the second time."""
        if self.running is None:
            self.clear_stop()
            return
        if self.stop_cell != self.running:
            self.stop_cell = self.running
            with open(self.stop_file, "w", encoding="utf-8") as handle:
                handle.write(f"{time.time()}\n")
            log("Stop: asked the running cell to stop at its next check")
            return
        log("second Stop while the cell still runs: restarting deno")
        self.restart()
        self.end_running_cell()
        self.warm_up()

    def reply(self, parent, content):
        identity = self.routes.pop(parent.get("msg_id"), None)
        if identity is not None:
            self.front_shell.send_multipart(
                [identity] + self.signer.frames("execute_reply", parent, content)
            )

    def publish(self, msg_type, parent, content):
        self.front_iopub.send_multipart(
            [f"kernel.{msg_type}".encode()] + self.signer.frames(msg_type, parent, content)
        )

    def end_running_cell(self):
        """Answers the cell deno was running (killed) with an error; aborts the queued ones."""
        parent = self.running_header or {}
        ename, evalue = RESTARTED
        error = {"ename": ename, "evalue": evalue, "traceback": [f"{ename}: {evalue}"]}
        self.publish("error", parent, error)
        self.reply(parent, dict(error, status="error", execution_count=0))
        self.publish("status", parent, {"execution_state": "idle"})
        for frames in self.waiting:
            queued = parse(frames)[0]
            self.reply(queued, {"status": "aborted", "execution_count": 0})
            self.publish("status", queued, {"execution_state": "idle"})
        self.waiting = []
        self.held = None
        self.running = None
        self.running_header = None
        self.clear_stop()

    def from_client(self):
        frames = self.front_shell.recv_multipart()
        identity, rest = frames[0], frames[1:]
        message = parse(rest)
        if message is None:
            log("dropped a shell message that is not a Jupyter message")
            return
        header = message[0]
        self.routes[header.get("msg_id")] = identity
        if header.get("msg_type") == "execute_request":
            self.waiting.append(rest)
            self.next_execute()
        else:
            self.back_shell.send_multipart(rest)

    def from_deno_shell(self):
        frames = self.back_shell.recv_multipart()
        message = parse(frames)
        parent_id = message[1].get("msg_id") if message else None
        if parent_id in self.probes:
            return
        identity = self.routes.pop(parent_id, None)
        if identity is None:
            log(f"dropped a shell reply to an unknown request {parent_id!r}")
            return
        if parent_id is not None and parent_id == self.running:
            self.replied_at = time.monotonic()
        at = frames.index(DELIMITER)
        self.front_shell.send_multipart([identity] + frames[at:])

    def from_deno_iopub(self):
        frames = self.back_iopub.recv_multipart()
        message = parse(frames)
        now = time.monotonic()
        if message is not None:
            header, parent, content = message
            if parent.get("msg_id") in self.probes:
                # The restarted deno's iopub reaches us: pass the waiting cells on.
                if self.warming:
                    self.warming = False
                    self.next_execute()
                return
            if (
                header.get("msg_type") == "status"
                and content.get("execution_state") == "idle"
                and parent.get("msg_type") == "execute_request"
                and parent.get("msg_id") == self.running
            ):
                self.held = frames
                self.quiet_until = now + QUIET_SECONDS
                return
        self.front_iopub.send_multipart(frames)
        if self.held is not None:
            self.quiet_until = now + QUIET_SECONDS

    def timeout_ms(self):
        """Poll timeout: until the held idle may go, or a short tick while a cell runs."""
        if self.held is not None:
            return max(0, int((self.quiet_until - time.monotonic()) * 1000) + 1)
        return 50

    def warm_up(self):
        """After a restart: holds execute requests until deno's iopub reaches the proxy (a SUB
        socket misses what is published before its subscription arrives), probing with
        kernel_info requests, whose busy/idle status shows it has."""
        self.warming = True
        self.probes.clear()
        self.next_probe = 0.0

    def tick(self):
        now = time.monotonic()
        if self.warming and now >= self.next_probe:
            frames = self.signer.frames("kernel_info_request", {}, {})
            self.probes.add(parse(frames)[0]["msg_id"])
            self.back_shell.send_multipart(frames)
            self.next_probe = now + 0.5
        if self.held is not None and now >= self.quiet_until:
            self.release()
        elif (
            self.held is None
            and self.running is not None
            and self.replied_at is not None
            and now - self.replied_at > NO_IDLE_SECONDS
        ):
            log(f"no idle status for {self.running} {NO_IDLE_SECONDS:g} s after its reply")
            self.release()


def main(argv):
    if len(argv) < 2:
        log("usage: ordered_kernel.py CONNECTION_FILE DENO [ARG...]")
        return 2
    connection_file, command = argv[0], argv[1:]
    with open(connection_file, encoding="utf-8") as handle:
        info = json.load(handle)
    if info.get("transport", "tcp") != "tcp":
        log(f"{connection_file}: transport {info.get('transport')!r} is not supported, only tcp")
        return 2
    inner = dict(info, shell_port=free_port(info["ip"]), iopub_port=free_port(info["ip"]))
    folder = os.path.dirname(os.path.abspath(connection_file))
    fd, inner_file = tempfile.mkstemp(prefix="deno-ordered-", suffix=".json", dir=folder)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(inner, handle)
    stop_file = os.path.join(folder, f"deno-stop-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    env = dict(os.environ, KMNIST_INTERRUPT_FILE=stop_file)

    def start():
        with open(inner_file, "w", encoding="utf-8") as handle:
            json.dump(inner, handle)
        return subprocess.Popen(
            command + ["jupyter", "--kernel", "--conn", inner_file],
            start_new_session=True,
            preexec_fn=die_with_parent,
            env=env,
        )

    # Deno starts first, before zmq's threads exist (preexec_fn is only safe then); it takes
    # longer to bind than the proxy, and zmq connections retry until it has.
    children = [start()]
    context = zmq.Context()
    pending = []  # SIGINTs not yet handled (handled in the loop, not in the signal handler)
    try:
        proxy = Proxy(context, info, inner)
        proxy.stop_file = stop_file

        def restart():
            signal_group(children[0], signal.SIGKILL)
            children[0].wait()
            # Fresh back sockets: what was queued on the old connections went to the dead deno,
            # and a message sent before zmq notices the drop would be lost with it.
            for sock in (proxy.back_shell, proxy.back_iopub):
                poller.unregister(sock)
                del handlers[sock]
            proxy.connect_back(context, inner)
            handlers[proxy.back_shell] = proxy.from_deno_shell
            handlers[proxy.back_iopub] = proxy.from_deno_iopub
            for sock in (proxy.back_shell, proxy.back_iopub):
                poller.register(sock, zmq.POLLIN)
            # preexec_fn is unsafe now that zmq's threads run: a small exec wrapper sets the
            # parent-death signal instead (it survives the exec), so deno still dies with us.
            children[0] = subprocess.Popen(
                [sys.executable, "-c", EXEC_WITH_PDEATHSIG]
                + command
                + ["jupyter", "--kernel", "--conn", write_inner()],
                start_new_session=True,
                env=env,
            )

        def write_inner():
            with open(inner_file, "w", encoding="utf-8") as handle:
                json.dump(inner, handle)
            return inner_file

        proxy.restart = restart
        signal.signal(signal.SIGINT, lambda _number, _frame: pending.append(time.monotonic()))
        signal.signal(signal.SIGTERM, lambda number, _frame: signal_group(children[0], number))
        poller = zmq.Poller()
        handlers = {
            proxy.front_shell: proxy.from_client,
            proxy.back_shell: proxy.from_deno_shell,
            proxy.back_iopub: proxy.from_deno_iopub,
        }
        for sock in handlers:
            poller.register(sock, zmq.POLLIN)
        while children[0].poll() is None:
            try:
                ready = dict(poller.poll(proxy.timeout_ms()))
            except zmq.ZMQError as error:
                if error.errno != zmq.EINTR:
                    raise
                ready = {}
            while pending:
                pending.pop()
                proxy.interrupt()
            for sock in ready:
                handlers[sock]()
                if sock is not proxy.front_shell and os.path.exists(inner_file):
                    os.unlink(inner_file)  # deno has sent something: it has read the file
            proxy.tick()
        child = children[0]
        # Deno exited (e.g. a shutdown request): pass on what it sent last.
        for sock, handler in handlers.items():
            while sock.poll(0):
                handler()
        if proxy.held is not None:
            proxy.front_iopub.send_multipart(proxy.held)
        return child.returncode if child.returncode >= 0 else 128 - child.returncode
    finally:
        if children[0].poll() is None:
            signal_group(children[0], signal.SIGKILL)
            children[0].wait()
        context.destroy(linger=100)
        for leftover in (inner_file, stop_file):
            if os.path.exists(leftover):
                os.unlink(leftover)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
