/**
 * The model and table of `switchyard top`: read per-service and per-client counters from a
 * `/admin/metrics.json?tree=1` body (`rt/<router>/service/<name>` and `rt/<router>/client/<id>`
 * with `requests`, `success`, `failures`, `pending` and the `request_latency_ms` window), turn
 * two samples into rates (RPS and success rate over the interval, from counter deltas), and lay
 * them out as a fixed-width table. Pure, so it is tested without a server.
 *
 * @example
 * ```ts
 * import { rates, readSample, renderTop } from "./top_view.ts";
 * import { style } from "./_term.ts";
 * const tree = { rt: { out: { service: { "svc/a": { requests: { counter: 10 }, success: { counter: 10 } } } } } };
 * const a = readSample(tree, 0);
 * const b = readSample({ rt: { out: { service: { "svc/a": { requests: { counter: 30 }, success: { counter: 29 }, failures: { counter: 1 } } } } } }, 2000);
 * renderTop(rates(a, b), { title: "demo", style: style(false) });
 * ```
 *
 * @module
 */
import type { Style } from "./_term.ts";

/** The counters of one service or client at one instant. */
export interface Counters {
  readonly router: string;
  readonly kind: "service" | "client";
  /** `/svc/hello` or `/#/io.l5d.fs/hello`. */
  readonly name: string;
  readonly requests: number;
  readonly success: number;
  readonly failures: number;
  readonly pending: number;
  /** Latency percentiles of the histogram's current window, ms (absent when empty). */
  readonly p50?: number;
  readonly p99?: number;
}

/** All counters at one instant. */
export interface Sample {
  /** Monotonic ms when it was read. */
  readonly atMs: number;
  readonly rows: readonly Counters[];
}

/** One line of the table. */
export interface TopRow extends Counters {
  /** Requests per second over the interval. */
  readonly rps: number;
  /** success / (success + failures) over the interval; undefined without traffic. */
  readonly successRate: number | undefined;
}

type Tree = { readonly [k: string]: unknown };

function isTree(v: unknown): v is Tree {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function num(node: unknown, metric: string, field: string): number | undefined {
  if (!isTree(node)) return undefined;
  const m = node[metric];
  if (!isTree(m)) return undefined;
  const v = m[field];
  return typeof v === "number" ? v : undefined;
}

function counters(
  router: string,
  kind: Counters["kind"],
  key: string,
  node: unknown,
): Counters | undefined {
  const requests = num(node, "requests", "counter");
  if (requests === undefined) return undefined;
  const p50 = num(node, "request_latency_ms", "stat.p50");
  const p99 = num(node, "request_latency_ms", "stat.p99");
  return {
    router,
    kind,
    name: "/" + key.replace(/^\/+/, ""),
    requests,
    success: num(node, "success", "counter") ?? 0,
    failures: num(node, "failures", "counter") ?? 0,
    pending: num(node, "pending", "gauge") ?? 0,
    ...(p50 !== undefined ? { p50 } : {}),
    ...(p99 !== undefined ? { p99 } : {}),
  };
}

/**
 * Read a sample from a metrics.json tree.
 *
 * @param tree The parsed `/admin/metrics.json?tree=1` body.
 * @param atMs When it was read (monotonic ms).
 * @returns The sample; unknown shapes are skipped.
 */
export function readSample(tree: unknown, atMs: number): Sample {
  const rows: Counters[] = [];
  const rt = isTree(tree) ? tree.rt : undefined;
  if (isTree(rt)) {
    for (const [router, r] of Object.entries(rt)) {
      if (!isTree(r)) continue;
      for (const kind of ["service", "client"] as const) {
        const group = r[kind];
        if (!isTree(group)) continue;
        for (const [key, node] of Object.entries(group)) {
          const c = counters(router, kind, key, node);
          if (c) rows.push(c);
        }
      }
    }
  }
  return { atMs, rows };
}

function id(c: Counters): string {
  return `${c.router} ${c.kind} ${c.name}`;
}

/**
 * Rates between two samples (a counter that went down — a restart — counts from zero).
 *
 * @param prev The earlier sample.
 * @param cur The later sample.
 * @returns One row per service/client in `cur`, busiest first within each router.
 */
export function rates(prev: Sample, cur: Sample): TopRow[] {
  const before = new Map(prev.rows.map((c) => [id(c), c]));
  const secs = Math.max((cur.atMs - prev.atMs) / 1000, 1e-3);
  const delta = (now: number, then: number | undefined) =>
    then === undefined || now < then ? now : now - then;
  return cur.rows.map((c): TopRow => {
    const p = before.get(id(c));
    const dReq = delta(c.requests, p?.requests);
    const dOk = delta(c.success, p?.success);
    const dFail = delta(c.failures, p?.failures);
    return {
      ...c,
      rps: dReq / secs,
      successRate: dOk + dFail > 0 ? dOk / (dOk + dFail) : undefined,
    };
  }).sort((a, b) =>
    a.router.localeCompare(b.router) || (a.kind === b.kind ? 0 : a.kind === "service" ? -1 : 1) ||
    b.rps - a.rps || a.name.localeCompare(b.name)
  );
}

/** How to render. */
export interface RenderOptions {
  /** First line, e.g. `switchyard top 127.0.0.1:9990 every 1s`. */
  readonly title: string;
  readonly style: Style;
}

function fmt(n: number | undefined, digits: number): string {
  return n === undefined ? "-" : n.toFixed(digits);
}

function pad(s: string, w: number, right = false): string {
  if (s.length >= w) return s;
  return right ? " ".repeat(w - s.length) + s : s + " ".repeat(w - s.length);
}

/**
 * Lay out the table.
 *
 * @param rows Rows from {@linkcode rates}.
 * @param opts Title and styles.
 * @returns Lines.
 */
export function renderTop(rows: readonly TopRow[], opts: RenderOptions): string[] {
  const s = opts.style;
  const out = [s.bold(opts.title)];
  if (rows.length === 0) {
    out.push("no traffic yet: no service or client metrics (send a request through a router)");
    return out;
  }
  const nameW = Math.max(7, ...rows.map((r) => r.name.length));
  const routerW = Math.max(6, ...rows.map((r) => r.router.length));
  const head = [
    pad("ROUTER", routerW),
    pad("KIND", 7),
    pad("NAME", nameW),
    pad("RPS", 9, true),
    pad("SUCCESS", 8, true),
    pad("P50 ms", 8, true),
    pad("P99 ms", 8, true),
    pad("PENDING", 7, true),
    pad("REQUESTS", 10, true),
  ];
  out.push(s.dim(head.join("  ")));
  for (const r of rows) {
    const sr = r.successRate;
    const srText = pad(sr === undefined ? "-" : `${(sr * 100).toFixed(2)}%`, 8, true);
    const srCell = sr === undefined
      ? srText
      : sr >= 0.99
      ? s.green(srText)
      : sr >= 0.95
      ? s.yellow(srText)
      : s.red(srText);
    out.push([
      pad(r.router, routerW),
      pad(r.kind, 7),
      pad(r.name, nameW),
      pad(fmt(r.rps, 1), 9, true),
      srCell,
      pad(fmt(r.p50, 1), 8, true),
      pad(fmt(r.p99, 1), 8, true),
      pad(String(r.pending), 7, true),
      pad(String(r.requests), 10, true),
    ].join("  "));
  }
  return out;
}
