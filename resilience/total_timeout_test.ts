import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
} from "../tests/support/assert.ts";
import { FakeClock } from "../tests/support/fake_clock.ts";
import { DeadlineExceeded } from "../router/core/errors.ts";
import { stack } from "../router/core/service.ts";
import { classifierFor } from "./classifiers.ts";
import { retries } from "./retries.ts";
import { RetryBudget } from "./retry_budget.ts";
import { enforceDeadline, totalTimeout } from "./total_timeout.ts";
import { upstreamSignal } from "./upstream_signal.ts";
import { req, slow, testCtx } from "./_testing.ts";

/** Settle a promise into a result without throwing, so tests can observe timing. */
function observe<T>(p: Promise<T>): { done: boolean; value?: T; error?: unknown } {
  const out: { done: boolean; value?: T; error?: unknown } = { done: false };
  p.then(
    (v) => Object.assign(out, { done: true, value: v }),
    (e) => Object.assign(out, { done: true, error: e }),
  );
  return out;
}

Deno.test("totalTimeout() shrinks ctx.deadline to now + ms", async () => {
  const clock = new FakeClock();
  const ctx = testCtx(clock);
  const filter = totalTimeout({ ms: 100, clock });
  await filter(req(), ctx, () => Promise.resolve(new Response("ok")));
  assertEquals(ctx.deadline, clock.now() + 100);
  const tighter = testCtx(clock, { deadline: clock.now() + 20 });
  await filter(req(), tighter, () => Promise.resolve(new Response("ok")));
  assertEquals(tighter.deadline, clock.now() + 20);
});

Deno.test("totalTimeout() rejects with DeadlineExceeded at the deadline and aborts the upstream call", async () => {
  const clock = new FakeClock();
  const upstream = slow(clock, 1000, upstreamSignal);
  const ctx = testCtx(clock);
  const r = observe(totalTimeout({ ms: 100, clock })(req(), ctx, upstream));
  await clock.tick(99);
  assertEquals(r.done, false);
  assertEquals(upstream.signals[0]!.aborted, false);
  await clock.tick(1);
  assertEquals(r.done, true);
  assert(r.error instanceof DeadlineExceeded);
  assertEquals((r.error as DeadlineExceeded).status, 503);
  assertStringIncludes((r.error as Error).message, "100 ms total timeout");
  assert(upstream.signals[0]!.aborted, "the upstream signal fired");
  assertEquals(upstream.signals[0]!.reason, r.error);
  assertEquals(upstreamSignal(ctx), ctx.signal); // restored for anything above
  assertEquals(clock.pending, 0);
});

Deno.test("totalTimeout() bounds every retry and backoff", async () => {
  const clock = new FakeClock();
  const upstream = slow(clock, 60, upstreamSignal, 503);
  const svc = stack([
    totalTimeout({ ms: 100, clock }),
    retries({
      classifier: classifierFor("io.l5d.http.retryableRead5XX"),
      budget: new RetryBudget({}, clock),
      clock,
      latencyEstimateMs: () => 0,
    }),
  ], upstream);
  const r = observe(svc(req(), testCtx(clock)));
  await clock.tick(100);
  assert(r.error instanceof DeadlineExceeded, String(r.error));
  assertEquals(upstream.calls, 2);
  assert(upstream.signals[1]!.aborted, "the retry in flight was cancelled");
  await clock.tick(1000);
  assertEquals(upstream.calls, 2); // no retry after the deadline
});

Deno.test("totalTimeout() honours a shorter inbound deadline", async () => {
  const clock = new FakeClock();
  const upstream = slow(clock, 1000, upstreamSignal);
  const ctx = testCtx(clock, { deadline: clock.now() + 50 });
  const r = observe(totalTimeout({ ms: 100, clock })(req(), ctx, upstream));
  await clock.tick(50);
  assert(r.error instanceof DeadlineExceeded);
  assertStringIncludes((r.error as Error).message, "l5d-ctx-deadline");
  assert(upstream.signals[0]!.aborted);
});

Deno.test("totalTimeout() fails at once when the deadline already passed", async () => {
  const clock = new FakeClock();
  const upstream = slow(clock, 10, upstreamSignal);
  const ctx = testCtx(clock, { deadline: clock.now() - 1 });
  await assertRejects(() => enforceDeadline({ clock })(req(), ctx, upstream));
  assertEquals(upstream.calls, 0);
});

Deno.test("enforceDeadline() enforces an inbound deadline with no local timeout", async () => {
  const clock = new FakeClock();
  const upstream = slow(clock, 1000, upstreamSignal);
  const ctx = testCtx(clock, { deadline: clock.now() + 50 });
  const r = observe(enforceDeadline({ clock })(req(), ctx, upstream));
  await clock.tick(50);
  assert(r.error instanceof DeadlineExceeded);
  assert(upstream.signals[0]!.aborted);
});

Deno.test("enforceDeadline() costs no timer when there is no deadline", async () => {
  const clock = new FakeClock();
  const ctx = testCtx(clock);
  let signal: AbortSignal | undefined;
  await enforceDeadline({ clock })(req(), ctx, (_r, c) => {
    signal = upstreamSignal(c);
    assertEquals(clock.pending, 0);
    return Promise.resolve(new Response("ok"));
  });
  assertEquals(signal, ctx.signal);
  assertEquals(ctx.deadline, Infinity);
});

Deno.test("totalTimeout() cancels its timer when the response arrives in time", async () => {
  const clock = new FakeClock();
  const upstream = slow(clock, 30, upstreamSignal);
  const ctx = testCtx(clock);
  const r = observe(totalTimeout({ ms: 100, clock })(req(), ctx, upstream));
  await clock.tick(30);
  assertEquals((r.value as Response).status, 200);
  assertEquals(clock.pending, 0);
  assertEquals(upstream.signals[0]!.aborted, false);
  assertEquals(upstreamSignal(ctx), ctx.signal);
});

Deno.test("totalTimeout() passes a client disconnect to the upstream call", async () => {
  const clock = new FakeClock();
  const client = new AbortController();
  const upstream = slow(clock, 1000, upstreamSignal);
  const r = observe(
    totalTimeout({ ms: 500, clock })(req(), testCtx(clock, { signal: client.signal }), upstream),
  );
  await clock.tick(10);
  client.abort(new Error("client went away"));
  await clock.tick(0);
  assert(upstream.signals[0]!.aborted);
  assertStringIncludes(String(r.error), "client went away");
  assertEquals(clock.pending, 0);
});

Deno.test("totalTimeout() cancels the body of a response that loses the race", async () => {
  const clock = new FakeClock();
  let cancelled = false;
  const body = new ReadableStream({
    cancel() {
      cancelled = true;
    },
  });
  // An upstream that ignores the abort and answers late.
  const stubborn = () =>
    new Promise<Response>((resolve) => clock.setTimer(200, () => resolve(new Response(body))));
  const r = observe(totalTimeout({ ms: 100, clock })(req(), testCtx(clock), stubborn));
  await clock.tick(200);
  assert(r.error instanceof DeadlineExceeded);
  assert(cancelled, "late body cancelled");
});
