/**
 * Cooperative cancellation: Jupyter's Stop button and Ctrl-C stop the library's long loops
 * (training, evaluation, IWAE, the study's trials, the report's figures) between two batches.
 *
 * Jupyter's Stop sends SIGINT to the kernel (kernel.json: `"interrupt_mode": "signal"`; the
 * project's proxy jupyter/kernels/deno/ordered_kernel.py passes it on to deno). Deno 2.9.6's
 * kernel dies on SIGINT unless the program listens for it (denoland/deno issue 24491); with a
 * listener registered, the kernel lives and the listener runs the next time the event loop does.
 * {@link interruptible} registers one while a long loop runs: a SIGINT then only raises a flag,
 * and the loop calls {@link checkInterrupt} between batches, which throws
 * {@link InterruptedError} (a clear message; the notebook's next cells are not run). Behind the
 * proxy, Stop does not signal deno at all: the proxy creates the file named by
 * `KMNIST_INTERRUPT_FILE`, which {@link checkInterrupt} consumes, so that synchronous loops
 * (evaluation, IWAE) stop too and a Stop outside any library loop cannot kill the kernel.
 *
 * In a terminal (tools/train.ts, study.ts, report.ts) the same listener stops the loop; a
 * second Ctrl-C while it is stopping, or a Ctrl-C when no library loop runs, exits at once with
 * status 130. In the Jupyter kernel a Stop outside a library loop is left to the proxy: a second
 * Stop within a few seconds of the first, while the cell still runs, ends the cell by restarting
 * deno (the README says what is lost).
 *
 * ```ts
 * await interruptible(async () => {
 *   for (const batch of batches) {
 *     step(batch);
 *     await checkInterruptAsync({ where: `batch ${b}` }); // throws InterruptedError after Stop
 *   }
 * });
 * ```
 *
 * @module
 */

/** Where a loop stopped, for the message and for callers that resume. */
export interface InterruptPoint {
  /** What was running ("training", "evaluation", "IWAE", "study trial 3/20", ...). */
  task: string;
  /** Where in it, e.g. "epoch 2/5, batch 7/40 (last loss 0.0412)". */
  where: string;
  /** How to continue, if the task can (printed after the message). */
  resume?: string;
}

/** Thrown by {@link checkInterrupt} after a Stop (Jupyter) or Ctrl-C (terminal). */
export class InterruptedError extends Error {
  /** Where the loop stopped. */
  readonly point: InterruptPoint;
  /** Anything the stopped loop hands back to resume with (e.g. training's state, optimizer). */
  readonly details: Record<string, unknown>;

  /** @param point where it stopped; @param details what it hands back. */
  constructor(point: InterruptPoint, details: Record<string, unknown> = {}) {
    super(
      `Interrupted: ${point.task} stopped at ${point.where}.` +
        (point.resume ? ` ${point.resume}` : ""),
    );
    this.name = "InterruptedError";
    this.point = point;
    this.details = details;
  }
}

/** True for an {@link InterruptedError} (also across module copies: checks the name). */
export function isInterrupted(error: unknown): error is InterruptedError {
  return error instanceof InterruptedError ||
    (error instanceof Error && error.name === "InterruptedError" && "point" in error);
}

/** Exit status of a process stopped by SIGINT (128 + 2), as shells report it. */
export const INTERRUPTED_EXIT_CODE = 130;

/** Seconds within which a second Ctrl-C in a terminal exits at once. */
export const SECOND_INTERRUPT_SECONDS = 5;

/**
 * The environment variable naming the file by which the project's kernel proxy asks for a stop:
 * ordered_kernel.py creates it on Jupyter's Stop instead of signalling deno (which would kill a
 * kernel that is not listening), so even a synchronous loop sees the Stop at its next check.
 */
export const INTERRUPT_FILE_ENV = "KMNIST_INTERRUPT_FILE";

let interruptFile: string | null | undefined;

/** Consumes the proxy's stop file if it exists (an atomic unlink); whether it did. */
function takeFileRequest(): boolean {
  if (interruptFile === undefined) {
    try {
      interruptFile = Deno.env.get(INTERRUPT_FILE_ENV) || null;
    } catch {
      interruptFile = null;
    }
  }
  if (interruptFile === null) return false;
  try {
    Deno.removeSync(interruptFile);
    return true;
  } catch {
    return false;
  }
}

let requested = false;
let requestedAt = 0;
let depth = 0;
let listening = false;
let lastError: InterruptedError | undefined;

function inJupyterKernel(): boolean {
  try {
    return typeof (Deno as unknown as { jupyter?: unknown }).jupyter === "object";
  } catch {
    return false;
  }
}

function onSignal(): void {
  const now = performance.now();
  const jupyter = inJupyterKernel();
  if (depth === 0) {
    // No library loop runs: a terminal program stops as it would without the listener.
    if (!jupyter) Deno.exit(INTERRUPTED_EXIT_CODE);
    return;
  }
  if (requested && !jupyter && now - requestedAt < SECOND_INTERRUPT_SECONDS * 1000) {
    console.error(
      "\nSecond Ctrl-C: exiting now (what was saved stays; the current batch's work is lost).",
    );
    Deno.exit(INTERRUPTED_EXIT_CODE);
  }
  if (!requested) {
    requested = true;
    requestedAt = now;
    console.error(
      jupyter
        ? "Stop received: stopping at the end of the current batch."
        : "\nCtrl-C: stopping at the end of the current batch (Ctrl-C again to exit at once).",
    );
  }
}

function listen(): void {
  if (listening) return;
  try {
    Deno.addSignalListener("SIGINT", onSignal);
    listening = true;
  } catch {
    // Signals are not supported here (Windows, a worker without permission): Stop cannot be
    // honoured cooperatively; requestInterrupt() still works.
  }
}

/**
 * Runs `fn` with Stop/Ctrl-C turned into a cooperative request (see the module doc). Nested calls
 * share one request; a request left from before the outermost call is dropped at its start.
 */
export async function interruptible<T>(fn: () => Promise<T> | T): Promise<T> {
  if (depth === 0) requested = false;
  listen();
  depth++;
  try {
    return await fn();
  } finally {
    depth--;
    if (depth === 0) requested = false;
  }
}

/** Whether a Stop/Ctrl-C (or {@link requestInterrupt}) is pending. */
export function interruptRequested(): boolean {
  if (!requested && takeFileRequest()) requestInterrupt();
  return requested;
}

/**
 * Asks the running loop to stop at its next {@link checkInterrupt}, as a SIGINT does (tests,
 * callbacks that want to stop training early).
 */
export function requestInterrupt(): void {
  if (!requested) {
    requested = true;
    requestedAt = performance.now();
  }
}

/**
 * Throws {@link InterruptedError} for `point` when a stop is pending (and clears the request, so
 * an outer loop that catches it is not stopped again). `details` is called only then.
 */
export function checkInterrupt(
  point: InterruptPoint | (() => InterruptPoint),
  details?: () => Record<string, unknown>,
): void {
  if (!interruptRequested()) return;
  requested = false;
  raiseInterrupted(typeof point === "function" ? point() : point, details ? details() : {});
}

/**
 * Throws an {@link InterruptedError} (remembered for {@link lastInterruption}): for a loop that
 * caught an inner loop's interruption and reports it with its own point and details.
 */
export function raiseInterrupted(
  point: InterruptPoint,
  details: Record<string, unknown> = {},
): never {
  lastError = new InterruptedError(point, details);
  throw lastError;
}

/** Lets the event loop run (so a pending SIGINT's listener runs), then {@link checkInterrupt}. */
export async function checkInterruptAsync(
  point: InterruptPoint | (() => InterruptPoint),
  details?: () => Record<string, unknown>,
): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 0));
  checkInterrupt(point, details);
}

/**
 * The last {@link InterruptedError} thrown in this process (undefined before any): in a notebook,
 * `lastInterruption()?.details` holds what a stopped training hands back (its `state` and
 * `optimizer`, for `train(model, { ..., resume: state, optimizer })`).
 */
export function lastInterruption(): InterruptedError | undefined {
  return lastError;
}

/**
 * For a terminal tool's top level: when `error` is an {@link InterruptedError}, prints its message
 * and `hint` (what was kept, how to resume) and exits with status 130; otherwise returns.
 */
export function exitIfInterrupted(error: unknown, hint: string): void {
  if (!isInterrupted(error)) return;
  console.error(`\n${error.message}`);
  console.error(hint);
  Deno.exit(INTERRUPTED_EXIT_CODE);
}
