/**
 * Concurrency limits that shed instead of hanging:
 *
 * - server `maxConcurrentRequests`: at most N requests in the server stack, no queue (Finagle's
 *   `RequestSemaphoreFilter` as Linkerd configures it): the excess is rejected at once;
 * - client `hostConnectionPool {maxSize, maxWaiters}`: at most `maxSize` requests in flight to
 *   one endpoint, up to `maxWaiters` more wait in FIFO order; beyond that, shed.
 *
 * Shedding rejects with `Overloaded` (503 + `l5d-err` via rescue; `retryable`, since the
 * request was never sent, so requeues may try another endpoint). A waiter also leaves the
 * queue, rejected with the abort reason, when its upstream signal aborts (client gone, deadline)
 * — waiting is always bounded. A slot is held until the response head arrives (or the call
 * fails); streaming bodies are not tracked.
 *
 * Stack position: the server limit sits **below server stats** (shed requests are counted)
 * and **above routing** (shedding is cheap). The pool limit is per endpoint, **below
 * requestTimeout** (queueing time counts against the attempt) and **below failure accrual**
 * (which ignores `Overloaded`: local shedding is not the endpoint's fault).
 *
 * @example
 * ```ts
 * import { ConcurrencyLimiter, concurrencyLimit } from "./concurrency_limit.ts";
 * const pool = new ConcurrencyLimiter({ maxConcurrent: 100, maxWaiters: 50, name: "10.0.0.1:80" });
 * const filter = concurrencyLimit(pool);
 * pool.active; // gauge
 * ```
 *
 * @module
 */
import type { Ctx } from "../router/core/ctx.ts";
import type { Filter, Service } from "../router/core/service.ts";
import { Overloaded } from "../router/core/errors.ts";
import { upstreamSignal } from "./upstream_signal.ts";

/** Options of {@link ConcurrencyLimiter}. */
export interface LimiterOptions {
  /** Requests allowed in flight (≥ 1; Infinity = unlimited). */
  readonly maxConcurrent: number;
  /** Requests allowed to wait for a slot (default 0: shed at once). */
  readonly maxWaiters?: number | undefined;
  /** What the limit protects, for the error message. */
  readonly name?: string | undefined;
}

interface Waiter {
  resolve(): void;
  reject(e: unknown): void;
  cancelled: boolean;
}

/**
 * A counting semaphore with a bounded FIFO wait queue.
 *
 * @example
 * ```ts
 * import { ConcurrencyLimiter } from "./concurrency_limit.ts";
 * const limiter = new ConcurrencyLimiter({ maxConcurrent: 1 });
 * if (limiter.tryAcquire()) limiter.release();
 * ```
 */
export class ConcurrencyLimiter {
  readonly #max: number;
  readonly #maxWaiters: number;
  readonly #name: string;
  readonly #queue: Waiter[] = [];
  #head = 0;
  /** Requests holding a slot (gauge). */
  active = 0;
  /** Requests waiting for a slot (gauge). */
  waiting = 0;
  /** Requests shed (counter). */
  shed = 0;

  /** @param opts the limits */
  constructor(opts: LimiterOptions) {
    this.#max = Math.max(1, opts.maxConcurrent);
    this.#maxWaiters = Math.max(0, opts.maxWaiters ?? 0);
    this.#name = opts.name ?? "";
  }

  /**
   * Take a slot now if one is free.
   *
   * @returns true when the caller holds a slot and must `release()` it
   */
  tryAcquire(): boolean {
    if (this.active >= this.#max) return false;
    this.active++;
    return true;
  }

  /**
   * Wait for a slot.
   *
   * @param signal leaving the queue when it aborts
   * @returns resolves holding a slot
   * @throws {Overloaded} (as a rejection) when the queue is full
   */
  acquire(signal: AbortSignal): Promise<void> {
    if (this.tryAcquire()) return Promise.resolve();
    if (this.waiting >= this.#maxWaiters) {
      this.shed++;
      return Promise.reject(
        new Overloaded(
          `${this.#name ? this.#name + ": " : ""}too many concurrent requests ` +
            `(limit ${this.#max}, ${this.#maxWaiters} waiting)`,
        ),
      );
    }
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        w.cancelled = true;
        this.waiting--;
        reject(signal.reason);
      };
      const w: Waiter = {
        resolve: () => {
          signal.removeEventListener("abort", onAbort);
          resolve();
        },
        reject,
        cancelled: false,
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.#queue.push(w);
      this.waiting++;
    });
  }

  /** Give a slot back; the first live waiter gets it. */
  release(): void {
    while (this.#head < this.#queue.length) {
      const w = this.#queue[this.#head]!;
      this.#head++;
      if (w.cancelled) continue;
      this.waiting--;
      this.#compact();
      w.resolve();
      return;
    }
    this.#compact();
    this.active--;
  }

  #compact(): void {
    if (this.#head > 64 && this.#head * 2 > this.#queue.length) {
      this.#queue.splice(0, this.#head);
      this.#head = 0;
    }
  }
}

/**
 * A filter holding a slot of `limiter` for each call.
 *
 * @param limiter the shared limiter (one per server, or one per endpoint)
 * @returns the Filter
 * @throws {Overloaded} (as a rejection) when shed
 *
 * @example
 * ```ts
 * import { ConcurrencyLimiter, concurrencyLimit } from "./concurrency_limit.ts";
 * const filter = concurrencyLimit(new ConcurrencyLimiter({ maxConcurrent: 10, maxWaiters: 100 }));
 * ```
 */
export function concurrencyLimit(limiter: ConcurrencyLimiter): Filter {
  return function concurrencyLimitFilter(req, ctx, next) {
    if (limiter.tryAcquire()) return run(limiter, req, ctx, next);
    return limiter.acquire(upstreamSignal(ctx)).then(() => run(limiter, req, ctx, next));
  };
}

function run(limiter: ConcurrencyLimiter, req: Request, ctx: Ctx, next: Service) {
  let p: Promise<Response>;
  try {
    p = next(req, ctx);
  } catch (e: unknown) {
    limiter.release();
    return Promise.reject(e);
  }
  return p.then(
    (res) => {
      limiter.release();
      return res;
    },
    (e: unknown) => {
      limiter.release();
      throw e;
    },
  );
}

/**
 * Server `maxConcurrentRequests`: no queue.
 *
 * @param max the limit; undefined = unlimited
 * @returns the Filter, or null (zero cost) when unlimited
 *
 * @example
 * ```ts
 * import { maxConcurrentRequests } from "./concurrency_limit.ts";
 * const filter = maxConcurrentRequests(1000); // null when undefined
 * ```
 */
export function maxConcurrentRequests(max: number | undefined): Filter | null {
  if (max === undefined || !Number.isFinite(max)) return null;
  return concurrencyLimit(
    new ConcurrencyLimiter({ maxConcurrent: max, name: "maxConcurrentRequests" }),
  );
}

/**
 * A client `hostConnectionPool` limiter for one endpoint (Linkerd defaults: both unbounded).
 *
 * @param pool `maxSize` and `maxWaiters`
 * @param endpoint `host:port`, for the error message
 * @returns a limiter, or null when `maxSize` is unbounded
 *
 * @example
 * ```ts
 * import { concurrencyLimit, hostConnectionPool } from "./concurrency_limit.ts";
 * const pool = hostConnectionPool({ maxSize: 100, maxWaiters: 50 }, "10.0.0.1:80");
 * const filter = pool ? concurrencyLimit(pool) : null;
 * ```
 */
export function hostConnectionPool(
  pool: { readonly maxSize?: number | undefined; readonly maxWaiters?: number | undefined },
  endpoint: string,
): ConcurrencyLimiter | null {
  if (pool.maxSize === undefined || !Number.isFinite(pool.maxSize)) return null;
  return new ConcurrencyLimiter({
    maxConcurrent: pool.maxSize,
    maxWaiters: pool.maxWaiters ?? Infinity,
    name: `hostConnectionPool ${endpoint}`,
  });
}
