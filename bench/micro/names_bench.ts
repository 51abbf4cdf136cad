/**
 * Per-request cost through a whole router snapshot with requests rotating over 1 name vs over
 * 1000 names (10 endpoints each in the `io.l5d.fs` namer), the transport replaced by an
 * in-memory answer: the user-space half of the scale run's "per-request cost does not grow with
 * the number of services" (issue 6), without sockets, nginx or wrk. Measured in the twenty-ninth
 * session, with requests and responses built as the engines build them (`_snapshot.ts`):
 * 4.7–5.3 µs per request over one name, 10.8–11.4 over 1000 (2.15–2.38×). The thirteenth
 * session's 7.0–7.9 and 17.1–19.9 µs included `new Request`, `new Response` and reading the body.
 *
 * Every name has its own path stack, client, balancer and endpoint stacks, stats and budgets, so
 * a request over 1000 names touches state no recent request touched; over one name it stays in
 * the CPU's caches. The difference is what the scale run's CPU ratio shows in user space.
 *
 * Run: `npx deno bench -A bench/micro/names_bench.ts` (one name is the baseline of the group), or
 * `npx deno run -A --v8-flags=--max-semi-space-size=8,--no-memory-reducer,--max-old-space-size=1024
 * bench/micro/names_bench.ts --pairs 4` for CPU µs per request (utime + stime of the process)
 * over alternated passes of 100 000 requests and their ratios; `--names N` to change the count,
 * `--only one|all` for passes of one kind (to profile with `--cpu-prof`).
 *
 * @module
 */
import { benchSnapshot } from "./_snapshot.ts";

function arg(name: string): string | undefined {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Deno.args[i + 1] : undefined;
}

const NAMES = Number(arg("--names") ?? 1000);
const endpoints = Array.from({ length: 10 }, (_, k) => `127.0.0.${k + 1} 18080`).join("\n");
const hosts = Array.from({ length: NAMES }, (_, i) => `svc-${i}`);
const snap = benchSnapshot(Object.fromEntries(hosts.map((h) => [h, `${endpoints}\n`])));
const once = (host: string) => snap.once(host);

/** utime + stime of this process, µs. */
function cpuUs(): number {
  const f = Deno.readTextFileSync("/proc/self/stat").split(") ")[1]!.split(" ");
  return (Number(f[11]) + Number(f[12])) * 10_000; // ticks of 10 ms
}

/** `requests` requests rotating over the first `n` names; CPU µs per request. */
async function pass(n: number, requests: number): Promise<number> {
  const c0 = cpuUs();
  for (let i = 0; i < requests; i++) await once(hosts[i % n]!);
  return (cpuUs() - c0) / requests;
}

// The namer loads its directory asynchronously: wait until the last name binds (≤ 10 s).
for (let i = 0;; i++) {
  try {
    await once(hosts[NAMES - 1]!);
    break;
  } catch (e: unknown) {
    if (i >= 200) throw e;
    await new Promise((r) => setTimeout(r, 50));
  }
}
// First passes: every name's stacks, stats and endpoint nodes are built on first use.
await pass(NAMES, 4 * NAMES);
await pass(1, 20_000);

const pairs = arg("--pairs"), only = arg("--only");
if (pairs !== undefined || only !== undefined) {
  const reps = Number(pairs ?? 4);
  const out: string[] = [];
  for (let r = 0; r < reps; r++) {
    if (only !== undefined) {
      out.push(`${(await pass(only === "one" ? 1 : NAMES, 100_000)).toFixed(2)}`);
      continue;
    }
    const one = await pass(1, 100_000), all = await pass(NAMES, 100_000);
    out.push(`1: ${one.toFixed(2)}, ${NAMES}: ${all.toFixed(2)} µs (${(all / one).toFixed(2)}×)`);
  }
  console.log(out.join("\n"));
  await snap.close();
  Deno.exit(0);
} else {
  let i = 0;
  Deno.bench({ name: "one name", group: "names", baseline: true }, async () => {
    await once(hosts[0]!);
  });
  Deno.bench({ name: `${NAMES} names, rotating`, group: "names" }, async () => {
    await once(hosts[i++ % NAMES]!);
  });
}
