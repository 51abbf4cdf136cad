import { assert, assertEquals, assertRejects } from "../tests/support/assert.ts";
import { FakeClock } from "../tests/support/fake_clock.ts";
import { RequestTimeout } from "../router/core/errors.ts";
import { stack } from "../router/core/service.ts";
import { classifierFor } from "./classifiers.ts";
import { requestTimeout } from "./request_timeout.ts";
import { retries } from "./retries.ts";
import { RetryBudget } from "./retry_budget.ts";
import { upstreamSignal } from "./upstream_signal.ts";
import { req, slow, testCtx } from "./_testing.ts";

Deno.test("requestTimeout() is disabled (null) without a positive timeout", () => {
  const clock = new FakeClock();
  assertEquals(requestTimeout({ ms: 0, clock }), null);
  assertEquals(requestTimeout({ ms: Infinity, clock }), null);
  assert(requestTimeout({ ms: 1, clock }));
});

Deno.test("requestTimeout() rejects one slow attempt with RequestTimeout and cancels it", async () => {
  const clock = new FakeClock();
  const upstream = slow(clock, 1000, upstreamSignal);
  const ctx = testCtx(clock);
  ctx.endpoint = "10.0.0.1:80";
  const p = requestTimeout({ ms: 250, clock })!(req(), ctx, upstream);
  const check = assertRejects(() => p, "250 ms request attempt timeout");
  await clock.tick(250);
  const err = await check;
  assert(err instanceof RequestTimeout);
  assertEquals(err.status, 503);
  assert(upstream.signals[0]!.aborted);
  assertEquals(upstreamSignal(ctx), ctx.signal);
});

Deno.test("requestTimeout() under retries gives each attempt its own timer", async () => {
  const clock = new FakeClock();
  let n = 0;
  const first = slow(clock, 1000, upstreamSignal);
  const second = slow(clock, 100, upstreamSignal);
  const svc = stack([
    retries({
      classifier: classifierFor("io.l5d.http.retryableRead5XX"),
      budget: new RetryBudget({}, clock),
      clock,
    }),
    requestTimeout({ ms: 250, clock }),
  ], (r, c) => (n++ === 0 ? first(r, c) : second(r, c)));
  const p = svc(req(), testCtx(clock));
  await clock.tick(250 + 100);
  assertEquals((await p).status, 200);
  assert(first.signals[0]!.aborted, "first attempt cancelled");
  assertEquals(second.signals[0]!.aborted, false);
  assert(first.signals[0] !== second.signals[0], "a fresh signal per attempt");
  assertEquals(clock.pending, 0);
});
