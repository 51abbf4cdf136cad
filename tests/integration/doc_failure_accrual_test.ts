/**
 * L1 `linkerd/docs/failure_accrual.md`, read as a black-box spec against the real process: the
 * default (5 consecutive failures, then a backoff from 5 s), the default `backoff` under a
 * configured kind, `kind: none`, the page's `io.l5d.successRate` example, and the keys each kind
 * requires or refuses. Each policy's arithmetic is in linkerd_failure_accrual_test.ts; a
 * `constant` backoff's probe in resilience_test.ts.
 *
 * @module
 */
import { assertEquals, assertStringIncludes } from "../support/assert.ts";
import { runCli, startSwitchyard } from "../support/switchyard.ts";
import { fsNamerDir, startUpstream, type Upstream } from "../support/upstream.ts";

/** `n` sequential GETs for `world` on one keep-alive connection; returns the statuses. */
async function send(proxy: string, n: number): Promise<number[]> {
  using client = Deno.createHttpClient({ allowHost: true });
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = await fetch(`http://${proxy}/`, { headers: { host: "world" }, client });
    await r.arrayBuffer();
    out.push(r.status);
  }
  return out;
}

/** A good and an always-500 upstream, and an fs namer dir naming both as `world`. */
async function goodAndBad(): Promise<{ good: Upstream; bad: Upstream; dir: string }> {
  const good = startUpstream("good");
  const bad = startUpstream("bad", () => new Response("bad", { status: 500 }));
  const dir = await fsNamerDir({ world: `${good.fsLine}\n${bad.fsLine}\n` });
  return { good, bad, dir };
}

function router(label: string, client: string): string {
  return `
- protocol: http
  label: ${label}
  dtab: /svc => /#/io.l5d.fs;
  servers: [{port: 0}]
  client:
    loadBalancer: {kind: roundRobin}
${client}`;
}

Deno.test("docs failure_accrual: by default 5 consecutive failures mark a node dead, retried only after 5 s; a kind without backoff gets that default backoff", async () => {
  const d = await goodAndBad();
  const bad3 = startUpstream("bad3", () => new Response("bad", { status: 500 }));
  await Deno.writeTextFile(`${d.dir}/other`, `${d.good.fsLine}\n${bad3.fsLine}\n`);
  const sy = await startSwitchyard(`
admin: {port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${d.dir}}]
routers:${router("dflt", "")}${
    router("three", "    failureAccrual: {kind: io.l5d.consecutiveFailures, failures: 3}")
      .replace("/svc => /#/io.l5d.fs;", "/svc/world => /#/io.l5d.fs/other;")
  }
`);
  try {
    const t0 = Date.now();
    await Promise.all([send(sy.proxy("dflt"), 30), send(sy.proxy("three"), 30)]);
    assertEquals(d.bad.seen.length, 5, "the default policy: dead after 5 consecutive failures");
    assertEquals(bad3.seen.length, 3, "failures: 3 marks dead after 3");
    // Nothing reaches a dead node before its first backoff of 5 s (equalJittered(5 s, 300 s)).
    while (Date.now() - t0 < 4_000) {
      await Promise.all([send(sy.proxy("dflt"), 4), send(sy.proxy("three"), 4)]);
      await new Promise((r) => setTimeout(r, 200));
    }
    assertEquals([d.bad.seen.length, bad3.seen.length], [5, 3], "no traffic while dead");
    // After it, live traffic probes the node once more (and it fails, so it is dead again).
    await new Promise((r) => setTimeout(r, Math.max(0, t0 + 5_600 - Date.now())));
    await Promise.all([send(sy.proxy("dflt"), 10), send(sy.proxy("three"), 10)]);
    assertEquals([d.bad.seen.length, bad3.seen.length], [6, 4], "one probe after 5 s");
  } finally {
    await sy.stop();
    await Promise.all([d.good.close(), d.bad.close(), bad3.close()]);
  }
});

Deno.test("docs failure_accrual: kind none never marks a node dead", async () => {
  const d = await goodAndBad();
  const sy = await startSwitchyard(`
admin: {port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${d.dir}}]
routers:${router("r", "    failureAccrual: {kind: none}")}
`);
  try {
    const st = await send(sy.proxy("r"), 40);
    assertEquals(d.bad.seen.length, 20, "round robin keeps sending the failing node its half");
    assertEquals(st.filter((s) => s === 500).length, 20);
  } finally {
    await sy.stop();
    await Promise.all([d.good.close(), d.bad.close()]);
  }
});

Deno.test("docs failure_accrual: the page's example (successRate 0.9 over 1000 requests, jittered 5..300 s) marks a failing node dead at its 1000th request", async () => {
  const d = await goodAndBad();
  const sy = await startSwitchyard(`
admin: {port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${d.dir}}]
routers:${
    router(
      "r",
      `    failureAccrual:
      kind: io.l5d.successRate
      successRate: 0.9
      requests: 1000
      backoff:
        kind: jittered
        minMs: 5000
        maxMs: 300000`,
    )
  }
`);
  try {
    const st = await send(sy.proxy("r"), 2300);
    assertEquals(d.bad.seen.length, 1000, "judged only once 1000 requests are in its window");
    assertEquals(st.filter((s) => s === 500).length, 1000);
    assertEquals(d.good.seen.length, 1300);
  } finally {
    await sy.stop();
    await Promise.all([d.good.close(), d.bad.close()]);
  }
});

Deno.test("docs failure_accrual: each kind's required keys, and none takes no kind-specific key", async () => {
  const cases: [string, string | undefined][] = [
    ["{kind: io.l5d.consecutiveFailures, failures: 5}", undefined],
    ["{kind: io.l5d.successRate, successRate: 0.9, requests: 1000}", undefined],
    ["{kind: io.l5d.successRateWindowed, successRate: 0.9, window: 30}", undefined],
    ["{kind: none}", undefined],
    // backoff is a key of every kind (Linkerd's FailureAccrualConfig), none included.
    ["{kind: none, backoff: {kind: constant, ms: 10}}", undefined],
    ["{kind: io.l5d.consecutiveFailures}", "failureAccrual.failures: required key is missing"],
    ["{kind: io.l5d.successRate, successRate: 0.9}", "failureAccrual.requests: required key"],
    ["{kind: io.l5d.successRate, requests: 10}", "failureAccrual.successRate: required key"],
    ["{kind: io.l5d.successRateWindowed, successRate: 0.9}", "failureAccrual.window: required"],
    ["{kind: none, failures: 3}", 'failureAccrual.failures: unknown key "failures"'],
    ["{failures: 3}", "failureAccrual.kind: kind is required"],
    ["{kind: io.l5d.other}", "io.l5d.other"],
  ];
  const dir = await Deno.makeTempDir();
  for (const [fa, error] of cases) {
    const path = `${dir}/c.yaml`;
    await Deno.writeTextFile(
      path,
      `routers:
- protocol: http
  dtab: /svc => /$/inet/127.0.0.1/1;
  servers: [{port: 0}]
  client:
    failureAccrual: ${fa}
`,
    );
    const r = await runCli("check", path);
    if (error === undefined) assertEquals(r.code, 0, `${fa}: ${r.stdout}${r.stderr}`);
    else {
      assertEquals(r.code, 1, fa);
      assertStringIncludes(r.stdout + r.stderr, `c.yaml:6:`, fa);
      assertStringIncludes(r.stdout + r.stderr, error, fa);
    }
  }
});
