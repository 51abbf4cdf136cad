import { assert, assertEquals, assertRejects } from "../tests/support/assert.ts";
import { FakeClock } from "../tests/support/fake_clock.ts";
import { Overloaded } from "../router/core/errors.ts";
import type { Service } from "../router/core/service.ts";
import {
  concurrencyLimit,
  ConcurrencyLimiter,
  hostConnectionPool,
  maxConcurrentRequests,
} from "./concurrency_limit.ts";
import { req, testCtx } from "./_testing.ts";

/** A service whose calls stay pending until released, in order. */
function held() {
  const waiting: (() => void)[] = [];
  const order: number[] = [];
  let n = 0;
  const svc: Service = () => {
    const i = n++;
    order.push(i);
    return new Promise((resolve) => waiting.push(() => resolve(new Response(`${i}`))));
  };
  return { svc, order, release: () => waiting.shift()!() };
}

Deno.test("maxConcurrentRequests() sheds the excess at once with Overloaded (503)", async () => {
  const clock = new FakeClock();
  const filter = maxConcurrentRequests(2)!;
  const { svc, release } = held();
  const a = filter(req(), testCtx(clock), svc);
  const b = filter(req(), testCtx(clock), svc);
  const err = await assertRejects(() => filter(req(), testCtx(clock), svc), "too many concurrent");
  assert(err instanceof Overloaded);
  assertEquals([err.status, err.retryable], [503, true]);
  release();
  await a;
  const c = filter(req(), testCtx(clock), svc); // a slot is free again
  release();
  release();
  await Promise.all([b, c]);
});

Deno.test("maxConcurrentRequests() is disabled (null) when unlimited", () => {
  assertEquals(maxConcurrentRequests(undefined), null);
  assertEquals(maxConcurrentRequests(Infinity), null);
});

Deno.test("concurrencyLimit() queues up to maxWaiters in FIFO order, then sheds", async () => {
  const clock = new FakeClock();
  const limiter = new ConcurrencyLimiter({ maxConcurrent: 1, maxWaiters: 2, name: "10.0.0.1:80" });
  const filter = concurrencyLimit(limiter);
  const { svc, order, release } = held();
  const results = [0, 1, 2].map(() => filter(req(), testCtx(clock), svc));
  await assertRejects(() => filter(req(), testCtx(clock), svc), "10.0.0.1:80");
  assertEquals([limiter.active, limiter.waiting, limiter.shed], [1, 2, 1]);
  for (let i = 0; i < 3; i++) {
    await clock.flush();
    release();
  }
  const bodies = await Promise.all(results.map(async (p) => await (await p).text()));
  assertEquals(bodies, ["0", "1", "2"]);
  assertEquals(order, [0, 1, 2]);
  assertEquals([limiter.active, limiter.waiting], [0, 0]);
});

Deno.test("concurrencyLimit() lets a waiter leave when its request is cancelled", async () => {
  const clock = new FakeClock();
  const limiter = new ConcurrencyLimiter({ maxConcurrent: 1, maxWaiters: 5 });
  const filter = concurrencyLimit(limiter);
  const { svc, release } = held();
  const first = filter(req(), testCtx(clock), svc);
  const client = new AbortController();
  const waiter = filter(req(), testCtx(clock, { signal: client.signal }), svc);
  const third = filter(req(), testCtx(clock), svc);
  assertEquals(limiter.waiting, 2);
  client.abort(new Error("client went away"));
  await assertRejects(() => waiter, "client went away");
  assertEquals(limiter.waiting, 1);
  release();
  await first;
  await clock.flush();
  release(); // the slot skipped the cancelled waiter
  assertEquals(await (await third).text(), "1");
  assertEquals([limiter.active, limiter.waiting], [0, 0]);
});

Deno.test("concurrencyLimit() frees the slot when the call fails", async () => {
  const clock = new FakeClock();
  const limiter = new ConcurrencyLimiter({ maxConcurrent: 1 });
  const filter = concurrencyLimit(limiter);
  await assertRejects(() => filter(req(), testCtx(clock), () => Promise.reject(new Error("x"))));
  await assertRejects(() =>
    filter(req(), testCtx(clock), () => {
      throw new Error("sync");
    })
  );
  assertEquals(limiter.active, 0);
  assertEquals(
    (await filter(req(), testCtx(clock), () => Promise.resolve(new Response()))).status,
    200,
  );
});

Deno.test("hostConnectionPool() builds a per-endpoint limiter with Linkerd's unbounded defaults", async () => {
  assertEquals(hostConnectionPool({}, "a:1"), null);
  const pool = hostConnectionPool({ maxSize: 1 }, "a:1")!;
  const clock = new FakeClock();
  const filter = concurrencyLimit(pool);
  const { svc, release } = held();
  const calls = Array.from({ length: 50 }, () => filter(req(), testCtx(clock), svc));
  assertEquals([pool.active, pool.waiting, pool.shed], [1, 49, 0]); // maxWaiters unbounded
  for (let i = 0; i < 50; i++) {
    await clock.flush();
    release();
  }
  assertEquals((await Promise.all(calls)).length, 50);
  const strict = concurrencyLimit(hostConnectionPool({ maxSize: 1, maxWaiters: 0 }, "b:2")!);
  const { svc: svc2, release: release2 } = held();
  const one = strict(req(), testCtx(clock), svc2);
  await assertRejects(() => strict(req(), testCtx(clock), svc2), "hostConnectionPool b:2");
  release2();
  await one;
});
