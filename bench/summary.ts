/**
 * Aggregation of the throughput matrix: per (target, body, connections) cell the medians of
 * req/s, p50, p99, proxy CPU µs per request, the peak RSS, and the ratios against nginx, HAProxy
 * and the direct path. Runs flagged `contaminated` are used only when a cell has nothing else.
 *
 * @module
 */
import type { Body, RunRecord } from "./measure.ts";

/** One cell of the matrix. */
export interface Cell {
  readonly target: string;
  readonly body: Body;
  readonly conns: number;
  /** Runs used. */
  readonly n: number;
  /** Runs disturbed by other tenants (excluded when clean ones exist). */
  readonly contaminated_runs: number;
  /** True when every run used was contaminated. */
  readonly only_contaminated: boolean;
  readonly rps: number | null;
  readonly rps_min: number | null;
  readonly rps_max: number | null;
  readonly p50_us: number | null;
  readonly p99_us: number | null;
  readonly p999_us: number | null;
  readonly proxy_cpu_us_per_req: number | null;
  /** Of it, the kernel's (stime) µs per request. */
  readonly proxy_sys_us_per_req: number | null;
  readonly proxy_cpu_pct: number | null;
  readonly peak_rss_mib: number | null;
  readonly foreign_cpu_pct_max: number | null;
  /** The hypervisor's steal time, the most of any run used (% of a core); null in older results. */
  readonly steal_cpu_pct_max: number | null;
  readonly errors: number;
  /** rps ÷ nginx's rps in the same body/conns. */
  readonly x_nginx: number | null;
  /** rps ÷ HAProxy's. */
  readonly x_haproxy: number | null;
  /** rps ÷ direct. */
  readonly x_direct: number | null;
  /** p50 − direct p50, µs. */
  readonly added_p50_us: number | null;
  /** p99 − direct p99, µs. */
  readonly added_p99_us: number | null;
  /** CPU per request ÷ nginx's. */
  readonly cpu_x_nginx: number | null;
}

/**
 * Median of the finite numbers in `xs` (mean of the middle two for an even count).
 *
 * @returns the median, or null when there is none
 */
export function median(xs: readonly (number | null | undefined)[]): number | null {
  const v = xs.filter((x): x is number => typeof x === "number" && Number.isFinite(x))
    .sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
}

function maxOf(xs: readonly (number | null)[]): number | null {
  const v = xs.filter((x): x is number => x !== null && Number.isFinite(x));
  return v.length ? Math.max(...v) : null;
}

function minOf(xs: readonly (number | null)[]): number | null {
  const v = xs.filter((x): x is number => x !== null && Number.isFinite(x));
  return v.length ? Math.min(...v) : null;
}

function ratio(a: number | null, b: number | null | undefined): number | null {
  return a !== null && b !== null && b !== undefined && b !== 0 ? a / b : null;
}

function diff(a: number | null, b: number | null | undefined): number | null {
  return a !== null && b !== null && b !== undefined ? a - b : null;
}

/**
 * Aggregate runs into cells, in first-seen target order.
 *
 * @param records every run
 * @returns one cell per (target, body, conns) that has runs
 */
export function summarize(records: readonly RunRecord[]): Cell[] {
  const ok = records.filter((r) => !r.failed);
  const keys: string[] = [];
  const groups = new Map<string, RunRecord[]>();
  for (const r of ok) {
    const k = `${r.target}|${r.body}|${r.conns}`;
    if (!groups.has(k)) {
      groups.set(k, []);
      keys.push(k);
    }
    groups.get(k)!.push(r);
  }
  const base = new Map<string, Omit<Cell, `x_${string}` | `added_${string}` | "cpu_x_nginx">>();
  for (const k of keys) {
    const all = groups.get(k)!;
    const clean = all.filter((r) => !r.contaminated);
    const rs = clean.length ? clean : all;
    const rss = maxOf(rs.map((r) => r.peak_rss_kib));
    base.set(k, {
      target: rs[0]!.target,
      body: rs[0]!.body,
      conns: rs[0]!.conns,
      n: rs.length,
      contaminated_runs: all.length - clean.length,
      only_contaminated: clean.length === 0,
      rps: median(rs.map((r) => r.rps)),
      rps_min: minOf(rs.map((r) => r.rps)),
      rps_max: maxOf(rs.map((r) => r.rps)),
      p50_us: median(rs.map((r) => r.p50_us)),
      p99_us: median(rs.map((r) => r.p99_us)),
      p999_us: median(rs.map((r) => r.p999_us)),
      proxy_cpu_us_per_req: median(rs.map((r) => r.proxy_cpu_us_per_req)),
      proxy_sys_us_per_req: median(rs.map((r) => r.proxy_sys_us_per_req)),
      proxy_cpu_pct: median(rs.map((r) => r.proxy_cpu_pct)),
      peak_rss_mib: rss === null ? null : rss / 1024,
      foreign_cpu_pct_max: maxOf(rs.map((r) => r.foreign_cpu_pct)),
      steal_cpu_pct_max: maxOf(rs.map((r) => r.steal_cpu_pct ?? null)),
      errors: rs.reduce((a, r) => a + r.errors, 0),
    });
  }
  return keys.map((k) => {
    const c = base.get(k)!;
    const ref = (t: string) => base.get(`${t}|${c.body}|${c.conns}`);
    const d = ref("direct"), n = ref("nginx"), h = ref("haproxy");
    return {
      ...c,
      x_nginx: ratio(c.rps, n?.rps),
      x_haproxy: ratio(c.rps, h?.rps),
      x_direct: ratio(c.rps, d?.rps),
      added_p50_us: c.target === "direct" ? null : diff(c.p50_us, d?.p50_us),
      added_p99_us: c.target === "direct" ? null : diff(c.p99_us, d?.p99_us),
      cpu_x_nginx: ratio(c.proxy_cpu_us_per_req, n?.proxy_cpu_us_per_req),
    };
  });
}

/**
 * Find a cell.
 *
 * @returns the cell, or undefined
 */
export function cellOf(
  cells: readonly Cell[],
  target: string,
  body: Body,
  conns: number,
): Cell | undefined {
  return cells.find((c) => c.target === target && c.body === body && c.conns === conns);
}
