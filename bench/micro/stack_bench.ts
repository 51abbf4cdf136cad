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
import { benchSnapshot } from "./_snapshot.ts";

const snap = benchSnapshot({ bench: "127.0.0.1 18080\n" });
const once = () => snap.once("bench");
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
