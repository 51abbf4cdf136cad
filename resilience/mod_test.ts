/**
 * The documented composition (mod.ts), in-process on a fake clock, against the proofs:
 * the real-process versions live in tests/integration.
 */
import { assert, assertEquals } from "../tests/support/assert.ts";
import { FakeClock } from "../tests/support/fake_clock.ts";
import { ConnectFailed, DeadlineExceeded } from "../router/core/errors.ts";
import { type Service, stack } from "../router/core/service.ts";
import {
  type AccrualNode,
  accrualPolicyFactory,
  balancerService,
  classifierFor,
  createBalancer,
  endpointNode,
  failureAccrual,
  requestTimeout,
  requeues,
  retries,
  RetryBudget,
  totalTimeout,
  upstreamSignal,
} from "./mod.ts";
import { testCtx } from "./_testing.ts";

interface Endpoint {
  id: string;
  latencyMs: number;
  /** Probability of a 500. */
  failRate: number;
  attempts: number;
  aborted: number;
}

/** A transport stub: answers after `latencyMs`, fails at `failRate`, honours the upstream signal. */
function transport(clock: FakeClock, ep: Endpoint): Service {
  return (_req, ctx) => {
    ep.attempts++;
    const signal = upstreamSignal(ctx);
    return new Promise((resolve, reject) => {
      const cancel = clock.setTimer(ep.latencyMs, () => {
        signal.removeEventListener("abort", onAbort);
        resolve(new Response(null, { status: clock.random() < ep.failRate ? 500 : 200 }));
      });
      const onAbort = () => {
        ep.aborted++;
        cancel();
        reject(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
    });
  };
}

function router(
  clock: FakeClock,
  endpoints: Endpoint[],
  opts: { kind: string; totalTimeoutMs?: number; attemptTimeoutMs?: number; onRetry?: () => void },
) {
  const classifier = classifierFor(opts.kind);
  const newPolicy = accrualPolicyFactory(undefined, clock)!;
  const nodes: AccrualNode[] = endpoints.map((ep) =>
    failureAccrual(
      endpointNode({
        id: ep.id,
        call: stack(
          [requestTimeout({ ms: opts.attemptTimeoutMs ?? Infinity, clock })],
          transport(clock, ep),
        ),
      }),
      { policy: newPolicy(), clock, classifier },
    )
  );
  const balancer = createBalancer("p2c", {}, clock);
  balancer.update(nodes);
  const client = stack(
    [requeues({ budget: new RetryBudget({}, clock) })],
    balancerService(balancer),
  );
  const path = stack([
    totalTimeout({ ms: opts.totalTimeoutMs, clock }),
    retries({ classifier, budget: new RetryBudget({}, clock), clock, onRetry: opts.onRetry }),
  ], client);
  return { path, nodes, balancer };
}

async function run(clock: FakeClock, svc: Service, n: number, intervalMs: number) {
  const results = { ok: 0, failed: 0 };
  let open = 0;
  for (let i = 0; i < n; i++) {
    open++;
    svc(new Request("http://hello.svc/"), testCtx(clock)).then(
      (r) => (r.status < 500 ? results.ok++ : results.failed++, open--),
      () => (results.failed++, open--),
    );
    await clock.tick(intervalMs);
  }
  while (open > 0) await clock.tick(100);
  return results;
}

const eps = (...specs: [number, number][]): Endpoint[] =>
  specs.map(([latencyMs, failRate], i) => ({
    id: `10.0.0.${i + 1}:80`,
    latencyMs,
    failRate,
    attempts: 0,
    aborted: 0,
  }));

Deno.test("composition: retryableRead5XX + accrual hide a failing endpoint (≥ 99.9 %, ≤ 2 % of attempts)", async () => {
  const clock = new FakeClock({ seed: 1 });
  const endpoints = eps([5, 0], [5, 0], [5, 1]);
  const { path } = router(clock, endpoints, { kind: "io.l5d.http.retryableRead5XX" });
  const r = await run(clock, path, 2000, 10);
  assert(r.ok / 2000 >= 0.999, `success ${r.ok}/2000`);
  const attempts = endpoints.reduce((s, e) => s + e.attempts, 0);
  assert(
    endpoints[2]!.attempts / attempts <= 0.02,
    `bad endpoint got ${endpoints[2]!.attempts}/${attempts}`,
  );
});

Deno.test("composition: nonRetryable5XX lets failures through, ejects after 5 and probes after the backoff", async () => {
  const clock = new FakeClock({ seed: 2 });
  const endpoints = eps([5, 0], [5, 0], [5, 1]);
  const { path, nodes } = router(clock, endpoints, { kind: "io.l5d.http.nonRetryable5XX" });
  const r = await run(clock, path, 200, 10);
  assertEquals([r.failed, endpoints[2]!.attempts], [5, 5]);
  assertEquals([nodes[2]!.state, nodes[2]!.markedDead], ["dead", 1]);
  await run(clock, path, 400, 10); // the first backoff (5 s) passes: one probe, which fails
  assertEquals([endpoints[2]!.attempts, nodes[2]!.probes, nodes[2]!.state], [6, 1, "dead"]);
});

Deno.test("composition: retries stay within the budget when every endpoint fails half the time", async () => {
  const clock = new FakeClock({ seed: 3 });
  const endpoints = eps([5, 0.5], [5, 0.5], [5, 0.5]);
  let retried = 0;
  const { path } = router(clock, endpoints, {
    kind: "io.l5d.http.retryableRead5XX",
    onRetry: () => retried++,
  });
  await run(clock, path, 3000, 10); // 30 s at 100 rps
  assert(retried <= 0.2 * 3000 + 10 * (30 + 10), `${retried} retries for 3000 requests`);
  assert(retried > 0.2 * 3000, "the budget is used");
});

Deno.test("composition: a total timeout answers DeadlineExceeded on time and cancels the upstream", async () => {
  const clock = new FakeClock({ seed: 4 });
  const endpoints = eps([1000, 0]);
  const { path, nodes } = router(clock, endpoints, {
    kind: "io.l5d.http.retryableRead5XX",
    totalTimeoutMs: 100,
  });
  let err: unknown;
  const started = clock.now();
  let at = 0;
  path(new Request("http://hello.svc/"), testCtx(clock)).catch((e) => (err = e, at = clock.now()));
  await clock.tick(1000);
  assert(err instanceof DeadlineExceeded);
  assertEquals([at - started, endpoints[0]!.aborted, endpoints[0]!.attempts], [100, 1, 1]);
  // An inbound 50 ms deadline is honoured the same way.
  const ctx = testCtx(clock, { deadline: clock.now() + 50 });
  const t0 = clock.now();
  path(new Request("http://hello.svc/"), ctx).catch((e) => (err = e, at = clock.now()));
  await clock.tick(1000);
  assertEquals([at - t0, endpoints[0]!.aborted], [50, 2]);
  assertEquals(nodes[0]!.state, "alive"); // cancellations are not the endpoint's fault
});

Deno.test("composition: panic mode keeps traffic flowing when every endpoint is dead, then recovers", async () => {
  const clock = new FakeClock({ seed: 5 });
  const endpoints = eps([5, 1], [5, 1]);
  const { path, nodes, balancer } = router(clock, endpoints, {
    kind: "io.l5d.http.nonRetryable5XX",
  });
  await run(clock, path, 20, 10);
  assert(nodes.every((n) => n.state === "dead"), "all marked dead");
  const before = endpoints[0]!.attempts + endpoints[1]!.attempts;
  await run(clock, path, 50, 10);
  assertEquals(endpoints[0]!.attempts + endpoints[1]!.attempts - before, 50); // no "No hosts"
  assert(balancer.panicCount >= 50);
  for (const ep of endpoints) ep.failRate = 0; // the deploy finishes
  const r = await run(clock, path, 1500, 10); // past the first backoff: probes succeed
  assert(nodes.every((n) => n.state === "alive"), nodes.map((n) => n.state).join());
  const panics = balancer.panicCount;
  await run(clock, path, 100, 10);
  assertEquals(balancer.panicCount, panics);
  assert(r.ok > 1400);
});

Deno.test("composition: requeues route a never-delivered request to another endpoint", async () => {
  const clock = new FakeClock({ seed: 6 });
  const good: Endpoint = { id: "good", latencyMs: 5, failRate: 0, attempts: 0, aborted: 0 };
  const refusing = endpointNode({
    id: "down",
    call: () => Promise.reject(new ConnectFailed("refused")),
  });
  const balancer = createBalancer("roundRobin", {}, clock);
  balancer.update([refusing, endpointNode({ id: "good", call: transport(clock, good) })]);
  const client = stack(
    [requeues({ budget: new RetryBudget({}, clock) })],
    balancerService(balancer),
  );
  const r = await run(clock, client, 100, 10);
  assertEquals([r.ok, good.attempts], [100, 100]);
});
