/**
 * `deno task bench`: Switchyard measured side by side with nginx and HAProxy (and Caddy when
 * installed) on this machine, in the same run. See `bench/README.md` and `--help`.
 *
 * Starts an nginx origin, the targets and wrk, each in its own process group; pins the proxy and
 * the load generator to different CPUs; writes `summary.md`, `summary.json`, `raw.jsonl` and
 * `run.log` under `bench/results/<stamp>/` and prints the report. Every process it started is
 * stopped on exit, on error and on Ctrl-C.
 *
 * @module
 */
import { runFlags, V8_FLAGS } from "../router/v8_flags.ts";
import { createProcs, type Procs } from "./procs.ts";
import { type BenchOptions, parseOptions } from "./options.ts";
import { prepareRunDir, ROOT } from "./servers.ts";
import { clockTicks } from "./proc_stat.ts";
import { envInfo } from "./env_info.ts";
import { type BenchCtx, type MatrixResult, runMatrix } from "./matrix.ts";
import { evaluateGoals } from "./goals.ts";
import { type BenchResult, renderReport } from "./report.ts";
import { type IdleResult, runIdle } from "./extras/idle.ts";
import { runStream, type StreamResult } from "./extras/stream.ts";
import { runScale, type ScaleResult } from "./extras/scale.ts";
import { type FailureResult, runFailure } from "./extras/failure.ts";

function stampNow(): string {
  const d = new Date();
  const p = (x: number) => String(x).padStart(2, "0");
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${
    p(d.getMinutes())
  }${p(d.getSeconds())}`;
}

function cpuPlan(pin: boolean): BenchCtx["cpus"] & { text: string } {
  const n = navigator.hardwareConcurrency;
  if (!pin || n < 2) {
    return {
      proxy: undefined,
      load: undefined,
      origin: undefined,
      text: pin ? "none (1 CPU)" : "none (--no-pin)",
    };
  }
  if (n >= 4) {
    return { proxy: "0", load: "1", origin: "2", text: "proxy → CPU0, wrk → CPU1, origin → CPU2" };
  }
  return { proxy: "0", load: "1", origin: "1", text: "proxy → CPU0, wrk + origin → CPU1" };
}

async function run(opts: BenchOptions, procs: Procs, dir: string, out: string): Promise<number> {
  const stamp = out.split("/").pop()!;
  const logFile = await Deno.open(`${out}/run.log`, { create: true, append: true });
  const enc = new TextEncoder();
  const log = (line: string) => {
    const l = `[${new Date().toISOString().slice(11, 19)}] ${line}\n`;
    Deno.stderr.writeSync(enc.encode(l));
    logFile.writeSync(enc.encode(l));
  };
  try {
    const cpus = cpuPlan(opts.pin);
    const ctx: BenchCtx = {
      procs,
      dir,
      clk: await clockTicks(),
      cpus,
      log,
      ...(opts.v8Flags ? { v8Flags: opts.v8Flags } : {}),
    };
    const env = await envInfo();
    log(`bench ${opts.mode}: ${env.cpus} CPUs, load ${env.loadavg}; pinning: ${cpus.text}`);
    const notes: string[] = [
      `Switchyard runs as \`deno run -A ${
        runFlags(opts.v8Flags ?? V8_FLAGS).join(" ")
      } main.ts serve\`.`,
    ];
    const section = async <T>(name: string, fn: () => Promise<T>): Promise<T | undefined> => {
      try {
        return await fn();
      } catch (e: unknown) {
        const msg = e instanceof Error ? e.message : String(e);
        notes.push(`${name} failed: ${msg.split("\n")[0]}`);
        log(`${name} failed: ${msg}`);
        return undefined;
      }
    };
    let matrix: MatrixResult | undefined;
    if (opts.matrix) matrix = await section("matrix", () => runMatrix(ctx, opts));
    let idle: IdleResult | undefined;
    if (opts.idle) idle = await section("idle run", () => runIdle(ctx));
    let stream: StreamResult | undefined;
    if (opts.stream) stream = await section("stream run", () => runStream(ctx, opts.streamBytes));
    let scale: ScaleResult | undefined;
    if (opts.scale) {
      scale = await section("scale run", () =>
        runScale(ctx, {
          services: opts.services,
          endpoints: opts.endpoints,
          durationS: Math.max(1, Math.min(opts.durationS, 10)),
          reps: Math.max(1, opts.reps),
        }));
    }
    let failure: FailureResult | undefined;
    if (opts.failure) {
      failure = await section("failure run", () =>
        runFailure(ctx, {
          durationS: Math.max(1, opts.durationS),
          warmupS: opts.warmupS,
          conns: 16,
          slowMs: opts.slowMs,
          targets: ["switchyard", "nginx", "haproxy"],
        }));
    }
    const leg = (d: string) => {
      const l = stream?.legs.find((g) => g.direction === d);
      return l && !l.error ? l.rss_delta_mib : null;
    };
    const scaleLoad = (n: number) => scale?.load.find((l) => l.services === n)?.cpu_us_per_req;
    const s1 = scaleLoad(1), sN = scale ? scaleLoad(scale.services) : undefined;
    const firstPass = (n: number) =>
      scale?.load.find((l) => l.services === n)?.first_pass_cpu_us_per_req;
    const f1 = firstPass(1), fN = scale ? firstPass(scale.services) : undefined;
    const goals = evaluateGoals({
      cells: matrix?.cells,
      idleRssMib: idle?.idle_rss_mib ??
        (matrix?.switchyardStartRssKib ? matrix.switchyardStartRssKib / 1024 : null),
      streamDeltaMib: stream ? { download: leg("download"), upload: leg("upload") } : undefined,
      scaleExtraMib: scale?.extra_mib,
      scaleExtraLoadedMib: scale?.extra_loaded_mib,
      scaleCpuRatio: scale?.cpu_ratio ?? (s1 && sN ? sN / s1 : null),
      scaleFirstPassCpuRatio: f1 && fN ? fN / f1 : null,
      scaleShape: scale && (scale.services !== 1000 || scale.endpoints_per_service !== 10)
        ? `${scale.services} × ${scale.endpoints_per_service}`
        : undefined,
      streamBytes: stream?.legs[0]?.bytes,
    });
    if (!idle && matrix?.switchyardStartRssKib) {
      notes.push(
        "idle RSS is the matrix's Switchyard 2–4 s after start, before load (--idle: its own process).",
      );
    }
    const result: BenchResult = {
      stamp,
      mode: opts.mode,
      settings: {
        ...opts,
        v8Flags: opts.v8Flags ?? V8_FLAGS,
        pinning: cpus.text,
        clk_tck: ctx.clk,
      },
      env,
      matrix,
      idle,
      stream,
      scale,
      failure,
      goals,
      notes,
      pids: procs.started(),
    };
    const report = renderReport(result);
    await Deno.writeTextFile(`${out}/summary.md`, report);
    await Deno.writeTextFile(`${out}/summary.json`, JSON.stringify(result, null, 2) + "\n");
    await Deno.writeTextFile(
      `${out}/raw.jsonl`,
      (matrix?.records ?? []).map((r) => JSON.stringify(r)).join("\n") + "\n",
    );
    Deno.stdout.writeSync(enc.encode(report + "\n"));
    log(`results: ${out}`);
    const measured = (t: string) => matrix?.records.some((r) => r.target === t && !r.failed);
    const matrixOk = !opts.matrix ||
      (matrix !== undefined && opts.targets.every((t) => t === "caddy" || measured(t)));
    return matrixOk && !notes.some((n) => / failed: /.test(n)) ? 0 : 1;
  } finally {
    logFile.close();
  }
}

async function copyLogs(dir: string, out: string): Promise<void> {
  await Deno.mkdir(`${out}/logs`, { recursive: true });
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && /\.(log|conf|cfg|yaml|Caddyfile)$/.test(e.name)) {
      await Deno.copyFile(`${dir}/${e.name}`, `${out}/logs/${e.name}`).catch(() => {});
    }
  }
}

/**
 * Run the benchmark with these command-line arguments.
 *
 * @returns the exit code (0 = the measurements ran; the targets never fail it)
 */
export async function main(args: readonly string[]): Promise<number> {
  let opts: BenchOptions;
  try {
    opts = parseOptions(args);
  } catch (e: unknown) {
    const code = (e as { exitCode?: number }).exitCode;
    if (code === 0) return 0; // --help
    if (code === undefined) Deno.stderr.writeSync(new TextEncoder().encode(`${e}\n`));
    return 2;
  }
  const procs = createProcs();
  const dir = await prepareRunDir();
  const out = opts.out ?? `${ROOT}bench/results/${stampNow()}`;
  await Deno.mkdir(out, { recursive: true });
  let stopping = false;
  const cleanup = async () => {
    await procs.stopAll(3000);
    await copyLogs(dir, out).catch(() => {});
    if (!opts.keepTmp) await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  const onSignal = () => {
    if (stopping) return;
    stopping = true;
    Deno.stderr.writeSync(new TextEncoder().encode("\nbench: interrupted, stopping servers\n"));
    cleanup().finally(() => Deno.exit(130));
  };
  const sigs: Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  for (const s of sigs) Deno.addSignalListener(s, onSignal);
  try {
    return await run(opts, procs, dir, out);
  } finally {
    for (const s of sigs) Deno.removeSignalListener(s, onSignal);
    if (!stopping) await cleanup();
  }
}

if (import.meta.main) {
  Deno.exitCode = await main(Deno.args);
}
