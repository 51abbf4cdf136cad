/**
 * Linkerd 1.x's failure accrual tests, ported against the real process:
 * `linkerd/failure-accrual/src/test/scala/io/buoyant/linkerd/failureAccrual/`
 * `ConsecutiveFailuresTest.scala`, `SuccessRateTest.scala`, `SuccessRateWindowedTest.scala` (their
 * policies are Finagle's `FailureAccrualPolicy.consecutiveFailures`, `successRate` and
 * `successRateWithinDuration`, finagle-core `liveness/FailureAccrualPolicy.scala`). The Scala
 * tests build a policy and call `markDeadOnFailure()`; here upstreams answer 500 (a failure for the
 * default classifier) and the endpoint's requests and `failure_accrual/removals` show when the
 * router marked it dead. Requests are sequential so that counts are exact; loopback only.
 *
 * @module
 */
import { assert, assertEquals } from "../support/assert.ts";
import { adminMetrics, outgoingFsConfig, startSwitchyard } from "../support/switchyard.ts";
import { fsNamerDir, startUpstream, type Upstream } from "../support/upstream.ts";

const CLIENT = "rt/outgoing/client/#/io.l5d.fs/world";

async function setup(ups: Upstream[], failureAccrual: string) {
  const dir = await fsNamerDir({ world: ups.map((u) => u.fsLine).join("\n") });
  return await startSwitchyard(
    outgoingFsConfig(dir, { client: `    failureAccrual: ${failureAccrual}` }),
  );
}

function endpointRequests(m: Record<string, number>, up: Upstream): number {
  return m[`${CLIENT}/endpoint/127.0.0.1:${up.port}/requests`] ?? 0;
}

/** `n` sequential GETs (Host: world) over one keep-alive client; returns the statuses. */
async function sequential(proxy: string, n: number, gapMs = 0): Promise<number[]> {
  using client = Deno.createHttpClient({ allowHost: true });
  const statuses: number[] = [];
  const deadline = Date.now() + 60_000;
  for (let i = 0; i < n && Date.now() < deadline; i++) {
    if (gapMs > 0 && i > 0) await new Promise((r) => setTimeout(r, gapMs));
    const r = await fetch(`http://${proxy}/`, { headers: { host: "world" }, client });
    await r.arrayBuffer();
    statuses.push(r.status);
  }
  return statuses;
}

const ok = () => startUpstream("world", () => new Response("ok"));
const failing = () => startUpstream("world", () => new Response("down", { status: 500 }));

Deno.test("linkerd SuccessRateTest: io.l5d.successRate marks a failing endpoint dead at its `requests`-th request", async () => {
  // Finagle successRate(0.9, 10, backoff): an EMA over request counts that judges only once the
  // endpoint has seen `requests` requests (emaStamp >= window); an endpoint failing every request
  // has a success rate of 0 from the first, so it is marked dead by exactly its 10th.
  const ups = [ok(), ok(), failing()];
  const sy = await setup(
    ups,
    "{kind: io.l5d.successRate, successRate: 0.9, requests: 10, backoff: {kind: constant, ms: 60000}}",
  );
  try {
    const st = await sequential(sy.proxy(), 150);
    const m = await adminMetrics(sy.admin);
    const per = ups.map((u) => endpointRequests(m, u));
    console.log(`attempts per endpoint ${per.join("/")}`);
    assertEquals(per[2], 10, "the failing endpoint served 10 requests, then was marked dead");
    assertEquals(st.filter((s) => s === 500).length, 10);
    assertEquals(m[`${CLIENT}/failure_accrual/removals`], 1);
    // The healthy endpoints stay: their success rate is 1.
    assertEquals(per[0]! + per[1]!, 140);
  } finally {
    await sy.stop();
    await Promise.all(ups.map((u) => u.close()));
  }
});

Deno.test("linkerd SuccessRateWindowedTest: io.l5d.successRateWindowed judges only after `window` seconds, with >= 5 requests in it", async () => {
  // Finagle successRateWithinDuration(0.9, 1 s, backoff) with Linkerd's default minimum of 5
  // requests in the window: failures within the first second never mark the endpoint dead.
  const ups = [ok(), failing()];
  const sy = await setup(
    ups,
    "{kind: io.l5d.successRateWindowed, successRate: 0.9, window: 1, backoff: {kind: constant, ms: 60000}}",
  );
  try {
    const t0 = Date.now();
    using client = Deno.createHttpClient({ allowHost: true });
    const get = async () => {
      const r = await fetch(`http://${sy.proxy()}/`, { headers: { host: "world" }, client });
      await r.arrayBuffer();
      return r.status;
    };
    let n = 0;
    while (Date.now() - t0 < 500 && n < 1000) {
      await get();
      n++;
    }
    const early = await adminMetrics(sy.admin);
    const badEarly = endpointRequests(early, ups[1]!);
    console.log(`first 0.5 s: ${n} requests, ${badEarly} to the failing endpoint`);
    assert(badEarly >= 5, `the failing endpoint saw enough requests to judge: ${badEarly}`);
    assertEquals(early[`${CLIENT}/failure_accrual/removals`] ?? 0, 0, "not inside the window");
    // Past the window, the next failure marks it dead.
    let removedAt = 0;
    while (Date.now() - t0 < 10_000 && n < 20_000) {
      await get();
      n++;
      if (
        n % 10 === 0 && (await adminMetrics(sy.admin))[`${CLIENT}/failure_accrual/removals`] === 1
      ) {
        removedAt = Date.now() - t0;
        break;
      }
    }
    console.log(`marked dead ${removedAt} ms after the first request`);
    assert(removedAt >= 1000, `marked dead after the 1 s window: ${removedAt}`);
    const bad = endpointRequests(await adminMetrics(sy.admin), ups[1]!);
    const after = await sequential(sy.proxy(), 20);
    assertEquals(after, Array(20).fill(200), "only the healthy endpoint serves now");
    assertEquals(endpointRequests(await adminMetrics(sy.admin), ups[1]!), bad);
  } finally {
    await sy.stop();
    await Promise.all(ups.map((u) => u.close()));
  }
});

Deno.test("linkerd SuccessRateWindowedTest: fewer than 5 requests in the window never mark an endpoint dead", async () => {
  // Finagle's DefaultMinimumRequestThreshold (5 requests in the last `window`, a WindowedAdder):
  // one request every 400 ms puts at most 3 in a 1 s window, so an endpoint failing all of them
  // stays; a burst then marks it dead.
  const ups = [failing()];
  const sy = await setup(
    ups,
    "{kind: io.l5d.successRateWindowed, successRate: 0.9, window: 1, backoff: {kind: constant, ms: 60000}}",
  );
  try {
    const slow = await sequential(sy.proxy(), 8, 400);
    const m1 = await adminMetrics(sy.admin);
    assertEquals(slow, Array(8).fill(500));
    assertEquals(m1[`${CLIENT}/failure_accrual/removals`] ?? 0, 0);
    assertEquals(endpointRequests(m1, ups[0]!), 8);
    await sequential(sy.proxy(), 10);
    assertEquals((await adminMetrics(sy.admin))[`${CLIENT}/failure_accrual/removals`], 1);
  } finally {
    await sy.stop();
    await Promise.all(ups.map((u) => u.close()));
  }
});

Deno.test("linkerd ConsecutiveFailuresTest: a success resets the count; `failures` in a row mark dead", async () => {
  // Finagle consecutiveFailures(n, backoff): recordSuccess() sets the count back to 0. An endpoint
  // that fails every other request never reaches 2 in a row; one failing every request is marked
  // dead by its 2nd.
  let i = 0;
  const flaky = startUpstream("world", () => new Response("x", { status: i++ % 2 ? 500 : 200 }));
  const ups = [flaky, failing()];
  const sy = await setup(
    ups,
    "{kind: io.l5d.consecutiveFailures, failures: 2, backoff: {kind: constant, ms: 60000}}",
  );
  try {
    await sequential(sy.proxy(), 60);
    const m = await adminMetrics(sy.admin);
    const per = ups.map((u) => endpointRequests(m, u));
    console.log(`attempts per endpoint ${per.join("/")}`);
    assertEquals(per[1], 2, "the always-failing endpoint: dead at its 2nd failure in a row");
    assertEquals(per[0], 58, "the alternating one never had 2 failures in a row");
    assertEquals(m[`${CLIENT}/failure_accrual/removals`], 1);
  } finally {
    await sy.stop();
    await Promise.all(ups.map((u) => u.close()));
  }
});
