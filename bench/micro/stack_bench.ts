/**
 * Cost of one request through a whole router snapshot (identify → path stack → bind → client
 * stack → balancer → endpoint stack) with the transport replaced by an in-memory answer, so only
 * Switchyard's own per-request work is timed: no sockets, no Deno.serve.
 *
 * Run: `npx deno bench -A bench/micro/stack_bench.ts` (or `npx deno run -A … --loop N` under
 * `--cpu-prof` to profile).
 *
 * @module
 */
import { parseConfig } from "../../router/config/mod.ts";
import { buildSnapshot } from "../../router/snapshot.ts";
import { createRegistry } from "../../telemetry/metrics/mod.ts";
import { systemClock } from "../../router/core/clock.ts";
import { createLogger } from "../../telemetry/log.ts";
import type { H1Client } from "../../router/http/h1/mod.ts";
import { requestParts } from "../../router/http/raw/mod.ts";

const dir = Deno.makeTempDirSync();
Deno.writeTextFileSync(`${dir}/bench`, "127.0.0.1 18080\n");
const parsed = parseConfig(
  `namers:
- kind: io.l5d.fs
  rootDir: ${dir}
routers:
- protocol: http
  label: bench
  dtab: /svc => /#/io.l5d.fs;
  servers:
  - port: 14140
`,
  "bench.yaml",
);
if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
const config = parsed.config;
const body = new TextEncoder().encode("Hello world\n");
const transport = {
  request: () =>
    Promise.resolve(
      new Response(body, { headers: [["content-type", "text/plain"], ["content-length", "12"]] }),
    ),
  close: () => Promise.resolve(),
  stats: () => ({}),
  connectionsTo: () => 0,
} as unknown as H1Client;
const snap = buildSnapshot(config, {
  registry: createRegistry({ clock: systemClock }),
  transport,
  clock: systemClock,
  log: createLogger({ level: "error" }),
});
const router = snap.routers.get("bench")!;
const signal = new AbortController().signal;

async function once(): Promise<void> {
  const headers: [string, string][] = [["host", "bench"], ["user-agent", "wrk"], ["accept", "*/*"]];
  const req = new Request("http://bench/", { headers });
  // What the raw engine (the default) hands the router with each request.
  requestParts.set(req, { url: new URL(req.url), headers });
  const ctx = router.newCtx(req, "127.0.0.1", signal);
  const rsp = await router.serve(req, ctx);
  await rsp.arrayBuffer();
}
for (let i = 0; i < 2000; i++) await once(); // bind, warm up

const loop = Deno.args.indexOf("--loop");
if (loop >= 0) {
  const n = Number(Deno.args[loop + 1] ?? 200000);
  const cpu = () => {
    const f = Deno.readTextFileSync("/proc/self/stat").split(") ")[1]!.split(" ");
    return (Number(f[11]) + Number(f[12])) * 10_000; // utime + stime, ticks of 10 ms → µs
  };
  const t0 = performance.now();
  const c0 = cpu();
  for (let i = 0; i < n; i++) await once();
  const wall = (performance.now() - t0) * 1000 / n;
  console.log(`${wall.toFixed(2)} µs/request wall, ${((cpu() - c0) / n).toFixed(2)} µs CPU`);
  await snap.close();
} else {
  Deno.bench("one request through the router snapshot", async () => {
    await once();
  });
}
