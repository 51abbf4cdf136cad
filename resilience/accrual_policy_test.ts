import { assert, assertEquals } from "../tests/support/assert.ts";
import { FakeClock } from "../tests/support/fake_clock.ts";
import {
  accrualPolicyFactory,
  consecutiveFailures,
  successRate,
  successRateWindowed,
} from "./accrual_policy.ts";
import { constantBackoff, equalJittered } from "./backoff.ts";

const steps = () => {
  let n = 0;
  return {
    ms: 100,
    next: function next() {
      n++;
      return { ms: 100 * 2 ** n, next };
    },
  };
};

Deno.test("consecutiveFailures() marks dead on the Nth failure in a row", () => {
  const p = consecutiveFailures(5, constantBackoff(1000));
  for (let i = 0; i < 4; i++) assertEquals(p.markDeadOnFailure(), undefined);
  assertEquals(p.markDeadOnFailure(), 1000);
});

Deno.test("consecutiveFailures() resets the run on success", () => {
  const p = consecutiveFailures(3, constantBackoff(1000));
  p.markDeadOnFailure();
  p.markDeadOnFailure();
  p.recordSuccess();
  assertEquals(p.markDeadOnFailure(), undefined);
  assertEquals(p.markDeadOnFailure(), undefined);
  assertEquals(p.markDeadOnFailure(), 1000);
});

Deno.test("consecutiveFailures() walks its backoff while dead and restarts it on revival", () => {
  const p = consecutiveFailures(1, steps());
  assertEquals([p.markDeadOnFailure(), p.markDeadOnFailure(), p.markDeadOnFailure()], [
    100,
    200,
    400,
  ]);
  p.revived();
  assertEquals(p.markDeadOnFailure(), 100);
});

Deno.test("successRate() waits for `requests` requests, then marks dead below the rate", () => {
  const p = successRate({ successRate: 0.9, requests: 10, backoff: constantBackoff(500) });
  for (let i = 0; i < 5; i++) p.recordSuccess();
  // Request 6..9 fail: not yet `requests` (10) requests.
  for (let i = 0; i < 4; i++) assertEquals(p.markDeadOnFailure(), undefined);
  // Request 10 fails: EWMA ≈ 0.57 < 0.9.
  assertEquals(p.markDeadOnFailure(), 500);
});

Deno.test("successRate() keeps a mostly healthy endpoint", () => {
  const p = successRate({ successRate: 0.8, requests: 20, backoff: constantBackoff(500) });
  for (let i = 0; i < 100; i++) {
    if (i % 10 === 9) assertEquals(p.markDeadOnFailure(), undefined, `request ${i}`);
    else p.recordSuccess();
  }
});

Deno.test("successRate() forgets its history on revival", () => {
  const p = successRate({ successRate: 0.9, requests: 3, backoff: constantBackoff(500) });
  p.markDeadOnFailure();
  p.markDeadOnFailure();
  assertEquals(p.markDeadOnFailure(), 500);
  p.revived();
  assertEquals(p.markDeadOnFailure(), undefined); // request 1 of a new window
});

Deno.test("successRateWindowed() marks dead only after a full window of time", () => {
  const clock = new FakeClock();
  const p = successRateWindowed({
    successRate: 0.9,
    windowMs: 10_000,
    backoff: constantBackoff(500),
    clock,
  });
  for (let i = 0; i < 4; i++) assertEquals(p.markDeadOnFailure(), undefined);
  clock.advance(5_000);
  assertEquals(p.markDeadOnFailure(), undefined); // only 5 s observed
  clock.advance(5_000);
  assertEquals(p.markDeadOnFailure(), 500);
});

Deno.test("successRateWindowed() judges only with 5 requests in the last window (Finagle)", () => {
  // Finagle successRateWithinDuration: canRemove also needs `requestCounter.sum >=
  // DefaultMinimumRequestThreshold` (5), the count a WindowedAdder(window, 5 slices).
  const clock = new FakeClock();
  const p = successRateWindowed({
    successRate: 0.9,
    windowMs: 1_000,
    backoff: constantBackoff(500),
    clock,
  });
  // One failure every 450 ms: 3 in the adder's window (its 200 ms slices restart at each add and
  // a gap of two slices empties one), so never dead.
  for (let i = 0; i < 20; i++) {
    assertEquals(p.markDeadOnFailure(), undefined, `failure ${i}`);
    clock.advance(450);
  }
  // After a quiet window (the adder empties), five at once: the fifth marks it dead.
  clock.advance(1_000);
  for (let i = 0; i < 4; i++) assertEquals(p.markDeadOnFailure(), undefined);
  assertEquals(p.markDeadOnFailure(), 500);
  // Revival forgets the count as well as the rate and the elapsed time.
  p.revived();
  clock.advance(1_000);
  for (let i = 0; i < 4; i++) assertEquals(p.markDeadOnFailure(), undefined);
  assertEquals(p.markDeadOnFailure(), 500);
});

Deno.test("successRateWindowed() weighs samples by time", () => {
  const clock = new FakeClock();
  const p = successRateWindowed({
    successRate: 0.5,
    windowMs: 10_000,
    backoff: constantBackoff(500),
    clock,
  });
  for (let t = 0; t < 20; t++) {
    p.recordSuccess();
    clock.advance(1000);
  }
  for (let i = 0; i < 4; i++) p.recordSuccess(); // ≥ 5 requests in the last window
  // One failure after 20 s of successes: EWMA = 1 − (1 − e^(−0.1)) ≈ 0.90 ≥ 0.5.
  assertEquals(p.markDeadOnFailure(), undefined);
  clock.advance(10_000);
  // Failures 10 s later: ≈ 0.90 · e^(−1) ≈ 0.33 < 0.5, dead once 5 are in the window.
  for (let i = 0; i < 4; i++) assertEquals(p.markDeadOnFailure(), undefined);
  assertEquals(p.markDeadOnFailure(), 500);
  p.revived();
  assertEquals(p.markDeadOnFailure(), undefined); // the window restarts at revival
});

Deno.test("accrualPolicyFactory() defaults to 5 consecutive failures with equalJittered(5 s, 300 s)", () => {
  const clock = new FakeClock();
  const p = accrualPolicyFactory(undefined, clock)!();
  for (let i = 0; i < 4; i++) assertEquals(p.markDeadOnFailure(), undefined);
  assertEquals(p.markDeadOnFailure(), 5000);
  const second = p.markDeadOnFailure()!;
  assert(second >= 5_000 && second < 10_000, `${second}`);
  // Same as building the schedule by hand with the same random source.
  const again = accrualPolicyFactory(undefined, new FakeClock())!();
  for (let i = 0; i < 5; i++) again.markDeadOnFailure();
  const ref = equalJittered(5000, 300_000, { random: () => new FakeClock().random() }).next().ms;
  assertEquals(again.markDeadOnFailure(), ref);
});

Deno.test("accrualPolicyFactory() builds each kind with its backoff, and none disables", () => {
  const clock = new FakeClock();
  assertEquals(accrualPolicyFactory({ kind: "none" }, clock), null);
  assertEquals(accrualPolicyFactory({ kind: "io.l5d.none" }, clock), null);
  const cf = accrualPolicyFactory({
    kind: "io.l5d.consecutiveFailures",
    failures: 2,
    backoff: { kind: "constant", ms: 700 },
  }, clock)!();
  cf.markDeadOnFailure();
  assertEquals(cf.markDeadOnFailure(), 700);
  const sr = accrualPolicyFactory({
    kind: "io.l5d.successRate",
    successRate: 0.9,
    requests: 2,
    backoff: { kind: "jittered", minMs: 50, maxMs: 60 },
  }, clock)!();
  sr.markDeadOnFailure();
  assertEquals(sr.markDeadOnFailure(), 50);
  const w = accrualPolicyFactory({
    kind: "io.l5d.successRateWindowed",
    successRate: 0.9,
    window: 1,
  }, clock)!();
  clock.advance(1000);
  for (let i = 0; i < 4; i++) assertEquals(w.markDeadOnFailure(), undefined);
  assertEquals(w.markDeadOnFailure(), 5000);
  // Each call makes an independent policy (one per endpoint).
  const f = accrualPolicyFactory(undefined, clock)!;
  const a = f(), b = f();
  for (let i = 0; i < 4; i++) a.markDeadOnFailure();
  assertEquals(b.markDeadOnFailure(), undefined);
});

Deno.test("successRate() rejects a rate outside [0, 1]", () => {
  let threw = false;
  try {
    successRate({ successRate: 1.5, requests: 10, backoff: constantBackoff() });
  } catch (e: unknown) {
    threw = e instanceof RangeError;
  }
  assert(threw);
});
