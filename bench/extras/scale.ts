/**
 * Scale: 1000 services × 10 endpoints in the `io.l5d.fs` namer (the endpoints are the origin on
 * 127.0.0.1 … 127.0.0.10, same port). Measures
 *
 * - memory: RSS of a Switchyard that serves one service (baseline), then of one whose namer holds
 *   all the services, idle, after one service was used, and after every service was used once
 *   (binding cache, path and client stacks, balancers and pools materialized), and once more
 *   after the load passes below, when every endpoint has served requests (the goal's reading,
 *   against the one-service process after wrk passes of its own). The baseline is
 *   read twice: after one request ("cold") and after as many requests, over as many connections,
 *   as the all-services process served ("warm"), so that the extra memory counted against the
 *   goal is what the services cost, not what serving ~2000 requests costs (JIT code, V8's caches
 *   and compiler threads: ~13 MiB on its own);
 * - time to first byte of a name never requested before (bind + stacks + first connection) vs a
 *   warm one, over one keep-alive connection;
 * - per-request cost with wrk rotating the Host header over 1 vs all services: a first pass of
 *   each (reported too; it also builds each endpoint's stack on its first request), then `reps`
 *   measured pairs in alternating order; the goal's ratio is the median of the pairs' ratios.
 *
 * @module
 */
import type { BenchCtx } from "../matrix.ts";
import { switchyardYaml } from "../conf.ts";
import { freePort, type Server, startOrigin, startSwitchyard } from "../servers.ts";
import { probeConnect } from "../http_probe.ts";
import { delay } from "../procs.ts";
import { median } from "../summary.ts";
import { settledRssMib, startupTrimmed } from "./idle.ts";
import { ticksOf } from "../proc_stat.ts";
import { runWrk, type WrkResult } from "../wrk.ts";

/** Per-request cost with N active services. */
export interface ScaleLoad {
  readonly services: number;
  readonly rps: number;
  readonly p50_us: number;
  readonly p99_us: number;
  /** Median of the measured passes, each after a first pass of the same load. */
  readonly cpu_us_per_req: number | null;
  /** Every measured pass, in order. */
  readonly passes_cpu_us_per_req: (number | null)[];
  /**
   * The first pass over these services: it also builds what their first requests build (each
   * endpoint's stack and stats, each slice's first sketch), so it is kept apart.
   */
  readonly first_pass_cpu_us_per_req: number | null;
  readonly errors: number;
}

/** The scale run. */
export interface ScaleResult {
  readonly services: number;
  readonly endpoints_per_service: number;
  /**
   * One service in the namer, after serving it as many requests, over as many connections, as the
   * all-services process serves before `all_used_rss_mib` (2 × (services − 1) + 1), MiB.
   */
  readonly baseline_rss_mib: number;
  /** The same one-service process after its first request only, MiB (the old baseline). */
  readonly baseline_cold_rss_mib: number;
  /** All services in the namer, idle, MiB. */
  readonly idle_rss_mib: number;
  /** All services in the namer, after one was used. */
  readonly one_used_rss_mib: number;
  /** After every service was used once. */
  readonly all_used_rss_mib: number;
  /**
   * The one-service process after wrk load on its service (as many passes as
   * {@link baseline_loaded_passes}), settled 3 s, MiB.
   */
  readonly baseline_loaded_rss_mib: number;
  /** wrk passes the loaded baseline served. */
  readonly baseline_loaded_passes: number;
  /**
   * The all-services process after the load passes below (every endpoint of every service has
   * served requests: its stack, stats and histograms exist), settled 3 s, MiB.
   */
  readonly all_loaded_rss_mib: number;
  /**
   * all_loaded − baseline_loaded: what 1000 services cost once all their endpoints carry
   * traffic. The goal (≤ 50 MB) is checked on this one since the nineteenth session: `extra_mib`
   * is read after two requests per service, when each has built its stacks for ~2 of its 10
   * endpoints (they are built on their first request).
   */
  readonly extra_loaded_mib: number;
  /**
   * all_used − baseline: the memory the services cost. The goal (≤ 50 MB) is checked on this one:
   * both sides have served the same requests, so warm-up (JIT code, V8 caches, its background
   * compiler threads) is on both sides and cancels out.
   */
  readonly extra_mib: number;
  /**
   * all_used − baseline_cold: the number this run reported as `extra_mib` until the baseline was
   * made warm (warm-up + services), kept for comparison with older results.
   */
  readonly extra_vs_cold_mib: number;
  /** (all_used − one_used) / (services − 1), KiB. */
  readonly kib_per_service: number;
  readonly new_name_ttfb_ms: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly warm_ttfb_ms: { readonly p50: number; readonly p99: number };
  /** Requests to new names that did not answer 200. */
  readonly new_name_errors: number;
  readonly load: ScaleLoad[];
  /**
   * CPU per request with all names ÷ with one, per measured pair (adjacent passes): the goal's
   * number is their median.
   */
  readonly cpu_ratios: number[];
  /** Median of {@link cpu_ratios}; null when no pair was measured. */
  readonly cpu_ratio: number | null;
}

function pct(xs: number[], p: number): number {
  const v = [...xs].sort((a, b) => a - b);
  return v.length ? v[Math.min(v.length - 1, Math.floor(p / 100 * v.length))]! : NaN;
}

async function writeServices(dir: string, n: number, lines: string): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  for (let i = 0; i < n; i++) await Deno.writeTextFile(`${dir}/svc-${i}`, lines);
}

/**
 * Requests `svc-from` … `svc-(to − 1)` in turn over one keep-alive connection (a new one after a
 * failure); with `only`, `to − from` requests to `svc-<only>` instead (the baseline's sweeps).
 */
async function sweep(
  port: number,
  from: number,
  to: number,
  only?: number,
): Promise<{ ttfb: number[]; errors: number }> {
  const ttfb: number[] = [];
  let errors = 0;
  let conn = await probeConnect("127.0.0.1", port);
  try {
    for (let i = from; i < to; i++) {
      try {
        const r = await conn.request("/", { host: `svc-${only ?? i}`, timeoutMs: 15_000 });
        ttfb.push(r.ttfbMs);
        if (r.status !== 200) errors++;
      } catch {
        errors++;
        conn.close();
        conn = await probeConnect("127.0.0.1", port);
      }
    }
  } finally {
    conn.close();
  }
  return { ttfb, errors };
}

/** wrk passes the one-service baseline serves before its loaded reading. */
const BASELINE_PASSES = 2;

interface Pass {
  readonly w: WrkResult;
  readonly cpu: number | null;
}

/** One wrk pass rotating the Host header over `services` names (16 connections). */
async function pass(
  ctx: BenchCtx,
  sy: Server,
  services: number,
  durationS: number,
): Promise<Pass | null> {
  const pids = sy.pids();
  const t0 = ticksOf(pids);
  const w = await runWrk(ctx.procs, {
    port: sy.port,
    path: "/",
    host: "svc-0",
    conns: 16,
    durationS,
    cpus: ctx.cpus.load,
    rotateHosts: services,
    dir: ctx.dir,
  }, ctx.clk);
  const t1 = ticksOf(pids);
  if (w instanceof Error) return null;
  return { w, cpu: w.requests > 0 ? (t1 - t0) / ctx.clk * 1e6 / w.requests : null };
}

function medianOf(xs: (number | null)[]): number | null {
  return median(xs.filter((x): x is number => x !== null)) ?? null;
}

/**
 * The per-request cost with 1 and with `n` active names: a first pass of each (it builds what
 * their first requests build), then `reps` measured pairs, the order reversed every other pair
 * as the matrix does, so that a slow spell of the shared machine lands on both sides of a pair.
 * The goal's ratio is the median of the pairs' ratios.
 */
async function loadPairs(
  ctx: BenchCtx,
  sy: Server,
  n: number,
  durationS: number,
  reps: number,
): Promise<{ load: ScaleLoad[]; ratios: number[] }> {
  const counts = [1, n];
  const first = new Map<number, Pass | null>();
  for (const k of counts) first.set(k, await pass(ctx, sy, k, durationS));
  const measured = new Map<number, (Pass | null)[]>(counts.map((k) => [k, []]));
  const ratios: number[] = [];
  for (let r = 0; r < reps; r++) {
    const got = new Map<number, Pass | null>();
    for (const k of r % 2 === 0 ? counts : [...counts].reverse()) {
      const p = await pass(ctx, sy, k, durationS);
      got.set(k, p);
      measured.get(k)!.push(p);
    }
    const one = got.get(1)?.cpu, all = got.get(n)?.cpu;
    if (one && all) ratios.push(all / one);
  }
  const load = counts.map((k): ScaleLoad => {
    const ps = measured.get(k)!.filter((p): p is Pass => p !== null);
    return {
      services: k,
      rps: medianOf(ps.map((p) => p.w.requests / (p.w.duration_us / 1e6))) ?? 0,
      p50_us: medianOf(ps.map((p) => p.w.p50_us)) ?? 0,
      p99_us: medianOf(ps.map((p) => p.w.p99_us)) ?? 0,
      cpu_us_per_req: medianOf(ps.map((p) => p.cpu)),
      passes_cpu_us_per_req: ps.map((p) => p.cpu),
      first_pass_cpu_us_per_req: first.get(k)?.cpu ?? null,
      errors: ps.length === 0 ? -1 : ps.reduce(
        (a, p) =>
          a + p.w.err_connect + p.w.err_read + p.w.err_write + p.w.err_status +
          p.w.err_timeout,
        0,
      ),
    };
  });
  return { load, ratios };
}

/**
 * Run the scale measurement.
 *
 * @returns the measurement
 */
export async function runScale(
  ctx: BenchCtx,
  o: { services: number; endpoints: number; durationS: number; reps: number },
): Promise<ScaleResult> {
  const originPort = freePort();
  const ips = Array.from({ length: o.endpoints }, (_, i) => `127.0.0.${i + 1}`);
  const origin = await startOrigin(ctx, {
    name: "scale-origin",
    port: originPort,
    cpus: ctx.cpus.origin,
    extraListens: ips.slice(1).map((ip) => `${ip}:${originPort}`),
  });
  const lines = ips.map((ip) => `${ip} ${originPort}`).join("\n") + "\n";
  // Started, then idle until its start-up heap trim ran (see `startupTrimmed`): every reading
  // below comes after it, on both processes.
  const start = async (name: string, rootDir: string) => {
    const port = freePort(), adminPort = freePort();
    const sy = await startSwitchyard(ctx, {
      name,
      port,
      yaml: switchyardYaml({ port, adminPort, rootDir }),
      cpus: ctx.cpus.proxy,
      readyHost: "svc-0",
    });
    await delay(2000);
    if (!await startupTrimmed(adminPort)) ctx.log(`scale: ${name}: no start-up heap trim in 15 s`);
    return sy;
  };
  try {
    // Baseline: a namer with one service, used. Measured in the same state as "all used" below:
    // after the start-up trim (heap_trim.ts: ~1–2 s after the last start-up request; waited for
    // on the admin's `process/heap_trims`), then used, then 2–3 s of rest (no trim: later trims
    // wait for 5 min of silence). Sweeping before the start-up trim let that trim land before
    // or after the measurement depending on the box's load, which moved the baseline by up to
    // 30 MiB between runs (a fixed 2 s wait was not enough on a loaded box).
    // Read after its first request (cold, the old baseline), then after the same requests as the
    // all-services process below, in the same pattern (one, then two connections of N − 1 each),
    // all to its one service (warm: the baseline `extra_mib` is counted from).
    const oneDir = `${ctx.dir}/scale-one`;
    await writeServices(oneDir, 1, lines);
    const base = await start("scale-baseline", oneDir);
    let baseline: number, baselineCold: number, baselineLoaded: number;
    try {
      await sweep(base.port, 0, 1);
      await delay(2000);
      baselineCold = await settledRssMib(base.proc.pid);
      await sweep(base.port, 1, o.services, 0);
      await sweep(base.port, 1, o.services, 0);
      await delay(3000);
      baseline = await settledRssMib(base.proc.pid);
      // Loaded: wrk passes on its one service, as the all-services process gets below.
      for (let i = 0; i < BASELINE_PASSES; i++) await pass(ctx, base, 1, o.durationS);
      await delay(3000);
      baselineLoaded = await settledRssMib(base.proc.pid);
    } finally {
      await base.stop();
    }
    const allDir = `${ctx.dir}/scale-all`;
    await writeServices(allDir, o.services, lines);
    const sy = await start("scale-switchyard", allDir);
    try {
      const idle = await settledRssMib(sy.proc.pid);
      await sweep(sy.port, 0, 1);
      await delay(1000);
      const oneUsed = await settledRssMib(sy.proc.pid);
      const fresh = await sweep(sy.port, 1, o.services);
      const warm = await sweep(sy.port, 1, o.services);
      await delay(3000);
      const allUsed = await settledRssMib(sy.proc.pid);
      ctx.log(
        `scale: RSS baseline ${baseline.toFixed(1)} (cold ${baselineCold.toFixed(1)}), idle ` +
          `${idle.toFixed(1)}, one used ${oneUsed.toFixed(1)}, all used ${allUsed.toFixed(1)} ` +
          `MiB: extra +${(allUsed - baseline).toFixed(1)} MiB (over a cold baseline ` +
          `+${(allUsed - baselineCold).toFixed(1)}); new-name TTFB p50 ` +
          `${pct(fresh.ttfb, 50).toFixed(2)} ms`,
      );
      const { load, ratios } = await loadPairs(ctx, sy, o.services, o.durationS, o.reps);
      for (const l of load) {
        ctx.log(
          `scale: ${l.services} active services: ${l.rps.toFixed(0)} req/s, ` +
            `${l.cpu_us_per_req?.toFixed(1)} µs CPU/req (passes ${
              l.passes_cpu_us_per_req.map((c) => c?.toFixed(1)).join(", ")
            }; first pass ${l.first_pass_cpu_us_per_req?.toFixed(1)}), errors ${l.errors}`,
        );
      }
      ctx.log(`scale: CPU ratio per pair ${ratios.map((r) => r.toFixed(2)).join(", ")}`);
      await delay(3000);
      const allLoaded = await settledRssMib(sy.proc.pid);
      ctx.log(
        `scale: RSS after the load passes ${allLoaded.toFixed(1)} MiB, one service after ` +
          `${BASELINE_PASSES} passes ${baselineLoaded.toFixed(1)}: extra under load ` +
          `+${(allLoaded - baselineLoaded).toFixed(1)} MiB`,
      );
      return {
        services: o.services,
        endpoints_per_service: o.endpoints,
        baseline_rss_mib: baseline,
        baseline_cold_rss_mib: baselineCold,
        idle_rss_mib: idle,
        one_used_rss_mib: oneUsed,
        all_used_rss_mib: allUsed,
        baseline_loaded_rss_mib: baselineLoaded,
        baseline_loaded_passes: BASELINE_PASSES,
        all_loaded_rss_mib: allLoaded,
        extra_loaded_mib: allLoaded - baselineLoaded,
        extra_mib: allUsed - baseline,
        extra_vs_cold_mib: allUsed - baselineCold,
        kib_per_service: (allUsed - oneUsed) * 1024 / Math.max(1, o.services - 1),
        new_name_ttfb_ms: {
          p50: median(fresh.ttfb) ?? NaN,
          p99: pct(fresh.ttfb, 99),
          max: Math.max(...fresh.ttfb),
        },
        warm_ttfb_ms: { p50: median(warm.ttfb) ?? NaN, p99: pct(warm.ttfb, 99) },
        new_name_errors: fresh.errors,
        load,
        cpu_ratios: ratios,
        cpu_ratio: median(ratios) ?? null,
      };
    } finally {
      await sy.stop();
    }
  } finally {
    await origin.stop();
  }
}
