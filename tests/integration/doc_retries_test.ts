/**
 * L1 `linkerd/docs/retries.md`, read as a black-box spec against the real process: the page's
 * YAML examples, the retry backoff kinds (`constant` `ms`, default 0; `jittered` `minMs`/`maxMs`,
 * Finagle's decorrelated jitter as Linkerd's JitteredBackoffConfig builds it), the budget examples
 * (`percentCanRetry` 0.1 and 2.0) and "Requeues happen immediately with no backoff". The budget
 * arithmetic, the defaults and per-service budgets are in resilience_test.ts and
 * linkerd_http_e2e_test.ts.
 *
 * @module
 */
import { assert, assertEquals } from "../support/assert.ts";
import { adminMetrics, startSwitchyard } from "../support/switchyard.ts";
import { curl, fsNamerDir, startUpstream } from "../support/upstream.ts";

/** An upstream that answers 503 to its first `failures` requests, then 200; notes each arrival. */
function flaky(failures: number) {
  const at: number[] = [];
  const up = startUpstream("world", () => {
    at.push(performance.now());
    return new Response(at.length <= failures ? "down" : "up", {
      status: at.length <= failures ? 503 : 200,
    });
  });
  /** The gaps between consecutive arrivals, ms. */
  const gaps = () => at.slice(1).map((t, i) => t - at[i]!);
  return { up, at, gaps };
}

function router(port: number, service: string): string {
  return `
admin: {port: 0}
routers:
- protocol: http
  label: r
  dtab: /svc => /$/inet/127.0.0.1/${port};
  servers: [{port: 0}]
  client:
    failureAccrual: {kind: none}
  service:
    responseClassifier: {kind: io.l5d.http.retryableRead5XX}
${service}
`;
}

Deno.test("docs retries: the page's example (budget + jittered 10..10000 ms) retries 5XX until a success", async () => {
  const f = flaky(3);
  const sy = await startSwitchyard(router(
    f.up.port,
    `    retries:
      budget:
        minRetriesPerSec: 5
        percentCanRetry: 0.5
        ttlSecs: 15
      backoff:
        kind: jittered
        minMs: 10
        maxMs: 10000`,
  ));
  try {
    const r = await curl(["-H", "Host: world", `http://${sy.proxy()}/`]);
    assertEquals([r.status, r.body], [200, "up"]);
    assertEquals(f.at.length, 4);
    const m = await adminMetrics(sy.admin);
    assertEquals(m["rt/r/service/svc/world/retries/total"], 3);
    // Decorrelated jitter from 10 ms: the first wait is 10 ms, each next one at most 3× the last.
    const gaps = f.gaps();
    console.log(`gaps: ${gaps.map((g) => g.toFixed(0)).join(", ")} ms`);
    assert(gaps.every((g) => g >= 9), `every retry waited >= minMs: ${gaps}`);
  } finally {
    await sy.stop();
    await f.up.close();
  }
});

Deno.test("docs retries: jittered backoff waits between minMs and maxMs before each retry", async () => {
  const f = flaky(4);
  const sy = await startSwitchyard(router(
    f.up.port,
    "    retries: {backoff: {kind: jittered, minMs: 150, maxMs: 300}}",
  ));
  try {
    const r = await curl(["-H", "Host: world", `http://${sy.proxy()}/`]);
    assertEquals(r.status, 200);
    assertEquals(f.at.length, 5);
    const gaps = f.gaps();
    console.log(`gaps: ${gaps.map((g) => g.toFixed(0)).join(", ")} ms`);
    assert(gaps.every((g) => g >= 145), `every wait >= minMs 150: ${gaps}`);
    // maxMs caps the wait; 250 ms of slack for a loaded machine.
    assert(gaps.every((g) => g <= 300 + 250), `every wait <= maxMs 300: ${gaps}`);
  } finally {
    await sy.stop();
    await f.up.close();
  }
});

Deno.test("docs retries: constant backoff waits `ms` before each retry, and `ms` defaults to 0", async () => {
  for (
    const [backoff, min, max] of [["{kind: constant, ms: 250}", 245, 250 + 400], [
      "{kind: constant}",
      0,
      150,
    ]] as const
  ) {
    const f = flaky(3);
    const sy = await startSwitchyard(router(f.up.port, `    retries: {backoff: ${backoff}}`));
    try {
      const r = await curl(["-H", "Host: world", `http://${sy.proxy()}/`]);
      assertEquals(r.status, 200);
      assertEquals(f.at.length, 4);
      const gaps = f.gaps();
      console.log(`${backoff}: gaps ${gaps.map((g) => g.toFixed(0)).join(", ")} ms`);
      assert(gaps.every((g) => g >= min && g <= max), `${backoff}: waits in [${min}, ${max}]`);
    } finally {
      await sy.stop();
      await f.up.close();
    }
  }
});

Deno.test("docs retries: percentCanRetry 0.1 allows 1 retry per 10 calls, 2.0 allows 2 retries per call", async () => {
  for (const [pct, calls, retries] of [["0.1", 20, 2], ["2.0", 5, 10]] as const) {
    let hits = 0;
    const up = startUpstream("world", () => {
      hits++;
      return new Response("down", { status: 503 });
    });
    // minRetriesPerSec 0: no reserve, so only percentCanRetry pays for retries.
    const sy = await startSwitchyard(router(
      up.port,
      `    retries: {budget: {percentCanRetry: ${pct}, minRetriesPerSec: 0}}`,
    ));
    try {
      for (let i = 0; i < calls; i++) {
        assertEquals((await curl(["-H", "Host: world", `http://${sy.proxy()}/`])).status, 503);
      }
      const m = await adminMetrics(sy.admin);
      assertEquals(
        [hits, m["rt/r/service/svc/world/retries/total"]],
        [calls + retries, retries],
        `percentCanRetry ${pct}`,
      );
    } finally {
      await sy.stop();
      await up.close();
    }
  }
});

Deno.test("docs retries: requeues (a refused connection) happen immediately, without the retries backoff", async () => {
  // Port 1 (tcpmux): nothing listens there. Round robin over it and a live endpoint: a request
  // sent to port 1 is requeued to the live one at once, though retries wait 3 s.
  const up = startUpstream("world");
  const dir = await fsNamerDir({ world: `127.0.0.1 1\n${up.fsLine}\n` });
  const sy = await startSwitchyard(`
admin: {port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${dir}}]
routers:
- protocol: http
  label: r
  dtab: /svc => /#/io.l5d.fs;
  servers: [{port: 0}]
  client:
    loadBalancer: {kind: roundRobin}
    failureAccrual: {kind: none}
  service:
    responseClassifier: {kind: io.l5d.http.retryableAll5XX}
    retries: {backoff: {kind: constant, ms: 3000}}
`);
  try {
    for (let i = 0; i < 6; i++) {
      const t0 = performance.now();
      const r = await curl(["-H", "Host: world", `http://${sy.proxy()}/`]);
      const ms = performance.now() - t0;
      assertEquals(r.status, 200);
      assert(ms < 1500, `request ${i} took ${ms.toFixed(0)} ms`);
    }
    const m = await adminMetrics(sy.admin);
    assert(
      (m["rt/r/client/#/io.l5d.fs/world/retries/requeues"] ?? 0) >= 1,
      "some requests were requeued",
    );
    assertEquals(m["rt/r/service/svc/world/retries/total"] ?? 0, 0, "none was a retry");
  } finally {
    await sy.stop();
    await up.close();
  }
});
