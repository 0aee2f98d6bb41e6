/**
 * How busy the machine was while something was timed, read from Linux's /proc (Deno has no API
 * for a process's CPU time):
 *
 * - this process's CPU seconds: `utime + stime` of /proc/self/stat (fields 14 and 15), summed by
 *   the kernel over all its threads (the OpenBLAS and V8 threads included), in clock ticks;
 * - the whole machine's busy CPU seconds: the first line of /proc/stat, `user + nice + system +
 *   irq + softirq + steal` (idle and iowait left out; guest time is already inside user), in
 *   clock ticks;
 * - the load average: the first field of /proc/loadavg (runnable tasks over the last minute);
 * - the cores: the `cpuN` lines of /proc/stat (online CPUs).
 *
 * The clock tick is USER_HZ, which the kernel fixes at 100 per second for what it shows user
 * space (`getconf CLK_TCK` prints it), whatever the kernel's own HZ: a reading is exact to 10 ms.
 *
 * Other work's share of the machine over an interval is the machine's busy seconds less this
 * process's, divided by the wall seconds: the mean number of cores that other programs kept busy.
 * A timing is flagged **busy** when that exceeds {@link BUSY_OTHER_CORES} (a quarter of one core)
 * once the tick rounding ({@link TICK_ROUNDING_SECONDS}) is taken off.
 * Why a quarter: a training step here uses every core (OpenBLAS threads), so any CPU another
 * program takes comes out of ours; a quarter of a core is about 12% of a 2-core machine, above
 * which the slowdown exceeds the run-to-run spread of quiet epochs (a few percent), while an idle
 * desktop's daemons, a Jupyter kernel's heartbeat and the tick rounding (2 ticks over a few
 * seconds) stay well below it.
 *
 * Where /proc is missing (macOS, Windows) every reader returns undefined: timings are then
 * "unknown", never "quiet".
 *
 * @module
 */

/** Clock ticks per second of /proc's CPU times (USER_HZ, fixed at 100 by the kernel's ABI). */
export const CLOCK_TICKS_PER_SECOND = 100;

/**
 * The busy rule: a timing is busy when other programs kept more than this many cores busy on
 * average during it (the machine's busy CPU time outside this process, per wall second).
 */
export const BUSY_OTHER_CORES = 0.25;

/**
 * How far other work's CPU seconds can be off by tick rounding alone: they are the difference of
 * four readings (the machine's and this process's, at each end), each a sum of counters that the
 * kernel keeps in whole ticks (utime and stime; user, system and the rest), so with nothing else
 * running the difference can still come out a few ticks high. The busy rule takes three ticks off
 * before comparing, so a 10 ms interval that caught one stray tick is not "busy"; over a real
 * epoch (seconds) three ticks are a few thousandths of a core.
 */
export const TICK_ROUNDING_SECONDS = 3 / CLOCK_TICKS_PER_SECOND;

/** One reading of the clocks, taken by {@link sampleCpu}. */
export interface CpuSample {
  /** `performance.now()` at the reading, milliseconds. */
  wallMs: number;
  /** This process's CPU seconds so far (all threads, user + system). */
  processSeconds: number;
  /** The machine's busy CPU seconds so far (all cores, since boot). */
  machineBusySeconds: number;
  /** Online cores. */
  cores: number;
  /** One-minute load average at the reading. */
  loadAverage: number;
}

/** How loaded the machine was over an interval: what a timing record keeps. */
export interface IntervalLoad {
  /** Wall seconds of the interval. */
  wallSeconds: number;
  /** This process's CPU seconds in it (all threads). */
  cpuSeconds: number;
  /** CPU seconds the rest of the machine used in it (never negative). */
  otherCpuSeconds: number;
  /** `otherCpuSeconds / wallSeconds`: the mean cores other work kept busy. */
  otherCores: number;
  /** The highest one-minute load average read at either end. */
  loadAverage: number;
  /** Online cores. */
  cores: number;
  /**
   * Whether other work took a material share: more than {@link BUSY_OTHER_CORES} cores once the
   * tick rounding ({@link TICK_ROUNDING_SECONDS}) is taken off `otherCpuSeconds`.
   */
  busy: boolean;
}

function readText(file: string): string | undefined {
  try {
    return Deno.readTextFileSync(file);
  } catch {
    return undefined;
  }
}

/** This process's CPU seconds (utime + stime of /proc/self/stat); undefined without /proc. */
export function processCpuSeconds(): number | undefined {
  const text = readText("/proc/self/stat");
  if (text === undefined) return undefined;
  // Field 2 (the command name) is in parentheses and may hold spaces: split after its last ")".
  const fields = text.slice(text.lastIndexOf(")") + 2).trim().split(/\s+/);
  // fields[0] is field 3 (state): utime is field 14, stime field 15.
  const utime = Number(fields[11]), stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  return (utime + stime) / CLOCK_TICKS_PER_SECOND;
}

/** The machine's busy CPU seconds and its online cores, from /proc/stat; undefined without it. */
export function machineCpu(): { busySeconds: number; cores: number } | undefined {
  const text = readText("/proc/stat");
  if (text === undefined) return undefined;
  const lines = text.split("\n");
  const total = lines.find((l) => l.startsWith("cpu "));
  if (!total) return undefined;
  const [user, nice, system, _idle, _iowait, irq, softirq, steal] = total.trim().split(/\s+/)
    .slice(1).map(Number);
  const busy = user + nice + system + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0);
  if (!Number.isFinite(busy)) return undefined;
  const cores = lines.filter((l) => /^cpu\d+ /.test(l)).length;
  return { busySeconds: busy / CLOCK_TICKS_PER_SECOND, cores: Math.max(1, cores) };
}

/** The one-minute load average (/proc/loadavg); undefined without it. */
export function loadAverage(): number | undefined {
  const text = readText("/proc/loadavg");
  const value = text === undefined ? NaN : Number(text.split(/\s+/)[0]);
  return Number.isFinite(value) ? value : undefined;
}

/** Reads every clock at once; undefined where /proc is missing (timings are then unknown). */
export function sampleCpu(): CpuSample | undefined {
  const wallMs = performance.now();
  const processSeconds = processCpuSeconds();
  const machine = machineCpu();
  const load = loadAverage();
  if (processSeconds === undefined || machine === undefined || load === undefined) return undefined;
  return {
    wallMs,
    processSeconds,
    machineBusySeconds: machine.busySeconds,
    cores: machine.cores,
    loadAverage: load,
  };
}

/** The load of the interval between two samples (`start` before `end`), with the busy flag. */
export function intervalLoad(start: CpuSample, end: CpuSample): IntervalLoad {
  const wallSeconds = Math.max(0, (end.wallMs - start.wallMs) / 1000);
  const cpuSeconds = Math.max(0, end.processSeconds - start.processSeconds);
  const otherCpuSeconds = Math.max(
    0,
    end.machineBusySeconds - start.machineBusySeconds - cpuSeconds,
  );
  return withFlag({
    wallSeconds,
    cpuSeconds,
    otherCpuSeconds,
    loadAverage: Math.max(start.loadAverage, end.loadAverage),
    cores: end.cores,
  });
}

function withFlag(load: Omit<IntervalLoad, "otherCores" | "busy">): IntervalLoad {
  const otherCores = load.wallSeconds > 0 ? load.otherCpuSeconds / load.wallSeconds : 0;
  return {
    wallSeconds: load.wallSeconds,
    cpuSeconds: load.cpuSeconds,
    otherCpuSeconds: load.otherCpuSeconds,
    otherCores,
    loadAverage: load.loadAverage,
    cores: load.cores,
    busy: load.wallSeconds > 0 &&
      (load.otherCpuSeconds - TICK_ROUNDING_SECONDS) / load.wallSeconds > BUSY_OTHER_CORES,
  };
}

/**
 * The load of several intervals together (e.g. a run's epochs): seconds summed, the highest load
 * average, busy when any one of them was (their mean time includes it). Undefined when any
 * interval's load is unknown (a record written before loads were kept, or a machine without
 * /proc): a partly unknown timing is unknown, never quiet.
 */
export function combineLoads(
  loads: readonly (IntervalLoad | undefined)[],
): IntervalLoad | undefined {
  if (loads.length === 0 || loads.some((l) => l === undefined)) return undefined;
  const known = loads as readonly IntervalLoad[];
  const sum = (f: (l: IntervalLoad) => number) => known.reduce((a, l) => a + f(l), 0);
  const combined = withFlag({
    wallSeconds: sum((l) => l.wallSeconds),
    cpuSeconds: sum((l) => l.cpuSeconds),
    otherCpuSeconds: sum((l) => l.otherCpuSeconds),
    loadAverage: Math.max(...known.map((l) => l.loadAverage)),
    cores: Math.max(...known.map((l) => l.cores)),
  });
  return { ...combined, busy: known.some((l) => l.busy) || combined.busy };
}

/** "quiet", "busy" or "unknown" (no load recorded): how far a timing can be trusted. */
export type TimingFlag = "quiet" | "busy" | "unknown";

/** The flag of a timing's load (undefined: unknown). */
export function timingFlag(load: IntervalLoad | undefined): TimingFlag {
  if (!load || typeof load.busy !== "boolean") return "unknown";
  return load.busy ? "busy" : "quiet";
}

/** A short text of a load, e.g. "CPU 1.9 s/s, other work 0.62 cores, load 3.1 on 2 cores". */
export function describeLoad(load: IntervalLoad): string {
  const f = (v: number, d: number) => v.toFixed(d);
  const perSecond = load.wallSeconds > 0 ? load.cpuSeconds / load.wallSeconds : 0;
  return `CPU ${f(perSecond, 2)} s/s, other work ${f(load.otherCores, 2)} cores, load ` +
    `${f(load.loadAverage, 2)} on ${load.cores} cores${load.busy ? " (busy)" : ""}`;
}
