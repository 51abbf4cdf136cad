import { assert, assertEquals } from "../tests/support/assert.ts";
import { FakeClock } from "../tests/support/fake_clock.ts";
import { RetryBudget, WindowedAdder } from "./retry_budget.ts";

Deno.test("WindowedAdder sums over a sliding window (Finagle's test)", () => {
  const clock = new FakeClock();
  const adder = new WindowedAdder(3000, 3, () => clock.mono());
  adder.add(1);
  assertEquals(adder.sum(), 1);
  clock.advance(1000);
  assertEquals(adder.sum(), 1);
  adder.add(2);
  assertEquals(adder.sum(), 3);
  clock.advance(1000);
  assertEquals(adder.sum(), 3);
  clock.advance(1000);
  assertEquals(adder.sum(), 2);
  clock.advance(1000);
  assertEquals(adder.sum(), 0);
});

Deno.test("WindowedAdder drops slices skipped while idle", () => {
  const clock = new FakeClock();
  const adder = new WindowedAdder(3000, 3, () => clock.mono());
  adder.add(1);
  clock.advance(1000);
  adder.add(2);
  clock.advance(1000);
  adder.add(1);
  assertEquals(adder.sum(), 4);
  clock.advance(2000);
  assertEquals(adder.sum(), 1);
  clock.advance(10_000);
  assertEquals(adder.sum(), 0);
});

Deno.test("RetryBudget starts with the reserve: minRetriesPerSec × ttlSecs", () => {
  const budget = new RetryBudget({}, new FakeClock());
  assertEquals(budget.config, { percentCanRetry: 0.2, minRetriesPerSec: 10, ttlSecs: 10 });
  assertEquals(budget.balance(), 100);
  for (let i = 0; i < 100; i++) assert(budget.tryWithdraw(), `retry ${i}`);
  assertEquals(budget.balance(), 0);
  assertEquals(budget.tryWithdraw(), false);
});

Deno.test("RetryBudget grants percentCanRetry retries per deposited request", () => {
  const budget = new RetryBudget({ minRetriesPerSec: 0 }, new FakeClock());
  assertEquals(budget.balance(), 0);
  for (let i = 0; i < 4; i++) budget.deposit();
  assertEquals(budget.tryWithdraw(), false); // 4 × 0.2 < 1
  budget.deposit();
  assertEquals(budget.balance(), 1);
  assertEquals(budget.tryWithdraw(), true);
  assertEquals(budget.tryWithdraw(), false);
  const twice = new RetryBudget({ percentCanRetry: 2, minRetriesPerSec: 0 }, new FakeClock());
  twice.deposit();
  assertEquals(twice.balance(), 2);
});

Deno.test("RetryBudget deposits and withdrawals expire after ttlSecs", () => {
  const clock = new FakeClock();
  const budget = new RetryBudget({ ttlSecs: 10 }, clock);
  for (let i = 0; i < 100; i++) budget.tryWithdraw();
  assertEquals(budget.balance(), 0);
  clock.advance(9_000);
  assertEquals(budget.balance(), 0);
  clock.advance(1_000);
  assertEquals(budget.balance(), 100);
  for (let i = 0; i < 50; i++) budget.deposit();
  assertEquals(budget.balance(), 110);
  clock.advance(10_000);
  assertEquals(budget.balance(), 100);
});

Deno.test("RetryBudget bounds retries by 0.2 × requests + 10/s × window under constant pressure", () => {
  const clock = new FakeClock();
  const budget = new RetryBudget({}, clock);
  // 100 requests/s for 60 s; every request would retry without limit.
  let requests = 0, retries = 0;
  const perSecond: number[] = [];
  for (let ms = 0; ms < 60_000; ms += 10) {
    budget.deposit();
    requests++;
    while (budget.tryWithdraw()) {
      retries++;
      perSecond[Math.floor(ms / 1000)] = (perSecond[Math.floor(ms / 1000)] ?? 0) + 1;
    }
    clock.advance(10);
  }
  // Over the whole run: the reserve refills once per window, deposits add 20 %.
  assert(retries <= 0.2 * requests + 10 * 60 + 100, `${retries} retries for ${requests}`);
  // And in every 10 s window (the adder's window is 9–10 s wide, so this is the real bound).
  for (let s = 0; s + 10 <= 60; s++) {
    let inWindow = 0;
    for (let k = s; k < s + 10; k++) inWindow += perSecond[k] ?? 0;
    assert(inWindow <= 0.2 * 1000 + 10 * 10, `window at ${s}s: ${inWindow}`);
  }
  assert(retries >= 0.2 * requests, `budget under-used: ${retries}`);
});

Deno.test("RetryBudget with no percent and no reserve never allows a retry", () => {
  const budget = new RetryBudget({ percentCanRetry: 0, minRetriesPerSec: 0 }, new FakeClock());
  budget.deposit();
  assertEquals(budget.tryWithdraw(), false);
  const reserveOnly = new RetryBudget(
    { percentCanRetry: 0, minRetriesPerSec: 1, ttlSecs: 2 },
    new FakeClock(),
  );
  reserveOnly.deposit();
  assertEquals(reserveOnly.balance(), 2);
});

Deno.test("RetryBudget rejects values outside Finagle's bounds", () => {
  for (
    const bad of [{ percentCanRetry: -1 }, { percentCanRetry: 1001 }, { ttlSecs: 0 }, {
      ttlSecs: 61,
    }, { minRetriesPerSec: -1 }]
  ) {
    let threw = false;
    try {
      new RetryBudget(bad, new FakeClock());
    } catch (e: unknown) {
      threw = e instanceof RangeError;
    }
    assert(threw, JSON.stringify(bad));
  }
});
