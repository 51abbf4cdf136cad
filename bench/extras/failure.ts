/**
 * Latency under failure: three endpoints, one of them bad, behind Switchyard (default stack: p2c,
 * failure accrual, requeues of connection failures) and behind the anchors with their retry
 * settings — nginx `proxy_next_upstream error timeout http_500 http_502 http_503` (3 tries,
 * `max_fails=1 fail_timeout=10s`), HAProxy `retry-on conn-failure empty-response
 * response-timeout 500 502 503` (`retries 2`, `option redispatch`). Both anchors balance with
 * least-connections, the closest match to p2c. Scenarios: `none` (all healthy), `down`
 * (connection refused), `error` (answers 500 at once), `slow` (answers after `slowMs`).
 * Every scenario starts fresh proxies, so each learns about the bad endpoint from scratch.
 *
 * @module
 */
import type { BenchCtx } from "../matrix.ts";
import { switchyardYaml } from "../conf.ts";
import {
  freePort,
  type Server,
  startAux,
  startHaproxy,
  startNginxProxy,
  startOrigin,
  startSwitchyard,
} from "../servers.ts";
import { runWrk } from "../wrk.ts";
import { ticksOf } from "../proc_stat.ts";

/** The bad endpoint's behaviour. */
export type FailureScenario = "none" | "down" | "error" | "slow";

/** One (scenario, proxy) run. */
export interface FailureRun {
  readonly scenario: FailureScenario;
  readonly target: string;
  readonly rps: number;
  readonly p50_us: number;
  readonly p99_us: number;
  readonly p999_us: number;
  readonly requests: number;
  /** Non-2xx/3xx answers plus socket errors and timeouts. */
  readonly errors: number;
  readonly error_pct: number;
  readonly cpu_us_per_req: number | null;
  readonly failed?: string;
}

/** The failure run. */
export interface FailureResult {
  readonly slow_ms: number;
  readonly conns: number;
  /** Seconds of load each target had before its measured run (absent: none). */
  readonly warmup_s?: number;
  readonly runs: FailureRun[];
}

const SCENARIOS: readonly FailureScenario[] = ["none", "down", "error", "slow"];

/**
 * Run every scenario against Switchyard, nginx and HAProxy.
 *
 * @returns one run per (scenario, target)
 */
export async function runFailure(
  ctx: BenchCtx,
  o: {
    durationS: number;
    /** Seconds of the same load before the measured run, for every target alike (as the matrix). */
    warmupS?: number;
    conns: number;
    slowMs: number;
    targets: readonly string[];
  },
): Promise<FailureResult> {
  const okPorts = [freePort(), freePort()];
  const errorPort = freePort();
  const slowPort = freePort();
  const downPort = freePort(); // nothing listens here
  const origin = await startOrigin(ctx, {
    name: "failure-origin",
    port: okPorts[0]!,
    cpus: ctx.cpus.origin,
    extraListens: [`127.0.0.1:${okPorts[1]}`, `127.0.0.2:${okPorts[0]}`],
    errorListens: [`127.0.0.1:${errorPort}`],
  });
  const slow = await startAux(ctx, {
    name: "failure-slow",
    port: slowPort,
    delayMs: o.slowMs,
    cpus: ctx.cpus.origin,
  });
  const runs: FailureRun[] = [];
  try {
    for (const scenario of SCENARIOS) {
      const bad = { none: okPorts[0]!, down: downPort, error: errorPort, slow: slowPort }[scenario];
      const ups = [`127.0.0.1:${okPorts[0]}`, `127.0.0.1:${okPorts[1]}`, `127.0.0.1:${bad}`];
      if (scenario === "none") ups[2] = `127.0.0.2:${okPorts[0]}`; // a distinct healthy endpoint
      for (const target of o.targets) {
        let s: Server | undefined;
        try {
          s = await start(ctx, target, scenario, ups);
          // Each scenario starts a new process; a warm-up keeps a JIT's first seconds (Switchyard
          // compiling its hot path: p99 ~4.5 ms and +20% CPU in a cold 5 s run) out of the
          // measured run, as the matrix warms every cell. Every target gets the same load.
          if ((o.warmupS ?? 0) > 0) {
            await runWrk(ctx.procs, {
              port: s.port,
              path: "/",
              host: "origin",
              conns: o.conns,
              durationS: o.warmupS!,
              cpus: ctx.cpus.load,
              dir: ctx.dir,
            }, ctx.clk);
          }
          const pids = s.pids();
          const t0 = ticksOf(pids);
          const w = await runWrk(ctx.procs, {
            port: s.port,
            path: "/",
            host: "origin",
            conns: o.conns,
            durationS: o.durationS,
            cpus: ctx.cpus.load,
            dir: ctx.dir,
          }, ctx.clk);
          const t1 = ticksOf(pids);
          if (w instanceof Error) throw w;
          const errors = w.err_connect + w.err_read + w.err_write + w.err_status + w.err_timeout;
          const run: FailureRun = {
            scenario,
            target,
            rps: w.requests / (w.duration_us / 1e6),
            p50_us: w.p50_us,
            p99_us: w.p99_us,
            p999_us: w.p999_us,
            requests: w.requests,
            errors,
            error_pct: w.requests > 0 ? errors / w.requests * 100 : 0,
            cpu_us_per_req: w.requests > 0 ? (t1 - t0) / ctx.clk * 1e6 / w.requests : null,
          };
          runs.push(run);
          ctx.log(
            `failure ${scenario} ${target}: ${run.rps.toFixed(0)} req/s p50 ${run.p50_us}µs ` +
              `p99 ${run.p99_us}µs errors ${run.error_pct.toFixed(2)}%`,
          );
        } catch (e: unknown) {
          const msg = e instanceof Error ? e.message.split("\n")[0]! : String(e);
          runs.push({
            scenario,
            target,
            rps: 0,
            p50_us: 0,
            p99_us: 0,
            p999_us: 0,
            requests: 0,
            errors: 0,
            error_pct: 0,
            cpu_us_per_req: null,
            failed: msg,
          });
          ctx.log(`failure ${scenario} ${target}: FAILED ${msg}`);
        } finally {
          await s?.stop();
        }
      }
    }
  } finally {
    await slow.stop();
    await origin.stop();
  }
  return { slow_ms: o.slowMs, conns: o.conns, warmup_s: o.warmupS ?? 0, runs };
}

async function start(
  ctx: BenchCtx,
  target: string,
  scenario: string,
  ups: string[],
): Promise<Server> {
  const port = freePort();
  const name = `failure-${scenario}-${target}`;
  const cpus = ctx.cpus.proxy;
  const retry = { readTimeoutMs: 5000 };
  switch (target) {
    case "nginx":
      return await startNginxProxy(ctx, { name, port, upstreams: ups, cpus, retry });
    case "haproxy":
      return await startHaproxy(ctx, { name, port, upstreams: ups, cpus, retry });
    case "switchyard": {
      const rootDir = `${ctx.dir}/${name}-disco`;
      await Deno.mkdir(rootDir, { recursive: true });
      await Deno.writeTextFile(`${rootDir}/origin`, ups.map((u) => u.replace(":", " ")).join("\n"));
      const yaml = switchyardYaml({ port, adminPort: freePort(), rootDir });
      return await startSwitchyard(ctx, { name, port, yaml, cpus });
    }
    default:
      throw new Error(`no failure setup for ${target}`);
  }
}
