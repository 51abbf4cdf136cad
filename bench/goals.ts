/**
 * The performance targets of issue 6, evaluated against a benchmark result. They are printed as
 * PASS / FAIL / n/a lines in the report — goals to show, never test assertions.
 *
 * @module
 */
import { type Cell, cellOf } from "./summary.ts";

/** One evaluated target. */
export interface Goal {
  /** What the target says. */
  readonly goal: string;
  /** The measured value, as text (`n/a (...)` when not measured). */
  readonly measured: string;
  /** true = met, false = missed, null = not measured in this run. */
  readonly pass: boolean | null;
}

/** The measurements the goals read (all optional: a run measures what it was asked to). */
export interface GoalInputs {
  readonly cells?: readonly Cell[] | undefined;
  /** Idle RSS after start, MiB. */
  readonly idleRssMib?: number | null | undefined;
  /** RSS growth while streaming 1 GB, MiB, per direction. */
  readonly streamDeltaMib?:
    | { readonly download: number | null; readonly upload: number | null }
    | undefined;
  /**
   * Extra memory with 1000 services × 10 endpoints, MiB: over a one-service process that served
   * as many requests (the scale run's `extra_mib`), so that the goal measures what the services
   * cost and not the warm-up of serving ~2000 requests (JIT code, V8 caches and compiler threads,
   * ~13 MiB, which a one-request baseline does not have).
   */
  readonly scaleExtraMib?: number | null | undefined;
  /**
   * The same after the load passes (every endpoint has served; the scale run's
   * `extra_loaded_mib`): the goal's number when present.
   */
  readonly scaleExtraLoadedMib?: number | null | undefined;
  /** CPU µs per request with 1000 active services ÷ with 1, each after a first pass. */
  readonly scaleCpuRatio?: number | null | undefined;
  /** The same ratio over the first passes (first requests to each endpoint included). */
  readonly scaleFirstPassCpuRatio?: number | null | undefined;
  /** What the scale run used when it was not 1000 × 10, e.g. `50 × 10`. */
  readonly scaleShape?: string | undefined;
  /** Bytes per streaming direction when not 1 GiB. */
  readonly streamBytes?: number | undefined;
}

const SY = "switchyard";

/**
 * One MB (the issue's unit, 10^6 bytes) in MiB (what the bench measures, 2^20 bytes): a goal of
 * "120 MB" is checked as ≤ 114.4 MiB.
 */
const MB = 1e6 / 1048576;

/** `x` with its sign, one decimal: "+2.4", "−24.3". */
function signed(x: number): string {
  return x < 0 ? `−${fmt(-x, 1)}` : `+${fmt(x, 1)}`;
}

function fmt(x: number, d = 2): string {
  return x.toFixed(d);
}

function check(
  goal: string,
  value: number | null | undefined,
  ok: (v: number) => boolean,
  show: (v: number) => string,
  missing: string,
): Goal {
  if (value === null || value === undefined || !Number.isFinite(value)) {
    return { goal, measured: `n/a (${missing})`, pass: null };
  }
  return { goal, measured: show(value), pass: ok(value) };
}

/**
 * Evaluate every target.
 *
 * @returns one line per target, in the issue's order
 */
export function evaluateGoals(m: GoalInputs): Goal[] {
  const cells = m.cells ?? [];
  const c64 = cellOf(cells, SY, "small", 64);
  const c16 = cellOf(cells, SY, "small", 16);
  const shape = m.scaleShape ? ` (measured with ${m.scaleShape}, not 1000 × 10)` : "";
  const noCell = (c: number) => `no Switchyard/anchor cell at c=${c}, small body`;
  const goals: Goal[] = [
    check(
      "throughput ≥ 0.6 × nginx at 64 connections (small body)",
      c64?.x_nginx,
      (v) => v >= 0.6,
      (v) => `${fmt(v)}× nginx`,
      noCell(64),
    ),
    check(
      "throughput ≥ 0.6 × HAProxy at 64 connections (small body)",
      c64?.x_haproxy,
      (v) => v >= 0.6,
      (v) => `${fmt(v)}× HAProxy`,
      noCell(64),
    ),
    check(
      "proxy CPU per request ≤ 2 × nginx's (c=64, small body)",
      c64?.cpu_x_nginx,
      (v) => v <= 2,
      (v) =>
        `${fmt(v)}× nginx (${fmt(c64!.proxy_cpu_us_per_req ?? NaN, 1)} µs vs ${
          fmt((c64!.proxy_cpu_us_per_req ?? NaN) / v, 1)
        } µs)`,
      noCell(64),
    ),
    check(
      "latency added over direct: p50 ≤ 0.3 ms at 16 connections",
      c16?.added_p50_us,
      (v) => v <= 300,
      (v) => `+${fmt(v / 1000, 3)} ms`,
      noCell(16),
    ),
    check(
      "latency added over direct: p99 ≤ 1 ms at 16 connections",
      c16?.added_p99_us,
      (v) => v <= 1000,
      (v) => `+${fmt(v / 1000, 3)} ms`,
      noCell(16),
    ),
    check(
      "idle RSS ≤ 60 MB",
      m.idleRssMib,
      (v) => v <= 60 * MB,
      (v) => `${fmt(v, 1)} MiB`,
      "not measured",
    ),
    check(
      "RSS under the c=64 load ≤ 120 MB",
      maxRss(cells, 64),
      (v) => v <= 120 * MB,
      (v) => `${fmt(v, 1)} MiB peak`,
      noCell(64),
    ),
    check(
      "streaming 1 GB moves RSS by < 20 MB (each way)",
      worst(m.streamDeltaMib),
      (v) => v < 20 * MB,
      () =>
        `download ${signed(m.streamDeltaMib?.download ?? NaN)} MiB, upload ${
          signed(m.streamDeltaMib?.upload ?? NaN)
        } MiB${
          m.streamBytes !== undefined && m.streamBytes !== 1 << 30
            ? ` (measured with ${m.streamBytes} bytes, not 1 GiB)`
            : ""
        }`,
      m.streamDeltaMib ? "a transfer did not complete" : "run with --stream",
    ),
    check(
      "1000 services × 10 endpoints: ≤ 50 MB extra memory",
      m.scaleExtraLoadedMib ?? m.scaleExtraMib,
      (v) => v <= 50 * MB,
      (v) =>
        m.scaleExtraLoadedMib !== undefined && m.scaleExtraLoadedMib !== null
          ? `+${fmt(v, 1)} MiB under load (every endpoint served) over one service under the ` +
            `same load; +${
              fmt(m.scaleExtraMib ?? NaN, 1)
            } MiB after two requests per service${shape}`
          : `+${fmt(v, 1)} MiB over one service that served as many requests${shape}`,
      "run with --scale",
    ),
    check(
      "per-request cost does not grow with the number of services (1000 vs 1, CPU ≤ 1.2×)",
      m.scaleCpuRatio,
      (v) => v <= 1.2,
      (v) =>
        `${fmt(v)}× the CPU per request${shape}, median of alternated pairs (first pass: ${
          fmt(m.scaleFirstPassCpuRatio ?? NaN)
        }×)`,
      "run with --scale",
    ),
  ];
  return goals;
}

function maxRss(cells: readonly Cell[], conns: number): number | null {
  const v = cells.filter((c) => c.target === SY && c.conns === conns && c.peak_rss_mib !== null)
    .map((c) => c.peak_rss_mib!);
  return v.length ? Math.max(...v) : null;
}

function worst(d: GoalInputs["streamDeltaMib"]): number | null {
  if (!d || d.download === null || d.upload === null) return null;
  return Math.max(d.download, d.upload);
}

/**
 * One report line per goal.
 *
 * @returns `PASS  goal: measured` lines
 */
export function goalLines(goals: readonly Goal[]): string[] {
  return goals.map((g) =>
    `${g.pass === null ? "n/a " : g.pass ? "PASS" : "FAIL"}  ${g.goal}: ${g.measured}`
  );
}
