/**
 * One measured run: wrk against one target while the harness reads the proxy's CPU ticks
 * (utime + stime over its process tree, before/after), samples its RSS, and estimates how much
 * CPU *other* tenants of the machine used meanwhile (machine busy ticks minus ours, and the
 * hypervisor's steal time: CPU other VMs took from this VM's vCPUs), so a run disturbed by someone
 * else can be flagged and redone.
 *
 * @module
 */
import type { Procs } from "./procs.ts";
import {
  processTicks,
  sampleRss,
  type SystemTicks,
  systemTicks,
  sysTicksOf,
  ticksOf,
  treePids,
} from "./proc_stat.ts";
import type { Server } from "./servers.ts";
import { runWrk, type WrkResult } from "./wrk.ts";

/** A target wrk can be pointed at. */
export interface Target {
  /** `direct`, `nginx`, `haproxy`, `caddy`, `switchyard`, … */
  readonly name: string;
  readonly port: number;
  /** The proxy process, undefined for `direct`. */
  readonly server: Server | undefined;
}

/** Body sizes: `small` = `GET /` (12 B), `16k` = `GET /16k`. */
export type Body = "small" | "16k";

/**
 * The request path of a body size.
 *
 * @returns `/` or `/16k`
 */
export function pathOf(body: Body): string {
  return body === "16k" ? "/16k" : "/";
}

/** Everything one run recorded. */
export interface RunRecord extends Omit<WrkResult, "wrk_cpu_s"> {
  readonly target: string;
  readonly body: Body;
  readonly conns: number;
  readonly rep: number;
  readonly attempt: number;
  readonly elapsed_s: number;
  readonly rps: number;
  readonly errors: number;
  readonly bytes_per_req: number;
  /** Proxy CPU (all its processes), % of one core; null for direct. */
  readonly proxy_cpu_pct: number | null;
  /** Proxy CPU µs per request; null for direct. */
  readonly proxy_cpu_us_per_req: number | null;
  /** Of it, the kernel's (stime) µs per request; null for direct (absent in older results). */
  readonly proxy_sys_us_per_req?: number | null;
  readonly origin_cpu_pct: number;
  readonly wrk_cpu_pct: number;
  /** CPU other tenants used during the run, % of one core. */
  readonly foreign_cpu_pct: number;
  /** irq + softirq time during the run (not charged to any process), % of one core. */
  readonly irq_cpu_pct: number;
  /**
   * The hypervisor's steal time during the run (CPU other VMs took from this VM's vCPUs), % of one
   * core; absent in older results.
   */
  readonly steal_cpu_pct?: number;
  /** Peak RSS of the proxy's process tree, KiB; null for direct. */
  readonly peak_rss_kib: number | null;
  readonly contaminated: boolean;
  /** Set when wrk gave no result. */
  readonly failed?: string;
}

/** What a run needs besides the target. */
export interface MeasureEnv {
  readonly procs: Procs;
  readonly dir: string;
  readonly clk: number;
  readonly origin: Server;
  /** CPU list of wrk. */
  readonly loadCpus: string | undefined;
  /** Host header sent to every target. */
  readonly host: string;
  /** Above this much foreign CPU and steal time together (% of a core) a run is `contaminated`. */
  readonly foreignMaxPct: number;
}

/**
 * What others took of the machine's CPU between two readings, % of one core: `foreign`, their
 * processes' (machine busy ticks minus this harness's processes' and wrk's), and `steal`, the
 * hypervisor's steal time (other VMs on this VM's vCPUs, which no process of ours is charged for
 * and which slows every process here).
 *
 * @param s0 machine ticks before
 * @param s1 machine ticks after
 * @param oursTicks ticks of this harness's processes in between
 * @param wrkCpuS wrk's CPU seconds in between (wrk is not a child the harness can see)
 * @param clk clock ticks per second
 * @param elapsedS seconds in between
 * @returns both, each at least 0
 * @example
 * ```ts
 * import { othersCpu } from "./measure.ts";
 * const t = (busy: number, steal: number) => ({ busy, irq: 0, steal, total: 0 });
 * othersCpu(t(1000, 10), t(1600, 110), 400, 1, 100, 5); // { foreign: 20, steal: 20 }
 * ```
 */
export function othersCpu(
  s0: SystemTicks,
  s1: SystemTicks,
  oursTicks: number,
  wrkCpuS: number,
  clk: number,
  elapsedS: number,
): { foreign: number; steal: number } {
  const pct = (ticks: number) => ticks / clk / elapsedS * 100;
  return {
    foreign: Math.max(0, pct(s1.busy - s0.busy - oursTicks) - wrkCpuS / elapsedS * 100),
    steal: Math.max(0, pct(s1.steal - s0.steal)),
  };
}

/** Ticks of every process we started (and of this harness) right now. */
export function ourTicks(procs: Procs): number {
  let t = processTicks(Deno.pid);
  for (const p of procs.running()) t += ticksOf(treePids(p.pid));
  return t;
}

/**
 * Measure one run.
 *
 * @returns the record (with `failed` set when wrk produced nothing)
 */
export async function measureRun(
  env: MeasureEnv,
  t: Target,
  o: { body: Body; conns: number; durationS: number; rep: number; attempt: number },
): Promise<RunRecord> {
  const proxyPids = t.server ? t.server.pids() : [];
  const originPids = env.origin.pids();
  const p0 = ticksOf(proxyPids), o0 = ticksOf(originPids), ps0 = sysTicksOf(proxyPids);
  const us0 = ourTicks(env.procs), s0 = systemTicks();
  const rss = t.server ? sampleRss(t.server.proc.pid, 200) : undefined;
  const w0 = performance.now();
  const w = await runWrk(env.procs, {
    port: t.port,
    path: pathOf(o.body),
    host: env.host,
    conns: o.conns,
    durationS: o.durationS,
    cpus: env.loadCpus,
    dir: env.dir,
  }, env.clk);
  const elapsed = (performance.now() - w0) / 1000;
  const peak = rss?.stop() ?? null;
  const p1 = ticksOf(proxyPids), o1 = ticksOf(originPids), ps1 = sysTicksOf(proxyPids);
  const us1 = ourTicks(env.procs), s1 = systemTicks();
  const clk = env.clk;
  const pct = (ticks: number) => ticks / clk / elapsed * 100;
  const wrkCpu = w instanceof Error ? 0 : w.wrk_cpu_s;
  const { foreign, steal } = othersCpu(s0, s1, us1 - us0, wrkCpu, clk, elapsed);
  const base = {
    target: t.name,
    body: o.body,
    conns: o.conns,
    rep: o.rep,
    attempt: o.attempt,
    elapsed_s: elapsed,
    proxy_cpu_pct: t.server ? pct(p1 - p0) : null,
    origin_cpu_pct: pct(o1 - o0),
    wrk_cpu_pct: wrkCpu / elapsed * 100,
    foreign_cpu_pct: foreign,
    irq_cpu_pct: pct(s1.irq - s0.irq),
    steal_cpu_pct: steal,
    peak_rss_kib: peak,
    contaminated: foreign + steal > env.foreignMaxPct,
  };
  if (w instanceof Error) {
    return {
      ...base,
      requests: 0,
      duration_us: 0,
      bytes: 0,
      err_connect: 0,
      err_read: 0,
      err_write: 0,
      err_status: 0,
      err_timeout: 0,
      lat_mean_us: 0,
      lat_max_us: 0,
      p50_us: 0,
      p90_us: 0,
      p99_us: 0,
      p999_us: 0,
      rps: 0,
      errors: 0,
      bytes_per_req: 0,
      proxy_cpu_us_per_req: null,
      proxy_sys_us_per_req: null,
      failed: w.message,
    };
  }
  const { wrk_cpu_s: _, ...wr } = w;
  const errors = w.err_connect + w.err_read + w.err_write + w.err_status + w.err_timeout;
  return {
    ...base,
    ...wr,
    rps: w.duration_us > 0 ? w.requests / (w.duration_us / 1e6) : 0,
    errors,
    bytes_per_req: w.requests > 0 ? w.bytes / w.requests : 0,
    proxy_cpu_us_per_req: t.server && w.requests > 0 ? ((p1 - p0) / clk) * 1e6 / w.requests : null,
    proxy_sys_us_per_req: t.server && w.requests > 0
      ? ((ps1 - ps0) / clk) * 1e6 / w.requests
      : null,
  };
}

/**
 * Wait (at most `maxWaitMs`) until other tenants use at most `quietPct`% of a core over 1 s: their
 * processes and the hypervisor's steal time together (see {@link othersCpu}).
 *
 * @returns the others' CPU % measured last
 */
export async function quietWait(
  procs: Procs,
  clk: number,
  quietPct: number,
  maxWaitMs: number,
): Promise<number> {
  const end = performance.now() + maxWaitMs;
  let last = 0;
  do {
    const s0 = systemTicks(), u0 = ourTicks(procs), t0 = performance.now();
    await new Promise((r) => setTimeout(r, 1000));
    const s1 = systemTicks(), u1 = ourTicks(procs);
    const secs = (performance.now() - t0) / 1000;
    const o = othersCpu(s0, s1, u1 - u0, 0, clk, secs);
    last = o.foreign + o.steal;
    if (last <= quietPct) return last;
  } while (performance.now() < end);
  return last;
}
