import { assertEquals, assertRejects } from "../tests/support/assert.ts";
import { FakeClock } from "../tests/support/fake_clock.ts";
import { ConnectFailed, Overloaded, UpstreamError } from "../router/core/errors.ts";
import { requeues, type RequeuesOptions } from "./requeues.ts";
import { RetryBudget } from "./retry_budget.ts";
import { req, scripted, testCtx } from "./_testing.ts";

function setup(overrides: Partial<RequeuesOptions> = {}) {
  const clock = new FakeClock();
  const seen = { requeues: 0, exhausted: 0, limit: 0 };
  const budget = new RetryBudget({}, clock);
  const filter = requeues({
    budget,
    onRequeue: () => seen.requeues++,
    onBudgetExhausted: () => seen.exhausted++,
    onRequestLimit: () => seen.limit++,
    ...overrides,
  });
  return { clock, filter, seen, budget };
}

Deno.test("requeues() re-sends never-delivered requests immediately", async () => {
  const { clock, filter, seen } = setup();
  const svc = scripted([new ConnectFailed("refused"), new Overloaded("pool full"), 200]);
  const ctx = testCtx(clock);
  assertEquals((await filter(req("POST", "body"), ctx, svc)).status, 200);
  assertEquals([svc.calls, seen.requeues, ctx.attempt, ctx.retries], [3, 2, 2, 0]);
  assertEquals(clock.pending, 0);
});

Deno.test("requeues() never re-sends a response or a delivered failure", async () => {
  const { clock, filter } = setup();
  const five = scripted([503, 200]);
  assertEquals((await filter(req(), testCtx(clock), five)).status, 503);
  assertEquals(five.calls, 1);
  const reset = scripted([new UpstreamError("reset"), 200]);
  await assertRejects(() => filter(req(), testCtx(clock), reset), "reset");
  assertEquals(reset.calls, 1);
});

Deno.test("requeues() caps one request at ceil(0.2 × balance)", async () => {
  const { clock, filter, seen } = setup();
  const svc = scripted([new Overloaded("pool full")]);
  await assertRejects(() => filter(req(), testCtx(clock), svc), "pool full");
  // balance 100 (reserve) → 20 requeues; the cap is Finagle's `request_limit`, not
  // "budget exhausted".
  assertEquals([svc.calls, seen.requeues, seen.exhausted, seen.limit], [21, 20, 0, 1]);
});

Deno.test("requeues() stops when its budget is empty", async () => {
  const { clock, filter, seen } = setup({
    budget: new RetryBudget({ minRetriesPerSec: 0, percentCanRetry: 1 }, new FakeClock()),
    maxRequeuesPerRequest: 5,
  });
  const svc = scripted([new Overloaded("pool full")]);
  // One deposit buys one requeue (percentCanRetry 1); the second is refused.
  await assertRejects(() => filter(req(), testCtx(clock), svc));
  assertEquals([svc.calls, seen.requeues, seen.exhausted], [2, 1, 1]);
  const svc2 = scripted([new Overloaded("pool full")]);
  await assertRejects(() => filter(req(), testCtx(clock), svc2));
  assertEquals([svc2.calls, seen.requeues, seen.exhausted], [2, 2, 2]);
});

Deno.test("requeues() reports budget exhaustion", async () => {
  const clock = new FakeClock();
  const budget = new RetryBudget({ minRetriesPerSec: 0, percentCanRetry: 0.5 }, clock);
  const seen = { exhausted: 0 };
  const filter = requeues({
    budget,
    maxRequeuesPerRequest: 1000,
    onBudgetExhausted: () => seen.exhausted++,
  });
  budget.deposit(); // balance 0.5 + 0.5 after the request's own deposit → 1 requeue
  const svc = scripted([new Overloaded("pool full")]);
  await assertRejects(() => filter(req(), testCtx(clock), svc));
  assertEquals([svc.calls, seen.exhausted], [2, 1]);
});

Deno.test("requeues() re-attempts a failed connection 25 times without budget (Finagle's acquisition Effort)", async () => {
  // No budget at all: a refused connection still gets Finagle's 25 acquisition attempts, then the
  // request fails without asking the budget (Linkerd RetriesEndToEndTest 'requeues').
  const clock = new FakeClock();
  const seen = { requeues: 0, limit: 0 };
  const filter = requeues({
    budget: new RetryBudget({ minRetriesPerSec: 0, percentCanRetry: 0.5 }, clock),
    onRequeue: () => seen.requeues++,
    onRequestLimit: () => seen.limit++,
  });
  const svc = scripted([new ConnectFailed("refused")]);
  await assertRejects(() => filter(req(), testCtx(clock), svc), "refused");
  assertEquals([svc.calls, seen.requeues, seen.limit], [26, 25, 0]);
  const ok = scripted([...Array(25).fill(new ConnectFailed("refused")), 200]);
  assertEquals((await filter(req(), testCtx(clock), ok)).status, 200);
  assertEquals([ok.calls, seen.requeues, seen.limit], [26, 50, 0]);
});

Deno.test("requeues() does nothing when canRequeue() says no", async () => {
  const { clock, filter } = setup({ canRequeue: () => false });
  const svc = scripted([new ConnectFailed("refused"), 200]);
  await assertRejects(() => filter(req(), testCtx(clock), svc), "refused");
  assertEquals(svc.calls, 1);
});

Deno.test("requeues() replays the body of a requeued request", async () => {
  const { clock, filter } = setup();
  const bodies: string[] = [];
  let n = 0;
  const svc = async (r: Request) => {
    bodies.push(await r.text());
    if (n++ === 0) throw new ConnectFailed("refused");
    return new Response("ok");
  };
  assertEquals(await (await filter(req("POST", "data"), testCtx(clock), svc)).text(), "ok");
  assertEquals(bodies, ["data", "data"]);
});
