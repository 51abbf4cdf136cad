/**
 * Command-line options of `deno task bench`, and the settings each mode implies:
 *
 * - default: direct, nginx, HAProxy, Caddy (if installed) and Switchyard; bodies 12 B and 16 KiB;
 *   1, 16 and 64 connections; 3 repetitions of 10 s (≈ 15 min);
 * - `--quick`: c=64, small body, 1 repetition of 5 s (≈ 1 min);
 * - `--smoke`: Switchyard only, c=4, 1 s (CI proves the harness works);
 * - `--all` adds the idle, streaming, scale and failure runs (or pick them one by one).
 *
 * @module
 */
import { Command } from "commander";
import type { Body } from "./measure.ts";

/** Resolved settings of one benchmark invocation. */
export interface BenchOptions {
  readonly mode: "full" | "quick" | "smoke";
  readonly matrix: boolean;
  readonly targets: readonly string[];
  readonly bodies: readonly Body[];
  readonly conns: readonly number[];
  readonly reps: number;
  readonly durationS: number;
  readonly warmupS: number;
  readonly pin: boolean;
  readonly attempts: number;
  readonly foreignMaxPct: number;
  readonly quietPct: number;
  readonly quietMaxWaitMs: number;
  readonly maxMinutes: number;
  readonly idle: boolean;
  readonly stream: boolean;
  readonly streamBytes: number;
  readonly scale: boolean;
  readonly services: number;
  readonly endpoints: number;
  readonly failure: boolean;
  readonly slowMs: number;
  /** Result directory; default `bench/results/<stamp>`. */
  readonly out: string | undefined;
  readonly keepTmp: boolean;
  /** Extra arguments after `serve CONFIG` for the matrix's Switchyard (e.g. `--workers 2`). */
  readonly switchyardArgs: readonly string[];
  /** Switchyard's V8 flags, when not router/v8_flags.ts's. */
  readonly v8Flags: readonly string[] | undefined;
}

function list(v: string): string[] {
  return v.split(/[,\s]+/).filter(Boolean);
}

function int(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`not a number: ${v}`);
  return n;
}

/**
 * Parse the command line.
 *
 * @param args `Deno.args`
 * @returns the settings
 * @throws Error (from commander) on unknown options
 */
export function parseOptions(args: readonly string[]): BenchOptions {
  const p = new Command("bench")
    .description("Switchyard vs nginx / HAProxy (/ Caddy) on this machine, with wrk over loopback")
    .option("--quick", "about 1 minute: c=64, small body, 1 repetition of 5 s")
    .option("--smoke", "a few seconds: Switchyard only, c=4, 1 s (for CI)")
    .option("--all", "also the idle, streaming, scale and failure runs")
    .option("--idle", "idle RSS after start")
    .option("--stream", "RSS while streaming 1 GiB each way through Switchyard")
    .option("--scale", "1000 services × 10 endpoints in the fs namer")
    .option("--failure", "latency with 1 of 3 endpoints failing/slow vs nginx/HAProxy")
    .option("--no-matrix", "skip the throughput matrix (run only the extras)")
    .option("--targets <list>", "direct,nginx,haproxy,caddy,switchyard,switchyard-serve")
    .option("--bodies <list>", "small,16k")
    .option("--conns <list>", "e.g. 1,16,64")
    .option("--reps <n>", "repetitions", int)
    .option("--duration <s>", "seconds per run", int)
    .option("--warmup <s>", "warm-up seconds per target, body and connection count", int)
    .option("--no-pin", "do not pin the proxy and the load generator to different CPUs")
    .option("--attempts <n>", "attempts per run when other tenants disturb it", int)
    .option(
      "--foreign-max <pct>",
      "others' CPU and steal time (% of a core) above which a run is redone",
      int,
    )
    .option("--max-minutes <m>", "stop starting new matrix runs after this long", int)
    .option("--stream-bytes <n>", "bytes per streaming direction", int)
    .option("--services <n>", "services in the scale run", int)
    .option("--endpoints <n>", "endpoints per service in the scale run (≤ 250)", int)
    .option("--slow-ms <ms>", "delay of the slow endpoint in the failure run", int)
    .option("--out <dir>", "result directory (default bench/results/<stamp>)")
    .option("--keep-tmp", "keep the temp run directory (configs, logs)")
    .option(
      "--v8-flags <flags>",
      "Switchyard's V8 flags (default router/v8_flags.ts; none: no flags)",
    )
    .option(
      "--switchyard-args <args>",
      "extra args after `serve CONFIG` for the matrix's Switchyard",
    );
  p.exitOverride();
  p.parse([...args], { from: "user" });
  const o = p.opts<Record<string, unknown>>();
  const mode = o.smoke ? "smoke" : o.quick ? "quick" : "full";
  const d = {
    full: {
      targets: ["direct", "nginx", "haproxy", "caddy", "switchyard", "switchyard-serve"],
      bodies: ["small", "16k"],
      conns: [1, 16, 64],
      reps: 3,
      durationS: 10,
      warmupS: 3,
      attempts: 2,
      quietMaxWaitMs: 15_000,
    },
    quick: {
      targets: ["direct", "nginx", "haproxy", "caddy", "switchyard", "switchyard-serve"],
      bodies: ["small"],
      conns: [64],
      reps: 1,
      durationS: 5,
      warmupS: 2,
      attempts: 1,
      quietMaxWaitMs: 5000,
    },
    smoke: {
      targets: ["switchyard"],
      bodies: ["small"],
      conns: [4],
      reps: 1,
      durationS: 1,
      warmupS: 0,
      attempts: 1,
      quietMaxWaitMs: 0,
    },
  }[mode];
  const all = o.all === true;
  const bodies = (o.bodies ? list(o.bodies as string) : d.bodies) as Body[];
  for (const b of bodies) if (b !== "small" && b !== "16k") throw new Error(`unknown body ${b}`);
  return {
    mode,
    matrix: o.matrix !== false,
    targets: o.targets ? list(o.targets as string) : d.targets,
    bodies,
    conns: o.conns ? list(o.conns as string).map(int) : d.conns,
    reps: (o.reps as number | undefined) ?? d.reps,
    durationS: (o.duration as number | undefined) ?? d.durationS,
    warmupS: (o.warmup as number | undefined) ?? d.warmupS,
    pin: o.pin !== false,
    attempts: Math.max(1, (o.attempts as number | undefined) ?? d.attempts),
    foreignMaxPct: (o.foreignMax as number | undefined) ?? 15,
    quietPct: 10,
    quietMaxWaitMs: d.quietMaxWaitMs,
    maxMinutes: (o.maxMinutes as number | undefined) ?? 60,
    idle: all || o.idle === true,
    stream: all || o.stream === true,
    streamBytes: (o.streamBytes as number | undefined) ?? 1 << 30,
    scale: all || o.scale === true,
    services: (o.services as number | undefined) ?? 1000,
    endpoints: Math.min(250, Math.max(1, (o.endpoints as number | undefined) ?? 10)),
    failure: all || o.failure === true,
    slowMs: (o.slowMs as number | undefined) ?? 50,
    out: o.out as string | undefined,
    keepTmp: o.keepTmp === true,
    switchyardArgs: o.switchyardArgs ? list(o.switchyardArgs as string) : [],
    v8Flags: o.v8Flags === undefined
      ? undefined
      : o.v8Flags === "none"
      ? []
      : list(o.v8Flags as string),
  };
}
