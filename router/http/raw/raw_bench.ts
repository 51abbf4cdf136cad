/**
 * Compare `Deno.serve` with `serveRaw` on the same handler: CPU µs per request under `wrk`, and
 * the throughput of a 200 MB chunked upload.
 *
 * Run from the repo root (needs `wrk`, `curl`, `taskset`; Linux, 2+ cores):
 *
 * ```sh
 * npx deno run -A router/http/raw/raw_bench.ts            # 2 rounds, alternating order
 * npx deno run -A router/http/raw/raw_bench.ts --rounds 1 --duration 4 --upload-mb 50
 * npx deno bench -A router/http/raw/raw_bench.ts          # only the head-parser microbenchmark
 * ```
 *
 * Each server runs as its own `deno` process pinned with `taskset -c 0` (the pid read from
 * /proc is the deno process itself: taskset execs it); `wrk -t1 -c64 -d8s` and curl run pinned
 * to CPU 1. CPU per request = (utime + stime) delta of the server ÷ requests wrk completed.
 * The upload is `head -c N /dev/zero | curl -T -` (chunked) to a handler that reads the whole
 * body; MB/s is bounded by the client side too, so the server's CPU ms per MB is also printed.
 * The box is shared: read the numbers as a comparison within one run.
 *
 * @module
 */
import { serveRaw } from "./raw_server.ts";
import { findRequestEnd, parseRequestHead } from "./request_head.ts";

const HELLO = "Hello world\n";

/** The handler both engines serve: hello world, and an upload sink at /upload. */
async function handler(req: Request): Promise<Response> {
  if (req.body !== null && req.method === "PUT") {
    let n = 0;
    for await (const c of req.body) n += c.length;
    return new Response(`${n}\n`);
  }
  return new Response(HELLO);
}

async function serveMode(engine: string): Promise<void> {
  const port = engine === "raw"
    ? serveRaw({ hostname: "127.0.0.1", port: 0 }, handler).addr.port
    : Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, handler).addr.port;
  await Deno.stdout.write(new TextEncoder().encode(`${port}\n`));
  Deno.addSignalListener("SIGTERM", () => Deno.exit(0));
}

interface Result {
  engine: string;
  rps: number;
  requests: number;
  usPerReq: number;
  uploadMBs: number;
  uploadCpuMsPerMB: number;
}

function cpuTicks(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(f[11]) + Number(f[12]); // utime, stime (fields 14 and 15)
}

async function run(cmd: string[]): Promise<string> {
  const o = await new Deno.Command(cmd[0]!, {
    args: cmd.slice(1),
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  return new TextDecoder().decode(o.stdout) + new TextDecoder().decode(o.stderr);
}

async function measure(engine: string, duration: number, uploadMb: number): Promise<Result> {
  const child = new Deno.Command("taskset", {
    args: ["-c", "0", Deno.execPath(), "run", "-A", import.meta.filename!, "serve", engine],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.getReader();
  let line = "";
  while (!line.includes("\n")) {
    const r = await reader.read();
    if (r.done) throw new Error("server exited");
    line += new TextDecoder().decode(r.value);
  }
  reader.releaseLock();
  child.stdout.cancel().catch(() => {});
  const port = Number(line.trim());
  const url = `http://127.0.0.1:${port}/`;
  await run(["taskset", "-c", "1", "wrk", "-t1", "-c64", "-d1s", url]); // warm-up
  const t0 = cpuTicks(child.pid);
  const out = await run(["taskset", "-c", "1", "wrk", "-t1", "-c64", `-d${duration}s`, url]);
  const t1 = cpuTicks(child.pid);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
  const rps = Number(/Requests\/sec:\s*([\d.]+)/.exec(out)?.[1] ?? 0);
  const tick = 1e6 / 100; // CLK_TCK = 100 on Linux
  let uploadMBs = 0, uploadCpuMsPerMB = 0;
  if (uploadMb > 0) {
    const u0 = cpuTicks(child.pid);
    const s = performance.now();
    const up = await run([
      "sh",
      "-c",
      `head -c ${uploadMb}M /dev/zero | taskset -c 1 curl -s -S -T - ${url}upload`,
    ]);
    const ms = performance.now() - s;
    if (up.trim() !== String(uploadMb * 1024 * 1024)) throw new Error(`upload: ${up}`);
    uploadMBs = (uploadMb * 1024 * 1024) / 1e6 / (ms / 1000);
    uploadCpuMsPerMB = ((cpuTicks(child.pid) - u0) * 10) / ((uploadMb * 1024 * 1024) / 1e6);
  }
  child.kill("SIGTERM");
  await child.status;
  return {
    engine,
    rps,
    requests,
    usPerReq: ((t1 - t0) * tick) / requests,
    uploadMBs,
    uploadCpuMsPerMB,
  };
}

async function main(): Promise<void> {
  if (Deno.args[0] === "serve") return serveMode(Deno.args[1] ?? "raw");
  const arg = (name: string, dflt: number) => {
    const i = Deno.args.indexOf(name);
    return i >= 0 ? Number(Deno.args[i + 1]) : dflt;
  };
  const rounds = arg("--rounds", 2), duration = arg("--duration", 8);
  const uploadMb = arg("--upload-mb", 200);
  const results: Result[] = [];
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? ["deno", "raw"] : ["raw", "deno"];
    for (const engine of order) {
      const res = await measure(engine, duration, uploadMb);
      results.push(res);
      const line = `round ${r + 1} ${engine.padEnd(4)}  ${res.rps.toFixed(0).padStart(7)} req/s  ` +
        `${res.usPerReq.toFixed(1).padStart(5)} µs/req  upload ${res.uploadMBs.toFixed(0)} MB/s ` +
        `(server CPU ${res.uploadCpuMsPerMB.toFixed(2)} ms/MB)\n`;
      await Deno.stdout.write(new TextEncoder().encode(line));
    }
  }
  await Deno.stdout.write(new TextEncoder().encode(JSON.stringify(results) + "\n"));
}

if (import.meta.main) await main();
else {
  const curlGet = new TextEncoder().encode(
    "GET http://hello/path?x=1 HTTP/1.1\r\nHost: hello\r\nUser-Agent: curl/7.88.1\r\n" +
      "Accept: */*\r\nProxy-Connection: Keep-Alive\r\n\r\n",
  );
  const limits = { maxLineBytes: 8192, maxHeaders: 100 };
  Deno.bench("parseRequestHead curl http_proxy GET", () => {
    parseRequestHead(curlGet, 0, findRequestEnd(curlGet, 0, curlGet.length), limits);
  });
}
