/**
 * The benchmark harness end to end, in its tiny `--smoke` mode (real nginx origin, the real
 * Switchyard process, real wrk; c=4 for 1 s): it measures, writes the table and the JSON, and
 * leaves no process behind — also when interrupted with SIGINT.
 */
import { assert, assertEquals, assertStringIncludes } from "../tests/support/assert.ts";
import type { BenchResult } from "./report.ts";

const BENCH = decodeURIComponent(new URL("./bench.ts", import.meta.url).pathname);
const ROOT = decodeURIComponent(new URL("../", import.meta.url).pathname);

function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** `pid`'s descendants right now (any depth), as pid → command name. */
function descendantsOf(pid: number): Map<number, string> {
  const parent = new Map<number, number>();
  const comm = new Map<number, string>();
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const s = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
      parent.set(Number(e.name), Number(f[1]));
      comm.set(Number(e.name), s.slice(s.indexOf("(") + 1, s.lastIndexOf(")")));
    } catch {
      // gone
    }
  }
  const out = new Map<number, string>();
  for (const p of parent.keys()) {
    for (let q = parent.get(p); q !== undefined && q > 1; q = parent.get(q)) {
      if (q === pid) {
        out.set(p, comm.get(p) ?? "");
        break;
      }
    }
  }
  return out;
}

async function gone(pids: readonly number[], timeoutMs = 5000): Promise<number[]> {
  const end = performance.now() + timeoutMs;
  let left = pids.filter(alive);
  while (left.length > 0 && performance.now() < end) {
    await new Promise((r) => setTimeout(r, 100));
    left = left.filter(alive);
  }
  return left;
}

Deno.test("bench --smoke measures Switchyard, writes summary.md and summary.json, stops everything", async () => {
  const out = await Deno.makeTempDir({ prefix: "bench-smoke-" });
  try {
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", BENCH, "--smoke", "--out", out],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const stdout = new TextDecoder().decode(r.stdout);
    const stderr = new TextDecoder().decode(r.stderr);
    try {
      assertEquals(r.code, 0, `bench failed:\n${stderr}`);
      assertStringIncludes(stdout, "| target | body | conns | req/s |");
      assertStringIncludes(stdout, "| switchyard");
      assertStringIncludes(stdout, "idle RSS ≤ 60 MB");
      const md = await Deno.readTextFile(`${out}/summary.md`);
      assertEquals(md.trim(), stdout.trim());
      const json = JSON.parse(await Deno.readTextFile(`${out}/summary.json`)) as BenchResult;
      assertEquals(json.mode, "smoke");
      const recs = json.matrix!.records;
      assertEquals(recs.length, 1);
      const rec = recs[0]!;
      assertEquals([rec.target, rec.body, rec.conns], ["switchyard", "small", 4]);
      assert(rec.requests > 0, "wrk completed requests");
      assertEquals(rec.errors, 0);
      assertEquals(rec.bytes_per_req > 12, true, "responses carry the 12-byte body");
      assert(rec.p50_us > 0 && rec.p99_us >= rec.p50_us, "latencies from the Lua report");
      assert(rec.proxy_cpu_us_per_req !== null && rec.proxy_cpu_us_per_req > 0, "CPU from /proc");
      assert(rec.peak_rss_kib !== null && rec.peak_rss_kib > 10_000, "RSS sampled");
      assertEquals(json.goals.length, 10);
      assert(json.goals.some((g) => g.goal.startsWith("idle RSS") && g.pass !== null));
      const raw = (await Deno.readTextFile(`${out}/raw.jsonl`)).trim().split("\n");
      assertEquals(JSON.parse(raw[0]!).target, "switchyard");
      assert(json.pids.length >= 3, "origin, switchyard and wrk were started");
      assertEquals(await gone(json.pids), [], "every started process is gone");
      assert((await Deno.stat(`${out}/logs/switchyard.yaml`)).isFile, "configs kept with the logs");
    } catch (e: unknown) {
      throw new Error(`${e instanceof Error ? e.message : e}\n--- bench stderr ---\n${stderr}`);
    }
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("bench stops every server it started when interrupted with SIGINT", async () => {
  const out = await Deno.makeTempDir({ prefix: "bench-sigint-" });
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", BENCH, "--smoke", "--duration", "30", "--out", out],
    cwd: ROOT,
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  let stderr = "";
  const pump = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) stderr += chunk;
  })();
  let pids: number[] = [];
  try {
    const deadline = performance.now() + 60_000;
    while (!stderr.includes("measuring") && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    assertStringIncludes(stderr, "measuring", "the run started");
    // origin (nginx master + worker), switchyard and (a moment later) wrk under its shell
    const until = performance.now() + 10_000;
    let tree = descendantsOf(child.pid);
    while (![...tree.values()].includes("wrk") && performance.now() < until) {
      await new Promise((r) => setTimeout(r, 50));
      tree = descendantsOf(child.pid);
    }
    const names = [...tree.values()];
    // Switchyard runs from the bench's copy of the runtime, `deno-switchyard` (servers.ts).
    for (const want of ["nginx", "wrk", "deno-switchyard"]) {
      assert(names.includes(want), `${want} is running under the harness (${names})`);
    }
    pids = [...tree.keys()];
    child.kill("SIGINT");
    let t: ReturnType<typeof setTimeout> | undefined;
    const status = await Promise.race([
      child.status,
      new Promise<null>((r) => t = setTimeout(() => r(null), 20_000)),
    ]);
    clearTimeout(t);
    assert(status !== null, "the harness exits promptly");
    assertEquals(status.code, 130);
    await pump;
    assertStringIncludes(stderr, "interrupted");
    assertEquals(await gone(pids), [], "every process it started (at any depth) is gone");
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // already exited
    }
    await child.status;
    await pump;
    for (const pid of pids.filter(alive)) {
      try {
        Deno.kill(-pid, "SIGKILL"); // only when the test failed: do not leave servers behind
      } catch {
        // gone
      }
    }
    await Deno.remove(out, { recursive: true });
  }
});
