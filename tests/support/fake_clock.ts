/**
 * A deterministic {@link Clock} for unit tests: time moves only when the test says so, timers
 * fire in due order, and `random()` is a seeded PRNG. Never sleep in a unit test; advance this.
 *
 * - `advance(ms)` moves time synchronously, firing every timer due on the way (at its due time).
 * - `tick(ms)` does the same but lets promise continuations run before and after each timer, so
 *   a chain of "await a response, then start a timer" settles exactly as it would in real time.
 * - `flush()` lets pending promise continuations run without moving time.
 *
 * @example
 * ```ts
 * import { FakeClock } from "./fake_clock.ts";
 * const clock = new FakeClock();
 * let fired = 0;
 * clock.setTimer(100, () => fired++);
 * clock.advance(99); // fired === 0
 * clock.advance(1); // fired === 1
 * ```
 *
 * @module
 */
import type { Clock } from "../../router/core/clock.ts";

interface Timer {
  readonly due: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/** Options for {@link FakeClock}. */
export interface FakeClockOptions {
  /** Initial epoch ms (default 1_700_000_000_000). */
  readonly now?: number;
  /** PRNG seed (default 1). */
  readonly seed?: number;
}

/** A Clock driven by the test. */
export class FakeClock implements Clock {
  #elapsed = 0;
  readonly #epoch: number;
  #seq = 0;
  #rng: number;
  /** Binary min-heap ordered by (due, seq). */
  readonly #heap: Timer[] = [];

  constructor(opts: FakeClockOptions = {}) {
    this.#epoch = opts.now ?? 1_700_000_000_000;
    this.#rng = (opts.seed ?? 1) >>> 0;
  }

  /** Epoch ms. */
  now(): number {
    return this.#epoch + this.#elapsed;
  }

  /** Monotonic ms (starts at 0). */
  mono(): number {
    return this.#elapsed;
  }

  /** Schedule `fn` after `ms` (clamped to ≥ 0); returns a cancel function. */
  setTimer(ms: number, fn: () => void): () => void {
    const t: Timer = {
      due: this.#elapsed + Math.max(0, ms),
      seq: this.#seq++,
      fn,
      cancelled: false,
    };
    this.#push(t);
    return () => {
      t.cancelled = true;
    };
  }

  /** Seeded uniform [0, 1) (mulberry32). */
  random(): number {
    let t = (this.#rng = (this.#rng + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Number of timers not yet fired or cancelled. */
  get pending(): number {
    let n = 0;
    for (const t of this.#heap) if (!t.cancelled) n++;
    return n;
  }

  /** Move time forward by `ms`, firing due timers in order, synchronously. */
  advance(ms: number): void {
    const target = this.#elapsed + ms;
    for (;;) {
      const t = this.#popDue(target);
      if (!t) break;
      this.#elapsed = t.due;
      t.fn();
    }
    this.#elapsed = target;
  }

  /** Move time forward by `ms`, letting promise continuations run around every timer. */
  async tick(ms: number): Promise<void> {
    const target = this.#elapsed + ms;
    await flush();
    for (;;) {
      const t = this.#popDue(target);
      if (!t) break;
      this.#elapsed = t.due;
      t.fn();
      await flush();
    }
    this.#elapsed = target;
    await flush();
  }

  /** Let pending promise continuations run (one macrotask turn), without moving time. */
  flush(): Promise<void> {
    return flush();
  }

  #popDue(target: number): Timer | undefined {
    for (;;) {
      const top = this.#heap[0];
      if (!top || top.due > target) return undefined;
      this.#pop();
      if (!top.cancelled) return top;
    }
  }

  #push(t: Timer): void {
    const h = this.#heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  #pop(): void {
    const h = this.#heap;
    const last = h.pop();
    if (!last || h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < h.length && before(h[l]!, h[m]!)) m = l;
      if (r < h.length && before(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}

function before(a: Timer, b: Timer): boolean {
  return a.due < b.due || (a.due === b.due && a.seq < b.seq);
}

/** Deno's Node-compat `setImmediate` (a macrotask, ~8 µs; not in Deno's global types). */
const setImmediate = (globalThis as unknown as { setImmediate?: (fn: () => void) => unknown })
  .setImmediate;

/** One macrotask turn: every queued microtask (promise continuation) runs first. */
function flush(): Promise<void> {
  if (setImmediate) return new Promise((resolve) => setImmediate(resolve));
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = () => {
      port1.close();
      port2.close();
      resolve();
    };
    port2.postMessage(0);
  });
}
