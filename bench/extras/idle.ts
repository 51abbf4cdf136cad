/**
 * Idle memory: a fresh Switchyard on the plain config — time until it answers, its RSS when idle
 * after start, and again after 1000 requests and a rest (what it keeps once its caches, pools
 * and JIT code exist).
 *
 * @module
 */
import type { BenchCtx } from "../matrix.ts";
import { switchyardYaml } from "../conf.ts";
import { freePort, startOrigin, startSwitchyard } from "../servers.ts";
import { probeConnect } from "../http_probe.ts";
import { delay } from "../procs.ts";
import { median } from "../summary.ts";
import { rssKib } from "../proc_stat.ts";

/** What the idle run measured. */
export interface IdleResult {
  /** From spawn to the first 200, ms (includes Deno start and module loading). */
  readonly startup_ms: number;
  /**
   * Median RSS over 2 s, starting once the start-up heap trim ran (at least 2 s after the first
   * answer; see {@link startupTrimmed}), MiB.
   */
  readonly idle_rss_mib: number;
  /** Median RSS after 1000 requests and a 3 s rest, MiB. */
  readonly after_traffic_rss_mib: number;
  /**
   * The idle RSS split (`/proc/<pid>/status` RssAnon / RssFile), MiB: anonymous memory (V8 heap,
   * malloc) vs pages of mapped files — mostly the ~95 MB `deno` executable's code, ~25 MiB of
   * which any Deno process touches, shared with every other Deno process on the machine.
   */
  readonly idle_rss_split_mib?: { readonly anon: number; readonly file: number };
}

/**
 * Anonymous and file-backed parts of a process's RSS, MiB (zero when unreadable).
 *
 * @returns `{anon, file}`
 */
export function rssSplitMib(pid: number): { anon: number; file: number } {
  try {
    const s = Deno.readTextFileSync(`/proc/${pid}/status`);
    const kib = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(s)?.[1] ?? 0);
    return { anon: kib("RssAnon") / 1024, file: (kib("RssFile") + kib("RssShmem")) / 1024 };
  } catch {
    return { anon: 0, file: 0 };
  }
}

/**
 * Waits until a Switchyard's idle heap trimmer has run its start-up collection (the admin gauge
 * `process/heap_trims` ≥ 1), at most `timeoutMs`. That collection (heap_trim.ts), ~1–2 s after
 * the last start-up request, moves RSS by 15–30 MiB (the heap start-up left, the executable's
 * start-up pages): a reading taken after a fixed delay landed before or after it depending on
 * the machine's load, and two scale runs read one-service baselines 30 MiB apart (the higher
 * one before its trim). Admin requests are not router traffic: polling does not delay the collection.
 *
 * @param adminPort The Switchyard's admin port.
 * @param timeoutMs How long to wait.
 * @returns whether the collection was seen
 */
export async function startupTrimmed(adminPort: number, timeoutMs = 15_000): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  // `q=process`: the `process/` metrics, keyed without the prefix
  const url = `http://127.0.0.1:${adminPort}/admin/metrics.json?q=process`;
  while (performance.now() < deadline) {
    try {
      const m = await (await fetch(url)).json() as Record<string, unknown>;
      if (Number(m["heap_trims"] ?? 0) >= 1) return true;
    } catch { /* not answering yet */ }
    await delay(200);
  }
  return false;
}

/**
 * Median RSS of a process over `samples` readings `everyMs` apart, MiB.
 *
 * @returns MiB
 */
export async function settledRssMib(pid: number, samples = 5, everyMs = 500): Promise<number> {
  const v: number[] = [];
  for (let i = 0; i < samples; i++) {
    v.push(rssKib(pid));
    if (i + 1 < samples) await delay(everyMs);
  }
  return (median(v) ?? 0) / 1024;
}

/**
 * Run the idle measurement.
 *
 * @returns the measurement
 */
export async function runIdle(ctx: BenchCtx): Promise<IdleResult> {
  const originPort = freePort();
  const origin = await startOrigin(ctx, {
    name: "idle-origin",
    port: originPort,
    cpus: ctx.cpus.origin,
  });
  const rootDir = `${ctx.dir}/idle-disco`;
  await Deno.mkdir(rootDir, { recursive: true });
  await Deno.writeTextFile(`${rootDir}/origin`, `127.0.0.1 ${originPort}\n`);
  const port = freePort(), adminPort = freePort();
  const t0 = performance.now();
  const sy = await startSwitchyard(ctx, {
    name: "idle-switchyard",
    port,
    yaml: switchyardYaml({ port, adminPort, rootDir }),
    cpus: ctx.cpus.proxy,
  });
  const startup = performance.now() - t0;
  try {
    await delay(2000);
    if (!await startupTrimmed(adminPort)) ctx.log("idle: no start-up heap trim seen in 15 s");
    const idle = await settledRssMib(sy.proc.pid);
    const split = rssSplitMib(sy.proc.pid);
    const conn = await probeConnect("127.0.0.1", port);
    try {
      for (let i = 0; i < 1000; i++) await conn.request("/", { host: "origin" });
    } finally {
      conn.close();
    }
    await delay(3000);
    const after = await settledRssMib(sy.proc.pid);
    ctx.log(
      `idle: started in ${startup.toFixed(0)} ms, RSS ${idle.toFixed(1)} MiB idle, ` +
        `${after.toFixed(1)} MiB after 1000 requests (idle: ${
          split.anon.toFixed(1)
        } MiB anonymous, ` +
        `${split.file.toFixed(1)} MiB mapped files)`,
    );
    return {
      startup_ms: startup,
      idle_rss_mib: idle,
      after_traffic_rss_mib: after,
      idle_rss_split_mib: split,
    };
  } finally {
    await sy.stop();
    await origin.stop();
  }
}
