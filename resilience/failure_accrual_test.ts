import { assert, assertEquals, assertRejects } from "../tests/support/assert.ts";
import { FakeClock } from "../tests/support/fake_clock.ts";
import {
  ConnectFailed,
  DeadlineExceeded,
  Overloaded,
  RequestTimeout,
} from "../router/core/errors.ts";
import type { Service } from "../router/core/service.ts";
import {
  type AccrualPolicy,
  accrualPolicyFactory,
  consecutiveFailures,
  successRate,
  successRateWindowed,
} from "./accrual_policy.ts";
import { constantBackoff } from "./backoff.ts";
import { endpointNode } from "./balancer/node.ts";
import { classifierFor } from "./classifiers.ts";
import {
  accrualSpec,
  failureAccrual,
  type FailureAccrualOptions,
  failureAccrualWith,
} from "./failure_accrual.ts";
import { req, switchable, testCtx } from "./_testing.ts";

/** An endpoint whose answers the test switches: a status, or an error. */
function endpoint() {
  const { ep, call } = switchable();
  return { ep, node: endpointNode({ id: "10.0.0.1:80", call }) };
}

function setup(
  policy: (clock: FakeClock) => AccrualPolicy,
  extra: Partial<FailureAccrualOptions> = {},
) {
  const clock = new FakeClock();
  const { ep, node } = endpoint();
  const events: string[] = [];
  const acc = failureAccrual(node, {
    policy: policy(clock),
    clock,
    onMarkedDead: (_n, ms, removal) => events.push(removal ? `dead ${ms}` : `dead again ${ms}`),
    onRevived: () => events.push("revived"),
    onProbe: () => events.push("probe"),
    ...extra,
  });
  const send = () => acc.call(req(), testCtx(clock)).then((r) => r.status, (e: Error) => e.name);
  return { clock, ep, acc, events, send };
}

Deno.test("failureAccrual() consecutiveFailures: Alive → Dead → ProbeOpen → ProbeClosed → Alive", async () => {
  const { clock, ep, acc, events, send } = setup(() =>
    consecutiveFailures(5, constantBackoff(5000))
  );
  ep.answer = 500;
  for (let i = 0; i < 4; i++) await send();
  assertEquals([acc.state, acc.status()], ["alive", "open"]);
  await send();
  assertEquals([acc.state, acc.status(), acc.markedDead], ["dead", "busy", 1]);
  await clock.tick(4999);
  assertEquals(acc.state, "dead");
  await clock.tick(1);
  assertEquals([acc.state, acc.status()], ["probeOpen", "open"]);
  ep.answer = 200;
  const probe = acc.call(req(), testCtx(clock));
  assertEquals([acc.state, acc.status(), acc.probes], ["probeClosed", "busy", 1]);
  await probe;
  assertEquals([acc.state, acc.status(), acc.revivals], ["alive", "open", 1]);
  assertEquals(events, ["dead 5000", "probe", "revived"]);
});

Deno.test("failureAccrual() marks dead again, for the next backoff, when the probe fails", async () => {
  let n = 0;
  const backoff = {
    ms: 1000,
    next: function next() {
      n++;
      return { ms: 1000 * 2 ** n, next };
    },
  };
  const { clock, ep, acc, events, send } = setup(() => consecutiveFailures(2, backoff));
  ep.answer = new ConnectFailed("refused");
  await send();
  await send();
  assertEquals(acc.state, "dead");
  await clock.tick(1000);
  assertEquals(acc.state, "probeOpen");
  await send(); // the probe fails
  assertEquals([acc.state, acc.markedDead], ["dead", 1]);
  await clock.tick(1999);
  assertEquals(acc.state, "dead");
  await clock.tick(1);
  assertEquals(acc.state, "probeOpen");
  ep.answer = 200;
  await send();
  assertEquals(acc.state, "alive");
  // A failed probe is not a removal (Finagle's `removals` counts only from alive).
  assertEquals(events, ["dead 1000", "probe", "dead again 2000", "probe", "revived"]);
  // Revival restarts the backoff schedule.
  ep.answer = 503;
  await send();
  await send();
  assertEquals(events.at(-1), "dead 1000");
});

Deno.test("failureAccrual() makes the first request after the backoff the probe", async () => {
  const clock = new FakeClock();
  const pending: ((r: Response) => void)[] = [];
  const acc = failureAccrual(
    endpointNode({ id: "x", call: () => new Promise((r) => pending.push(r)) }),
    { policy: consecutiveFailures(1, constantBackoff(100)), clock },
  );
  const first = acc.call(req(), testCtx(clock));
  pending.shift()!(new Response(null, { status: 500 }));
  await first;
  assertEquals(acc.state, "dead");
  await clock.tick(100);
  assertEquals([acc.state, acc.status()], ["probeOpen", "open"]);
  const probe = acc.call(req(), testCtx(clock));
  assertEquals([acc.state, acc.status(), acc.probes], ["probeClosed", "busy", 1]);
  // A request the balancer still sends (e.g. panic mode) is not a second probe.
  const other = acc.call(req(), testCtx(clock));
  assertEquals(acc.probes, 1);
  pending.shift()!(new Response(null, { status: 200 }));
  await probe;
  assertEquals(acc.state, "alive");
  pending.shift()!(new Response(null, { status: 200 }));
  await other;
  assertEquals([acc.state, acc.revivals], ["alive", 1]);
});

Deno.test("failureAccrual() counts request timeouts as failures", async () => {
  const { ep, acc, send } = setup(() => consecutiveFailures(2, constantBackoff(100)));
  ep.answer = new RequestTimeout("slow");
  await send();
  await send();
  assertEquals(acc.state, "dead");
});

Deno.test("failureAccrual() ignores local shedding, deadlines and cancellations from above", async () => {
  const { clock, ep, acc, send } = setup(() => consecutiveFailures(1, constantBackoff(100)));
  ep.answer = new Overloaded("pool full");
  await send();
  ep.answer = new DeadlineExceeded("late");
  await send();
  const client = new AbortController();
  client.abort();
  ep.answer = 500;
  await acc.call(req(), testCtx(clock, { signal: client.signal }));
  assertEquals(acc.state, "alive");
});

Deno.test("failureAccrual() reopens probing when the probe is cancelled from above", async () => {
  const { clock, ep, acc, send } = setup(() => consecutiveFailures(1, constantBackoff(100)));
  ep.answer = 500;
  await send();
  await clock.tick(100);
  const client = new AbortController();
  client.abort();
  await acc.call(req(), testCtx(clock, { signal: client.signal }));
  assertEquals(acc.state, "probeOpen");
});

Deno.test("failureAccrual() needs a probe to revive: successes while dead only feed the policy", async () => {
  const { ep, acc, send } = setup(() => consecutiveFailures(2, constantBackoff(100)));
  ep.answer = 500;
  await send();
  await send();
  ep.answer = 200;
  await send(); // e.g. panic-mode traffic
  assertEquals(acc.state, "dead");
});

Deno.test("failureAccrual() uses the service classifier", async () => {
  const { ep, acc, send } = setup(() => consecutiveFailures(1, constantBackoff(100)), {
    classifier: classifierFor("io.l5d.http.allSuccessful"),
  });
  ep.answer = 503;
  await send();
  assertEquals(acc.state, "alive");
  ep.answer = new ConnectFailed("refused");
  await send();
  assertEquals(acc.state, "dead");
});

Deno.test("failureAccrual() prefers the per-request classifier from classifierOf()", async () => {
  const lenient = classifierFor("io.l5d.http.allSuccessful");
  let perRequest: typeof lenient | undefined = lenient;
  const { ep, acc, send } = setup(() => consecutiveFailures(1, constantBackoff(100)), {
    classifierOf: () => perRequest,
  });
  ep.answer = 503;
  await send();
  assertEquals(acc.state, "alive");
  perRequest = undefined; // falls back to the default nonRetryable5XX
  await send();
  assertEquals(acc.state, "dead");
});

Deno.test("failureAccrual() successRate: dead below the rate over N requests, then probed", async () => {
  const { clock, ep, acc, send } = setup(() =>
    successRate({ successRate: 0.8, requests: 10, backoff: constantBackoff(1000) })
  );
  for (let i = 0; i < 10; i++) await send();
  ep.answer = 500;
  await send();
  await send();
  assertEquals(acc.state, "alive"); // EWMA still ≈ 0.83
  await send();
  assertEquals(acc.state, "dead"); // ≈ 0.75 < 0.8
  await clock.tick(1000);
  ep.answer = 200;
  await send();
  assertEquals([acc.state, acc.revivals], ["alive", 1]);
});

Deno.test("failureAccrual() probes again when the policy will not judge a failed probe", async () => {
  const verdicts: (number | undefined)[] = [100, undefined];
  const policy: AccrualPolicy = {
    recordSuccess() {},
    markDeadOnFailure: () => verdicts.shift(),
    revived() {},
  };
  const { clock, ep, acc, send } = setup(() => policy);
  ep.answer = 500;
  await send();
  assertEquals(acc.state, "dead");
  await clock.tick(100);
  await send(); // the probe fails, the policy says "undefined"
  assertEquals(acc.state, "probeOpen");
});

Deno.test("failureAccrual() successRate: a failed probe marks dead again", async () => {
  const { clock, ep, acc, send } = setup(() =>
    successRate({ successRate: 0.5, requests: 2, backoff: constantBackoff(1000) })
  );
  ep.answer = 500;
  await send();
  await send();
  assertEquals(acc.state, "dead");
  await clock.tick(1000);
  await send();
  assertEquals([acc.state, acc.probes, acc.markedDead], ["dead", 1, 1]);
});

Deno.test("failureAccrual() successRateWindowed: dead after a bad window, alive after a good probe", async () => {
  const { clock, ep, acc, send } = setup((c) =>
    successRateWindowed({
      successRate: 0.9,
      windowMs: 5000,
      backoff: constantBackoff(2000),
      clock: c,
    })
  );
  ep.answer = 500;
  await send();
  await clock.tick(2500);
  for (let i = 0; i < 4; i++) await send();
  assertEquals(acc.state, "alive"); // less than one window observed
  await clock.tick(2500);
  await send();
  assertEquals(acc.state, "dead");
  await clock.tick(2000);
  assertEquals(acc.status(), "open");
  ep.answer = 200;
  await send();
  assertEquals(acc.state, "alive");
});

Deno.test("failureAccrual() close() cancels the revival timer and closes the endpoint", async () => {
  const { clock, ep, acc, send } = setup(() => consecutiveFailures(1, constantBackoff(1000)));
  ep.answer = 500;
  await send();
  assertEquals(clock.pending, 1);
  await acc.close();
  assertEquals([clock.pending, acc.status()], [0, "closed"]);
});

Deno.test("failureAccrual() passes rejections through unchanged", async () => {
  const { ep, acc } = setup(() => consecutiveFailures(5, constantBackoff(1000)));
  ep.answer = new ConnectFailed("refused");
  const err = await assertRejects(() => acc.call(req(), testCtx(new FakeClock())), "refused");
  assert(err instanceof ConnectFailed);
  assertEquals([acc.id, acc.weight, acc.load()], ["10.0.0.1:80", 1, 0]);
});

Deno.test("failureAccrual() over an endpoint node counts each request out once: answer, error, sync throw", async () => {
  const clock = new FakeClock();
  let mode: "ok" | "reject" | "throw" | "hold" = "ok";
  let release!: () => void;
  const call: Service = () => {
    if (mode === "throw") throw new ConnectFailed("sync");
    if (mode === "reject") return Promise.reject(new ConnectFailed("async"));
    if (mode === "hold") {
      return new Promise((r) => release = () => r(new Response(null, { status: 200 })));
    }
    return Promise.resolve(new Response(null, { status: 200 }));
  };
  const inner = endpointNode({ id: "10.0.0.1:80", call });
  const node = failureAccrual(inner, {
    policy: consecutiveFailures(100, constantBackoff(1000)),
    clock,
  });
  await node.call(req(), testCtx(clock));
  assertEquals(inner.outstanding, 0);
  mode = "reject";
  await assertRejects(() => node.call(req(), testCtx(clock)), "async");
  assertEquals(inner.outstanding, 0);
  mode = "throw";
  await assertRejects(() => node.call(req(), testCtx(clock)), "sync");
  assertEquals(inner.outstanding, 0);
  mode = "hold";
  const pending = node.call(req(), testCtx(clock));
  assertEquals([inner.outstanding, node.load()], [1, 1]); // in flight: the balancer sees it
  release();
  await pending;
  assertEquals(inner.outstanding, 0);
});

Deno.test("failureAccrualWith() an untilFailure factory makes the policy on the first failure, with the same outcomes", async () => {
  const clock = new FakeClock();
  const base = accrualPolicyFactory({
    kind: "io.l5d.consecutiveFailures",
    failures: 3,
    backoff: { kind: "constant", ms: 1000 },
  }, clock)!;
  assert(base.untilFailure === true, "consecutive failures: untilFailure");
  let made = 0;
  const counted = Object.assign(() => (made++, base()), { untilFailure: true });
  const spec = accrualSpec({ clock });
  const a = endpoint(), b = endpoint();
  const lazy = failureAccrualWith(a.node, counted, spec);
  const eager = failureAccrualWith(b.node, base(), spec);
  const send = (n: typeof lazy) =>
    n.call(req(), testCtx(clock)).then((r) => r.status, (e: Error) => e.name);
  // Successes, failures in a row broken by a success, then three in a row; a failed probe; a
  // good one.
  const script = [200, 200, 500, 500, 200, 500, 500, 500, "wait", 500, "wait", 200, 500, 200];
  const seen: string[][] = [];
  for (const step of script) {
    if (step === "wait") {
      await clock.tick(1000);
      continue;
    }
    a.ep.answer = b.ep.answer = step as number;
    await send(lazy);
    await send(eager);
    seen.push([lazy.state, eager.state]);
    if (seen.length === 2) assertEquals(made, 0, "no policy while it only succeeds");
  }
  for (const [l, e] of seen) assertEquals(l, e);
  assertEquals([lazy.markedDead, lazy.revivals, lazy.probes], [
    eager.markedDead,
    eager.revivals,
    eager.probes,
  ]);
  assertEquals([lazy.markedDead, lazy.revivals], [1, 1]);
  assertEquals(made, 1, "one policy, made on the first failure");
  // A factory that is not untilFailure is called at once.
  let eagerMade = 0;
  failureAccrualWith(endpoint().node, () => (eagerMade++, base()), spec);
  assertEquals(eagerMade, 1);
});
