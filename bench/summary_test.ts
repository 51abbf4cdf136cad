import { assertAlmostEquals, assertEquals } from "../tests/support/assert.ts";
import type { RunRecord } from "./measure.ts";
import { cellOf, median, summarize } from "./summary.ts";
import { evaluateGoals, goalLines } from "./goals.ts";
import { parseWrkOutput } from "./wrk.ts";

function rec(target: string, conns: number, rps: number, o: Partial<RunRecord> = {}): RunRecord {
  return {
    target,
    body: "small",
    conns,
    rep: 1,
    attempt: 1,
    elapsed_s: 5,
    requests: rps * 5,
    duration_us: 5e6,
    bytes: rps * 5 * 130,
    err_connect: 0,
    err_read: 0,
    err_write: 0,
    err_status: 0,
    err_timeout: 0,
    lat_mean_us: 100,
    lat_max_us: 1000,
    p50_us: 100,
    p90_us: 150,
    p99_us: 400,
    p999_us: 800,
    rps,
    errors: 0,
    bytes_per_req: 130,
    proxy_cpu_pct: target === "direct" ? null : 90,
    proxy_cpu_us_per_req: target === "direct" ? null : 20,
    origin_cpu_pct: 50,
    wrk_cpu_pct: 40,
    foreign_cpu_pct: 1,
    irq_cpu_pct: 0,
    peak_rss_kib: target === "direct" ? null : 20480,
    contaminated: false,
    ...o,
  };
}

Deno.test("median() takes the middle value, the mean of the middle two, and skips nulls", () => {
  assertEquals(median([3, 1, 2]), 2);
  assertEquals(median([4, 1, 3, 2]), 2.5);
  assertEquals(median([null, 5, undefined, NaN]), 5);
  assertEquals(median([]), null);
});

Deno.test("summarize() takes medians and computes ratios against nginx, HAProxy and direct", () => {
  const cells = summarize([
    rec("direct", 64, 100_000, { p50_us: 300, p99_us: 900 }),
    rec("nginx", 64, 60_000, { proxy_cpu_us_per_req: 15 }),
    rec("haproxy", 64, 50_000),
    rec("switchyard", 64, 30_000, { p50_us: 700, p99_us: 2000, proxy_cpu_us_per_req: 30 }),
    rec("switchyard", 64, 36_000, { rep: 2, p50_us: 500, p99_us: 1800, proxy_cpu_us_per_req: 28 }),
    rec("switchyard", 64, 33_000, { rep: 3, p50_us: 600, p99_us: 1900, proxy_cpu_us_per_req: 29 }),
  ]);
  const sy = cellOf(cells, "switchyard", "small", 64)!;
  assertEquals(sy.n, 3);
  assertEquals(sy.rps, 33_000);
  assertEquals([sy.rps_min, sy.rps_max], [30_000, 36_000]);
  assertAlmostEquals(sy.x_nginx!, 0.55, 1e-9);
  assertAlmostEquals(sy.x_haproxy!, 0.66, 1e-9);
  assertAlmostEquals(sy.x_direct!, 0.33, 1e-9);
  assertEquals(sy.added_p50_us, 300);
  assertEquals(sy.added_p99_us, 1000);
  assertAlmostEquals(sy.cpu_x_nginx!, 29 / 15, 1e-9);
  assertEquals(sy.peak_rss_mib, 20);
  const d = cellOf(cells, "direct", "small", 64)!;
  assertEquals([d.added_p50_us, d.proxy_cpu_us_per_req, d.peak_rss_mib], [null, null, null]);
});

Deno.test("summarize() keeps the most steal time of a cell's runs, null for results without it", () => {
  const cells = summarize([
    rec("nginx", 64, 60_000, { steal_cpu_pct: 2 }),
    rec("nginx", 64, 61_000, { rep: 2, steal_cpu_pct: 7 }),
    rec("haproxy", 64, 50_000),
  ]);
  assertEquals(cellOf(cells, "nginx", "small", 64)!.steal_cpu_pct_max, 7);
  assertEquals(cellOf(cells, "haproxy", "small", 64)!.steal_cpu_pct_max, null);
});

Deno.test("summarize() drops disturbed runs when the cell has clean ones, keeps them otherwise", () => {
  const cells = summarize([
    rec("nginx", 16, 10_000, { contaminated: true }),
    rec("nginx", 16, 50_000, { rep: 2 }),
    rec("haproxy", 16, 9_000, { contaminated: true }),
    rec("switchyard", 16, 1, { failed: "wrk produced no result" }),
  ]);
  const n = cellOf(cells, "nginx", "small", 16)!;
  assertEquals([n.rps, n.n, n.contaminated_runs, n.only_contaminated], [50_000, 1, 1, false]);
  const h = cellOf(cells, "haproxy", "small", 16)!;
  assertEquals([h.rps, h.only_contaminated], [9_000, true]);
  assertEquals(cellOf(cells, "switchyard", "small", 16), undefined);
});

Deno.test("evaluateGoals() passes, fails, and says n/a for what was not measured", () => {
  const cells = summarize([
    rec("direct", 64, 100_000),
    rec("nginx", 64, 60_000, { proxy_cpu_us_per_req: 15 }),
    rec("haproxy", 64, 50_000),
    rec("switchyard", 64, 40_000, { proxy_cpu_us_per_req: 40, peak_rss_kib: 100 * 1024 }),
  ]);
  const goals = evaluateGoals({ cells, idleRssMib: 70 });
  const by = (prefix: string) => goals.find((g) => g.goal.startsWith(prefix))!;
  assertEquals(by("throughput ≥ 0.6 × nginx").pass, true);
  assertEquals(by("throughput ≥ 0.6 × nginx").measured, "0.67× nginx");
  assertEquals(by("throughput ≥ 0.6 × HAProxy").pass, true);
  assertEquals(by("proxy CPU").pass, false);
  assertEquals(by("latency added over direct: p50").pass, null);
  assertEquals(by("idle RSS").pass, false);
  assertEquals(by("RSS under the c=64 load").pass, true);
  assertEquals(by("streaming").measured, "n/a (run with --stream)");
  const lines = goalLines(goals);
  assertEquals(
    lines[0],
    "PASS  throughput ≥ 0.6 × nginx at 64 connections (small body): 0.67× nginx",
  );
  assertEquals(lines[2]!.slice(0, 4), "FAIL");
  assertEquals(lines[3]!.slice(0, 4), "n/a ");
});

Deno.test("parseWrkOutput() reads the Lua report line and wrk's CPU from the shell's stat", () => {
  const out = [
    "Running 1s test @ http://127.0.0.1:1234/",
    'WRKJSON {"requests":1000,"duration_us":1000000,"bytes":130000,"err_connect":0,"err_read":0,' +
    '"err_write":0,"err_status":2,"err_timeout":0,"lat_mean_us":95.5,"lat_max_us":900,' +
    '"p50_us":90,"p90_us":120,"p99_us":300,"p999_us":800}',
    "BENCHCPU 4242 (sh) S 1 4242 4242 0 -1 4194560 100 200 0 0 0 0 30 20 0 0 20 0 1 0",
  ].join("\n");
  const r = parseWrkOutput(out, 100)!;
  assertEquals([r.requests, r.err_status, r.p50_us, r.p999_us], [1000, 2, 90, 800]);
  assertAlmostEquals(r.wrk_cpu_s, 0.5, 1e-9);
  assertEquals(parseWrkOutput("unable to connect", 100), undefined);
});
