import { assert, assertEquals } from "../tests/support/assert.ts";
import { FakeClock } from "../tests/support/fake_clock.ts";
import {
  type Backoff,
  backoffFromConfig,
  constantBackoff,
  decorrelatedJittered,
  equalJittered,
} from "./backoff.ts";

function take(b: Backoff, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++, b = b.next()) out.push(b.ms);
  return out;
}

function throws(fn: () => unknown): boolean {
  try {
    fn();
    return false;
  } catch (e: unknown) {
    return e instanceof RangeError;
  }
}

Deno.test("constantBackoff() defaults to immediate and repeats its wait", () => {
  assertEquals(take(constantBackoff(), 3), [0, 0, 0]);
  assertEquals(take(constantBackoff(250), 3), [250, 250, 250]);
});

Deno.test("decorrelatedJittered() starts at min and draws from [prev, 3·prev) up to max", () => {
  const half = () => 0.5;
  // 100 → 100 + ⌊0.5·200⌋ = 200 → 400 → (400 ≥ 1000/3: upper = max) 700 → 850 → 925 ...
  assertEquals(take(decorrelatedJittered(100, 1000, { random: half }), 7), [
    100,
    200,
    400,
    700,
    850,
    925,
    962,
  ]);
  const clock = new FakeClock({ seed: 7 });
  let b = decorrelatedJittered(10, 5000, { random: () => clock.random() });
  for (let i = 0; i < 1000; i++) {
    const next = b.next();
    assert(next.ms >= b.ms && next.ms <= Math.min(3 * b.ms, 5000), `${b.ms} → ${next.ms}`);
    b = next;
  }
  // Like Finagle's nextLong(range), a draw never reaches the bound: it converges below max.
  assertEquals(take(decorrelatedJittered(100, 1000, { random: () => 0.9999 }), 12).at(-1), 999);
  assertEquals(take(decorrelatedJittered(50, 50, { random: half }), 2), [50, 50]);
});

// Finagle 21.4 (Linkerd 1.7.5) Backoff.EqualJittered: `new EqualJittered(start, start, max, 1)`,
// and `next` shifts by `attempt - 1`, so the second wait is start + [0, start): 5 s, 5–10 s, …
// (Finagle 20.4's Stream version, Linkerd 1.7.3–1.7.4, also started its shift at 0.)
Deno.test("equalJittered() doubles with equal jitter and settles at max (5 s–300 s)", () => {
  assertEquals(
    take(equalJittered(5000, 300_000, { random: () => 0.5 }), 9),
    [5000, 7500, 15000, 30000, 60000, 120000, 240000, 300000, 300000],
  );
  assertEquals(take(equalJittered(5000, 300_000, { random: () => 0 }), 4), [
    5000,
    5000,
    10000,
    20000,
  ]);
  const clock = new FakeClock({ seed: 3 });
  let b = equalJittered(5000, 300_000, { random: () => clock.random() });
  for (let n = 1; n < 40; n++) {
    b = b.next();
    const half = Math.min(5000 * 2 ** (n - 1), 300_000);
    assert(b.ms === 300_000 || (b.ms >= half && b.ms < 2 * half), `attempt ${n}: ${b.ms}`);
  }
  assertEquals(b.ms, 300_000);
});

Deno.test("decorrelatedJittered() and equalJittered() reject bad bounds", () => {
  assert(throws(() => decorrelatedJittered(0, 10, { random: Math.random })));
  assert(throws(() => decorrelatedJittered(20, 10, { random: Math.random })));
  assert(throws(() => equalJittered(-1, 10, { random: Math.random })));
  assert(throws(() => equalJittered(1, Infinity, { random: Math.random })));
});

Deno.test("backoffFromConfig() maps Linkerd's constant and jittered blocks", () => {
  const fallback = constantBackoff(7);
  assertEquals(backoffFromConfig(undefined, Math.random, fallback), fallback);
  assertEquals(
    take(backoffFromConfig({ kind: "constant" }, Math.random, fallback), 2),
    [0, 0],
  );
  assertEquals(
    take(backoffFromConfig({ kind: "constant", ms: 30 }, Math.random, fallback), 2),
    [
      30,
      30,
    ],
  );
  assertEquals(
    take(
      backoffFromConfig({ kind: "jittered", minMs: 10, maxMs: 100 }, () => 0.5, fallback),
      3,
    ),
    [10, 20, 40],
  );
});
