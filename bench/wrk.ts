/**
 * Running `wrk` (one thread, `--latency`, `wrk_report.lua`) and reading its result line. wrk
 * runs in its own process group, pinned to the load CPU, under `timeout`; the shell around it
 * reports wrk's CPU time (cutime + cstime of the shell once wrk has been waited for).
 *
 * @module
 */
import type { Procs } from "./procs.ts";

/** The script passed to wrk with `-s`. */
export const WRK_LUA = decodeURIComponent(new URL("./wrk_report.lua", import.meta.url).pathname);

/** What wrk measured (the script's `WRKJSON` line). */
export interface WrkResult {
  readonly requests: number;
  readonly duration_us: number;
  readonly bytes: number;
  readonly err_connect: number;
  readonly err_read: number;
  readonly err_write: number;
  readonly err_status: number;
  readonly err_timeout: number;
  readonly lat_mean_us: number;
  readonly lat_max_us: number;
  readonly p50_us: number;
  readonly p90_us: number;
  readonly p99_us: number;
  readonly p999_us: number;
  /** CPU seconds wrk used (user + system). */
  readonly wrk_cpu_s: number;
}

/** One wrk run. */
export interface WrkOptions {
  readonly port: number;
  readonly path: string;
  /** Host header. */
  readonly host: string;
  readonly conns: number;
  readonly durationS: number;
  /** CPU list for taskset. */
  readonly cpus?: string | undefined;
  /** Rotate Host over `svc-0 … svc-(N-1)` (see wrk_report.lua). */
  readonly rotateHosts?: number | undefined;
  /** Per-request timeout, seconds (wrk default 2). */
  readonly timeoutS?: number | undefined;
  /** Directory for wrk's output file. */
  readonly dir: string;
}

/**
 * Parse wrk's output: the `WRKJSON` line and the `BENCHCPU` line (the shell's /proc stat).
 *
 * @param out wrk's stdout + stderr
 * @param clk clock ticks per second
 * @returns the result, or undefined when wrk printed none
 */
export function parseWrkOutput(out: string, clk: number): WrkResult | undefined {
  const m = /^WRKJSON (\{.*\})$/m.exec(out);
  if (!m) return undefined;
  const j = JSON.parse(m[1]!) as Omit<WrkResult, "wrk_cpu_s">;
  let wrkCpu = 0;
  const c = /^BENCHCPU .*\) (.*)$/m.exec(out);
  if (c) {
    const f = c[1]!.split(" ");
    wrkCpu = (Number(f[13]) + Number(f[14])) / clk;
  }
  return { ...j, wrk_cpu_s: wrkCpu };
}

/**
 * Run wrk once (bounded: killed `durationS + 20` s after start at the latest).
 *
 * @returns the result, or an Error describing why there is none
 */
export async function runWrk(
  procs: Procs,
  o: WrkOptions,
  clk: number,
): Promise<WrkResult | Error> {
  const args = [
    "-t1",
    `-c${o.conns}`,
    `-d${o.durationS}s`,
    "--latency",
    "--timeout",
    `${o.timeoutS ?? 5}s`,
    "-s",
    WRK_LUA,
    "-H",
    `Host: ${o.host}`,
    `http://127.0.0.1:${o.port}${o.path}`,
  ];
  const limit = Math.ceil(o.durationS + 20);
  const file = `${o.dir}/wrk-${o.port}-${Date.now()}.out`;
  const proc = procs.spawn("wrk", {
    cmd: [
      "sh",
      "-c",
      // --foreground: timeout stays in our process group (else it makes its own and escapes
      // the group kill)
      `timeout --foreground -s KILL ${limit} wrk "$@"; rc=$?; ` +
      `echo "BENCHCPU $(cat /proc/$$/stat)"; exit $rc`,
      "sh",
      ...args,
    ],
    cpus: o.cpus,
    env: o.rotateHosts ? { BENCH_HOSTS: String(o.rotateHosts) } : undefined,
    logFile: file,
  });
  let t: ReturnType<typeof setTimeout> | undefined;
  const finished = await Promise.race([
    proc.status.then(() => true),
    new Promise<boolean>((r) => t = setTimeout(() => r(false), (limit + 5) * 1000)),
  ]);
  clearTimeout(t);
  if (!finished) await proc.stop(1000);
  let out = "";
  try {
    out = await Deno.readTextFile(file);
    await Deno.remove(file);
  } catch {
    // no output
  }
  const r = parseWrkOutput(out, clk);
  return r ?? new Error(`wrk produced no result: ${out.trim().split("\n").slice(-3).join(" | ")}`);
}

/**
 * Errors wrk counted (connect, read, write, non-2xx/3xx status, timeout).
 *
 * @returns their sum
 */
export function wrkErrors(r: WrkResult): number {
  return r.err_connect + r.err_read + r.err_write + r.err_status + r.err_timeout;
}
