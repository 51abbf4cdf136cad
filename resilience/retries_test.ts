import { assert, assertEquals, assertRejects } from "../tests/support/assert.ts";
import { FakeClock } from "../tests/support/fake_clock.ts";
import { ConnectFailed, UpstreamError } from "../router/core/errors.ts";
import type { Service } from "../router/core/service.ts";
import { constantBackoff } from "./backoff.ts";
import { classifierFor } from "./classifiers.ts";
import { retries, type RetriesOptions } from "./retries.ts";
import { RetryBudget } from "./retry_budget.ts";
import { req, scripted, testCtx } from "./_testing.ts";

function setup(overrides: Partial<RetriesOptions> = {}) {
  const clock = new FakeClock();
  const seen = { retries: 0, exhausted: 0 };
  const filter = retries({
    classifier: classifierFor("io.l5d.http.retryableRead5XX"),
    budget: new RetryBudget({}, clock),
    clock,
    onRetry: () => seen.retries++,
    onBudgetExhausted: () => seen.exhausted++,
    ...overrides,
  });
  return { clock, filter, seen };
}

Deno.test("retries() retries retryable failures until one succeeds", async () => {
  const { clock, filter, seen } = setup();
  const svc = scripted([503, 502, 200]);
  const ctx = testCtx(clock);
  const res = await filter(req(), ctx, svc);
  assertEquals(res.status, 200);
  assertEquals(svc.calls, 3);
  assertEquals([ctx.attempt, ctx.retries, seen.retries], [2, 2, 2]);
  assertEquals(ctx.classification, "success");
});

Deno.test("retries() returns a non-retryable failure at once", async () => {
  const { clock, filter } = setup({ classifier: classifierFor("io.l5d.http.nonRetryable5XX") });
  const svc = scripted([503, 200]);
  const ctx = testCtx(clock);
  assertEquals((await filter(req(), ctx, svc)).status, 503);
  assertEquals([svc.calls, ctx.retries], [1, 0]);
  assertEquals(ctx.classification, "failure");
});

Deno.test("retries() does not retry a POST 5XX for retryableRead5XX", async () => {
  const { clock, filter } = setup();
  const svc = scripted([503, 200]);
  assertEquals((await filter(req("POST", "x"), testCtx(clock), svc)).status, 503);
  assertEquals(svc.calls, 1);
});

Deno.test("retries() leaves never-delivered requests to requeues unless the kind retries the method", async () => {
  // Linkerd: nonRetryable5XX retries nothing at the service level; a connection failure was
  // already requeued by the client (requeues.ts). A retryable kind retries it for its methods.
  const none = setup({ classifier: classifierFor("io.l5d.http.nonRetryable5XX") });
  const svc = scripted([new ConnectFailed("refused"), 201]);
  await assertRejects(() => none.filter(req("GET"), testCtx(none.clock), svc), "refused");
  assertEquals(svc.calls, 1);
  const read = setup({ classifier: classifierFor("io.l5d.http.retryableRead5XX") });
  const svc2 = scripted([new ConnectFailed("refused"), 201]);
  assertEquals((await read.filter(req("GET"), testCtx(read.clock), svc2)).status, 201);
  assertEquals(svc2.calls, 2);
  const svc3 = scripted([new ConnectFailed("refused"), 201]);
  await assertRejects(() => read.filter(req("POST", "x"), testCtx(read.clock), svc3), "refused");
  assertEquals(svc3.calls, 1);
});

Deno.test("retries() rethrows the last error when it gives up", async () => {
  const { clock, filter } = setup({ maxRetries: 2 });
  const svc = scripted([new UpstreamError("reset")]);
  const ctx = testCtx(clock);
  const err = await assertRejects(() => filter(req(), ctx, svc), "reset");
  assert(err instanceof UpstreamError);
  assertEquals([svc.calls, ctx.retries, ctx.classification], [3, 2, "retryable_failure"]);
});

Deno.test("retries() stops when the budget is empty", async () => {
  const { clock, filter, seen } = setup({
    budget: new RetryBudget({ minRetriesPerSec: 0 }, new FakeClock()),
  });
  // With no reserve, 5 requests buy one retry (percentCanRetry 0.2).
  const svc = scripted([503]);
  for (let i = 0; i < 4; i++) await filter(req(), testCtx(clock), svc);
  assertEquals([svc.calls, seen.exhausted], [4, 4]);
  await filter(req(), testCtx(clock), svc);
  assertEquals([svc.calls, seen.retries, seen.exhausted], [6, 1, 5]);
});

Deno.test("retries() never exceeds 0.2 × requests + the reserve", async () => {
  const clock = new FakeClock();
  const budget = new RetryBudget({}, clock);
  const { filter } = setup({ budget });
  const svc = scripted([503]);
  for (let i = 0; i < 1000; i++) await filter(req(), testCtx(clock), svc);
  const retried = svc.calls - 1000;
  assertEquals(retried, 0.2 * 1000 + 100);
  assertEquals(budget.balance(), 0);
});

Deno.test("retries() does not start a retry the deadline leaves no time for", async () => {
  const { clock, filter } = setup({ latencyEstimateMs: () => 40 });
  const svc = scripted([503, 200]);
  // 30 ms left < 40 ms typical latency: give up.
  const tight = testCtx(clock, { deadline: clock.now() + 30 });
  assertEquals((await filter(req(), tight, svc)).status, 503);
  assertEquals(svc.calls, 1);
  // 50 ms left: retry.
  const roomy = testCtx(clock, { deadline: clock.now() + 50 });
  assertEquals((await filter(req(), roomy, scripted([503, 200]))).status, 200);
});

Deno.test("retries() counts the backoff against the deadline", async () => {
  const { clock, filter } = setup({ backoff: constantBackoff(80), latencyEstimateMs: () => 0 });
  const svc = scripted([503, 200]);
  const ctx = testCtx(clock, { deadline: clock.now() + 50 });
  assertEquals((await filter(req(), ctx, svc)).status, 503);
  assertEquals(svc.calls, 1);
});

Deno.test("retries() learns the typical latency from its own attempts by default", async () => {
  const { clock, filter } = setup({ maxRetries: 2 });
  const svc: Service = () =>
    new Promise((resolve) =>
      clock.setTimer(100, () => resolve(new Response(null, { status: 503 })))
    );
  const warm = filter(req(), testCtx(clock), svc);
  await clock.tick(1000); // 3 attempts of 100 ms: the estimate is 100 ms
  await warm;
  let calls = 0;
  const counting: Service = (r, c) => (calls++, svc(r, c));
  const p = filter(req(), testCtx(clock, { deadline: clock.now() + 150 }), counting);
  await clock.tick(1000);
  assertEquals((await p).status, 503);
  assertEquals(calls, 1); // 50 ms left after the first attempt < 100 ms typical
});

Deno.test("retries() waits the backoff between attempts", async () => {
  const { clock, filter } = setup({ backoff: constantBackoff(100) });
  const svc = scripted([503, 503, 200]);
  const p = filter(req(), testCtx(clock), svc);
  await clock.tick(0);
  assertEquals(svc.calls, 1);
  await clock.tick(99);
  assertEquals(svc.calls, 1);
  await clock.tick(1);
  assertEquals(svc.calls, 2);
  await clock.tick(100);
  assertEquals((await p).status, 200);
  assertEquals(svc.calls, 3);
});

Deno.test("retries() cancels the body of a response it retries", async () => {
  const { clock, filter } = setup();
  const cancelled: boolean[] = [];
  let n = 0;
  const svc: Service = () => {
    const i = n++;
    cancelled[i] = false;
    const body = new ReadableStream({
      pull(c) {
        c.enqueue(new Uint8Array(1));
      },
      cancel() {
        cancelled[i] = true;
      },
    });
    return Promise.resolve(new Response(body, { status: i === 0 ? 503 : 200 }));
  };
  const res = await filter(req(), testCtx(clock), svc);
  await clock.flush();
  assertEquals(cancelled, [true, false]);
  await res.body!.cancel();
});

Deno.test("retries() replays a small body on each attempt", async () => {
  const { clock, filter } = setup({ classifier: classifierFor("io.l5d.http.retryableAll5XX") });
  const bodies: string[] = [];
  let n = 0;
  const svc: Service = async (r) => {
    bodies.push(await r.text());
    return new Response(null, { status: n++ < 2 ? 503 : 200 });
  };
  assertEquals((await filter(req("POST", "payload"), testCtx(clock), svc)).status, 200);
  assertEquals(bodies, ["payload", "payload", "payload"]);
});

Deno.test("retries() does not retry a request whose body passed the replay buffer", async () => {
  const { clock, filter } = setup({
    classifier: classifierFor("io.l5d.http.retryableAll5XX"),
    maxReplayBytes: 4,
    // Linkerd's h2 ClassifiedRetryFilter counts it: `retries/request_stream_too_long`.
    onRequestTooLong: () => tooLong++,
  });
  let calls = 0;
  let tooLong = 0;
  const svc: Service = async (r) => {
    calls++;
    await r.arrayBuffer();
    return new Response(null, { status: 503 });
  };
  assertEquals((await filter(req("POST", "longer than four"), testCtx(clock), svc)).status, 503);
  assertEquals([calls, tooLong], [1, 1]);
  // A short body is retried; nothing counted.
  assertEquals((await filter(req("POST", "abc"), testCtx(clock), svc)).status, 503);
  assertEquals(tooLong, 1);
});

Deno.test("retries() never retries a chunked request (Linkerd NonRetryableChunked)", async () => {
  // Linkerd ResponseClassifiersTest "NonRetryableChunked: makes RetryableFailures
  // NonRetryableFailures when chunked" / "does not change RetryableFailures when not chunked";
  // response_classifier.md: "Requests with chunked bodies are NEVER considered to be retryable".
  const { clock, filter } = setup({
    classifier: classifierFor("io.l5d.http.retryableAll5XX"),
    chunkedAfterBytes: 5120,
  });
  const post = (headers: Record<string, string>, body: string) =>
    new Request("http://hello.svc/path", { method: "POST", body, headers });
  // A body with no Content-Length (sent chunked) or past streamAfterContentLengthKB: not retried.
  for (const r of [post({}, "small"), post({ "content-length": "6000" }, "x".repeat(6000))]) {
    const svc = scripted([503, 200]);
    const ctx = testCtx(clock);
    assertEquals((await filter(r, ctx, svc)).status, 503);
    assertEquals([svc.calls, ctx.retries, ctx.classification], [1, 0, "failure"]);
  }
  // A fixed-length body within the limit, and no body: retried.
  for (const r of [post({ "content-length": "5" }, "small"), req("DELETE")]) {
    const svc = scripted([503, 200]);
    assertEquals((await filter(r, testCtx(clock), svc)).status, 200);
    assertEquals(svc.calls, 2);
  }
});

Deno.test("retries() stops waiting when the request is cancelled during a backoff", async () => {
  const { clock, filter } = setup({ backoff: constantBackoff(1000) });
  const client = new AbortController();
  const svc = scripted([503, 200]);
  const p = filter(req(), testCtx(clock, { signal: client.signal }), svc);
  await clock.tick(10);
  client.abort(new Error("client went away"));
  await assertRejects(() => p, "client went away");
  assertEquals([svc.calls, clock.pending], [1, 0]);
});

Deno.test("retries() deposits once per request, not per attempt", async () => {
  const clock = new FakeClock();
  const budget = new RetryBudget({ minRetriesPerSec: 0, percentCanRetry: 1 }, clock);
  const { filter } = setup({ budget });
  await filter(req(), testCtx(clock), scripted([503, 200]));
  assertEquals(budget.balance(), 0); // 1 deposit, 1 withdrawal
});

Deno.test("retries() stops at maxRetries and says so once (retries/request_limit)", async () => {
  let limited = 0;
  const { clock, filter, seen } = setup({ maxRetries: 3, onRequestLimit: () => limited++ });
  const svc = scripted([503, 503, 503, 503, 503, 200]);
  const ctx = testCtx(clock);
  assertEquals((await filter(req(), ctx, svc)).status, 503);
  assertEquals([svc.calls, ctx.retries, seen.retries, limited, seen.exhausted], [4, 3, 3, 1, 0]);
});

Deno.test("retries() at maxRetries counts budget_exhausted when the budget would refuse too", async () => {
  // Linkerd's RetryFilter has no cap: the default budget (reserve 100, withdraw 5 per retry, 1
  // deposited) lets a first failing request retry 100 times, then refuses: budget_exhausted.
  let limited = 0;
  const { clock, filter, seen } = setup({ maxRetries: 100, onRequestLimit: () => limited++ });
  const svc = scripted(Array.from({ length: 102 }, () => 503));
  const ctx = testCtx(clock);
  assertEquals((await filter(req(), ctx, svc)).status, 503);
  assertEquals([svc.calls, ctx.retries, seen.retries, limited, seen.exhausted], [
    101,
    100,
    100,
    0,
    1,
  ]);
});
