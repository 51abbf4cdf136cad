/**
 * Streaming memory: 1 GiB through Switchyard each way — a download of a (sparse) 1 GiB file
 * from the nginx origin, and a chunked upload of 1 GiB from `/dev/zero` to a sink upstream
 * (`aux_origin.ts`) — with curl as the client, while the harness samples Switchyard's RSS every
 * 100 ms. The result is how far RSS moved above its level before the transfer.
 *
 * @module
 */
import type { BenchCtx } from "../matrix.ts";
import { switchyardYaml } from "../conf.ts";
import { freePort, startAux, startOrigin, startSwitchyard } from "../servers.ts";
import { probeConnect } from "../http_probe.ts";
import { sampleRss } from "../proc_stat.ts";
import { settledRssMib } from "./idle.ts";
import { delay } from "../procs.ts";

/** One direction. */
export interface StreamLeg {
  readonly direction: "download" | "upload";
  readonly bytes: number;
  /** Bytes the other end saw (curl's size_download, or the sink's count). */
  readonly bytes_transferred: number;
  readonly status: number;
  readonly seconds: number;
  readonly mib_per_s: number;
  readonly rss_before_mib: number;
  readonly rss_peak_mib: number;
  /** peak − before. */
  readonly rss_delta_mib: number;
  readonly rss_after_mib: number;
  readonly error?: string;
}

/** The streaming run. */
export interface StreamResult {
  readonly legs: StreamLeg[];
}

async function curl(
  ctx: BenchCtx,
  name: string,
  script: string,
  limitS: number,
): Promise<{ out: string; ok: boolean; timedOut: boolean }> {
  const file = `${ctx.dir}/${name}.out`;
  const proc = ctx.procs.spawn(name, {
    cmd: ["sh", "-c", script],
    cpus: ctx.cpus.load,
    logFile: file,
  });
  let t: ReturnType<typeof setTimeout> | undefined;
  const done = await Promise.race([
    proc.status.then((s) => s.success),
    new Promise<null>((r) => t = setTimeout(() => r(null), limitS * 1000)),
  ]);
  clearTimeout(t);
  if (done === null) await proc.stop(1000);
  const out = await Deno.readTextFile(file).catch(() => "");
  return { out: out.trim(), ok: done === true, timedOut: done === null };
}

/**
 * Run both directions.
 *
 * @param bytes transfer size (1 GiB in the real run)
 * @returns both legs
 */
export async function runStream(ctx: BenchCtx, bytes = 1 << 30): Promise<StreamResult> {
  const file = `${ctx.dir}/www/big.bin`;
  const f = await Deno.open(file, { create: true, write: true, truncate: true });
  await f.truncate(bytes); // sparse: no disk I/O
  f.close();
  await Deno.chmod(file, 0o644);
  const originPort = freePort(), sinkPort = freePort(), port = freePort();
  const origin = await startOrigin(ctx, {
    name: "stream-origin",
    port: originPort,
    cpus: ctx.cpus.origin,
  });
  const sink = await startAux(ctx, { name: "stream-sink", port: sinkPort, cpus: ctx.cpus.origin });
  const rootDir = `${ctx.dir}/stream-disco`;
  await Deno.mkdir(rootDir, { recursive: true });
  await Deno.writeTextFile(`${rootDir}/origin`, `127.0.0.1 ${originPort}\n`);
  await Deno.writeTextFile(`${rootDir}/sink`, `127.0.0.1 ${sinkPort}\n`);
  const sy = await startSwitchyard(ctx, {
    name: "stream-switchyard",
    port,
    yaml: switchyardYaml({ port, adminPort: freePort(), rootDir }),
    cpus: ctx.cpus.proxy,
  });
  const url = `http://127.0.0.1:${port}`;
  const legs: StreamLeg[] = [];
  try {
    // Warm the paths (small transfers both ways), then let memory settle.
    const c = await probeConnect("127.0.0.1", port);
    for (let i = 0; i < 200; i++) await c.request("/16k", { host: "origin" });
    c.close();
    await curl(
      ctx,
      "stream-warm-up",
      `head -c 1048576 /dev/zero | curl -sS -T - -H 'Host: sink' ${url}/upload`,
      30,
    );
    const limitS = Math.max(60, bytes / (4 << 20)); // give up below 4 MiB/s
    const down = `curl -sS -o /dev/null -H 'Host: origin' ` +
      `-w '%{http_code} %{size_download}' ${url}/www/big.bin`;
    const up = `head -c ${bytes} /dev/zero | curl -sS -T - -H 'Host: sink' ` +
      `-w ' %{http_code}' ${url}/upload`;
    for (const [direction, script] of [["download", down], ["upload", up]] as const) {
      await delay(1000);
      const before = await settledRssMib(sy.proc.pid, 5, 200);
      const sampler = sampleRss(sy.proc.pid, 100);
      const t0 = performance.now();
      const r = await curl(ctx, `stream-${direction}`, script, limitS);
      const seconds = (performance.now() - t0) / 1000;
      const peak = sampler.stop() / 1024;
      await delay(2000);
      const after = await settledRssMib(sy.proc.pid, 3, 300);
      const parts = r.out.split(/\s+/);
      const status = Number(direction === "download" ? parts[0] : parts[1]) || 0;
      const moved = Number(parts[direction === "download" ? 1 : 0]) || 0;
      const ok = r.ok && status === 200 && moved === bytes;
      legs.push({
        direction,
        bytes,
        bytes_transferred: moved,
        status,
        seconds,
        mib_per_s: moved / (1 << 20) / seconds,
        rss_before_mib: before,
        rss_peak_mib: peak,
        rss_delta_mib: peak - before,
        rss_after_mib: after,
        ...(ok ? {} : {
          error: r.timedOut
            ? `not finished after ${limitS.toFixed(0)} s`
            : `curl: ${r.out.slice(0, 200) || "no output"}`,
        }),
      });
      ctx.log(
        `stream ${direction}: ${moved} B in ${seconds.toFixed(1)} s, RSS ${before.toFixed(1)} → ` +
          `peak ${peak.toFixed(1)} MiB (+${(peak - before).toFixed(1)})${ok ? "" : " FAILED"}`,
      );
    }
  } finally {
    await sy.stop();
    await sink.stop();
    await origin.stop();
    await Deno.remove(file).catch(() => {});
  }
  return { legs };
}
