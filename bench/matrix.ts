/**
 * The throughput/latency matrix: the nginx origin, the targets (direct, nginx, HAProxy, Caddy
 * when installed, Switchyard), a warm-up of every cell, then `reps` repetitions of every (body,
 * connections, target) with the target order reversed on every other repetition, each run redone
 * (bounded) when other tenants disturbed it.
 *
 * @module
 */
import type { Procs } from "./procs.ts";
import {
  checkContent,
  freePort,
  haveCommand,
  type Server,
  startCaddy,
  startHaproxy,
  startNginxProxy,
  startOrigin,
  startSwitchyard,
} from "./servers.ts";
import { switchyardYaml } from "./conf.ts";
import {
  type Body,
  type MeasureEnv,
  measureRun,
  pathOf,
  quietWait,
  type RunRecord,
  type Target,
} from "./measure.ts";
import { type Cell, median, summarize } from "./summary.ts";
import { runWrk } from "./wrk.ts";
import { delay } from "./procs.ts";

/** Target names the matrix knows. */
export const ALL_TARGETS = [
  "direct",
  "nginx",
  "haproxy",
  "caddy",
  "switchyard",
  "switchyard-serve",
] as const;

/** What the matrix runs. */
export interface MatrixOptions {
  readonly targets: readonly string[];
  readonly bodies: readonly Body[];
  readonly conns: readonly number[];
  readonly reps: number;
  readonly durationS: number;
  readonly warmupS: number;
  /** A run where others used more than this (% of a core) is redone. */
  readonly foreignMaxPct: number;
  /** Before a run, wait until others use at most this (% of a core)… */
  readonly quietPct: number;
  /** …for at most this long. */
  readonly quietMaxWaitMs: number;
  /** Attempts per run (1 = never redo). */
  readonly attempts: number;
  /** Stop starting runs after this many minutes. */
  readonly maxMinutes: number;
  /** Extra arguments after `serve CONFIG` for Switchyard. */
  readonly switchyardArgs: readonly string[];
}

/** Shared run context. */
export interface BenchCtx {
  readonly procs: Procs;
  readonly dir: string;
  readonly clk: number;
  /** CPU lists: the proxy under test, wrk, the origin (undefined = not pinned). */
  readonly cpus: {
    readonly proxy: string | undefined;
    readonly load: string | undefined;
    readonly origin: string | undefined;
  };
  /** Progress lines (stderr + run log). */
  log(line: string): void;
  /** Switchyard's V8 flags when not router/v8_flags.ts's (bench `--v8-flags`). */
  readonly v8Flags?: readonly string[];
}

/** Description of a started target. */
export interface TargetInfo {
  readonly name: string;
  readonly port: number;
  readonly description: string;
  readonly pid: number | null;
}

/** The matrix's output. */
export interface MatrixResult {
  readonly records: RunRecord[];
  readonly cells: Cell[];
  readonly targets: TargetInfo[];
  /**
   * Switchyard's idle RSS before any load (KiB): the median of 5 readings from 2 to 4 s after it
   * first answered.
   */
  readonly switchyardStartRssKib: number | null;
  readonly notes: string[];
}

const DESCRIPTIONS: Record<string, string> = {
  direct: "wrk → origin nginx (no proxy)",
  nginx: "nginx proxy_pass, upstream keepalive 64, 1 worker",
  haproxy: "HAProxy 1 thread, mode http, http-reuse always",
  caddy: "Caddy reverse_proxy, GOMAXPROCS=1",
  switchyard: "Switchyard `main.ts serve`: io.l5d.fs namer, default stack, raw HTTP/1.1 engine",
  "switchyard-serve": "the same Switchyard config with `engine: serve` (Deno.serve front end)",
};

async function startTarget(
  ctx: BenchCtx,
  name: string,
  originPort: number,
  notes: string[],
  syArgs: readonly string[],
): Promise<Target | undefined> {
  if (name === "direct") return { name, port: originPort, server: undefined };
  const port = freePort();
  const up = [`127.0.0.1:${originPort}`];
  const cpus = ctx.cpus.proxy;
  let server: Server;
  switch (name) {
    case "nginx":
      server = await startNginxProxy(ctx, { name, port, upstreams: up, cpus });
      break;
    case "haproxy":
      server = await startHaproxy(ctx, { name, port, upstreams: up, cpus });
      break;
    case "caddy":
      if (!(await haveCommand("caddy"))) {
        notes.push("Caddy is not installed: skipped (optional anchor).");
        return undefined;
      }
      server = await startCaddy(ctx, { name, port, upstream: up[0]!, cpus });
      break;
    case "switchyard":
    case "switchyard-serve": {
      const rootDir = `${ctx.dir}/disco`;
      await Deno.mkdir(rootDir, { recursive: true });
      await Deno.writeTextFile(`${rootDir}/origin`, `127.0.0.1 ${originPort}\n`);
      const engine = name === "switchyard-serve" ? "serve" : undefined;
      const yaml = switchyardYaml({ port, adminPort: freePort(), rootDir, engine });
      server = await startSwitchyard(ctx, { name, port, yaml, cpus, args: syArgs });
      break;
    }
    default:
      throw new Error(`unknown target ${name} (known: ${ALL_TARGETS.join(", ")})`);
  }
  return { name, port, server };
}

/**
 * Run the matrix.
 *
 * @returns records, cells, targets and notes
 * @throws Error when the origin does not start
 */
export async function runMatrix(ctx: BenchCtx, o: MatrixOptions): Promise<MatrixResult> {
  const notes: string[] = [];
  const originPort = freePort();
  const origin = await startOrigin(ctx, {
    name: "origin",
    port: originPort,
    cpus: ctx.cpus.origin,
  });
  const targets: Target[] = [];
  let startRss: number | null = null;
  for (const name of o.targets) {
    try {
      const t = await startTarget(ctx, name, originPort, notes, o.switchyardArgs);
      if (!t) continue;
      const bad = await checkContent(t.port, "origin");
      if (bad) {
        notes.push(`${name} served wrong content (${bad}): skipped.`);
        await t.server?.stop();
        continue;
      }
      if (name === "switchyard" && t.server) {
        // As the idle run reads it: 2 s after the first answer (the start-up pages go back to
        // the page cache after the first idle second), then the median of 5 readings 0.5 s apart.
        await delay(2000);
        const v: number[] = [];
        for (let i = 0; i < 5; i++) {
          if (i > 0) await delay(500);
          v.push(t.server.rssKib());
        }
        startRss = median(v) ?? null;
      }
      targets.push(t);
    } catch (e: unknown) {
      notes.push(`${name} did not start: ${e instanceof Error ? e.message.split("\n")[0] : e}`);
    }
  }
  ctx.log(`ready: ${targets.map((t) => `${t.name}:${t.port}`).join(" ")}`);
  const env: MeasureEnv = {
    procs: ctx.procs,
    dir: ctx.dir,
    clk: ctx.clk,
    origin,
    loadCpus: ctx.cpus.load,
    host: "origin",
    foreignMaxPct: o.foreignMaxPct,
  };
  if (o.warmupS > 0) {
    // Every (body, connections) cell is warmed, not one: a JIT-compiled proxy's code can keep
    // changing for its first seconds at a new concurrency (measured: with the warm-up at c=16
    // only, the third of Switchyard's c=64 repetitions was its fastest in two runs, e.g. 49.8,
    // 52.6, 42.5 µs; with a c=64 warm-up 51.3, 49.5, 50.7).
    for (const t of targets) {
      for (const body of o.bodies) {
        for (const conns of o.conns) {
          await runWrk(ctx.procs, {
            port: t.port,
            path: pathOf(body),
            host: "origin",
            conns,
            durationS: o.warmupS,
            cpus: ctx.cpus.load,
            dir: ctx.dir,
          }, ctx.clk);
        }
      }
    }
    ctx.log("warm-up done");
  }
  const records: RunRecord[] = [];
  const deadline = performance.now() + o.maxMinutes * 60_000;
  const total = o.reps * o.bodies.length * o.conns.length * targets.length;
  ctx.log(`measuring ${total} runs of ${o.durationS} s`);
  let stopped = false;
  for (let rep = 1; rep <= o.reps && !stopped; rep++) {
    const order = rep % 2 === 1 ? targets : [...targets].reverse();
    for (const body of o.bodies) {
      for (const conns of o.conns) {
        for (const t of order) {
          if (performance.now() > deadline) {
            notes.push(`max-minutes (${o.maxMinutes}) reached: stopped early.`);
            stopped = true;
            break;
          }
          if (t.server && !t.server.proc.alive()) {
            notes.push(`${t.name} died during the run.`);
            continue;
          }
          let rec: RunRecord | undefined;
          for (let attempt = 1; attempt <= o.attempts; attempt++) {
            if (o.quietMaxWaitMs > 0) {
              await quietWait(ctx.procs, ctx.clk, o.quietPct, o.quietMaxWaitMs);
            }
            rec = await measureRun(env, t, { body, conns, durationS: o.durationS, rep, attempt });
            records.push(rec);
            ctx.log(line(rec));
            if (!rec.contaminated) break;
          }
        }
        if (stopped) break;
      }
      if (stopped) break;
    }
  }
  const info: TargetInfo[] = targets.map((t) => ({
    name: t.name,
    port: t.port,
    description: (DESCRIPTIONS[t.name] ?? t.name) +
      (t.name === "switchyard" && o.switchyardArgs.length
        ? ` (${o.switchyardArgs.join(" ")})`
        : ""),
    pid: t.server?.proc.pid ?? null,
  }));
  for (const t of targets) await t.server?.stop();
  await origin.stop();
  return {
    records,
    cells: summarize(records),
    targets: info,
    switchyardStartRssKib: startRss,
    notes,
  };
}

function line(r: RunRecord): string {
  const f = (x: number | null, d = 0) => x === null ? "-" : x.toFixed(d);
  return `${r.target} ${r.body} c${r.conns} rep${r.rep}${
    r.attempt > 1 ? ` try${r.attempt}` : ""
  }: ` +
    `${f(r.rps)} req/s p50 ${r.p50_us}µs p99 ${r.p99_us}µs cpu ${
      f(r.proxy_cpu_us_per_req, 1)
    }µs/req ` +
    `rss ${r.peak_rss_kib === null ? "-" : (r.peak_rss_kib / 1024).toFixed(1)}MiB ` +
    `err ${r.errors} others ${f(r.foreign_cpu_pct)}% steal ${f(r.steal_cpu_pct ?? 0)}%${
      r.contaminated ? " (disturbed)" : ""
    }` +
    `${r.failed ? ` FAILED ${r.failed}` : ""}`;
}
