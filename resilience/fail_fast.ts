/**
 * Fail fast (`client.failFast: true`): Finagle's `FailFastFactory`, wrapping one endpoint `Node`.
 * When a connection to the endpoint cannot be made, the endpoint is marked dead at once and a
 * background task tries to connect again on a backoff schedule; meanwhile the node's `status()`
 * is `busy` (the balancer avoids it) and a request that still reaches it fails at once with
 * {@link FailedFast}, which the requeues filter sends to another endpoint (a write exception:
 * nothing was sent). A successful background connection, or a request that succeeds, marks it
 * available again.
 *
 * ```
 * Ok ──connect failed──▶ Retrying ──background connect ok──▶ Ok
 *                          │  ▲
 *                          └──┘ connect failed: next backoff (1, 2, 4, 8, 16, then 32 s, +0–10%)
 * ```
 *
 * Only connection failures (`ConnectFailed`) mark the endpoint; a response of any status, or an
 * error after the request was written, is failure accrual's business. Stack position: a `Node`
 * wrapper over the failure accrual node, so its `busy` reaches the balancer whatever accrual
 * says.
 *
 * @example
 * ```ts
 * import { failFast } from "./fail_fast.ts";
 * import { endpointNode } from "./balancer/node.ts";
 * import { systemClock } from "../router/core/clock.ts";
 * const node = failFast(
 *   endpointNode({ id: "10.0.0.1:8080", call: () => Promise.resolve(new Response("ok")) }),
 *   {
 *     clock: systemClock,
 *     connect: async () => (await Deno.connect({ hostname: "10.0.0.1", port: 8080 })).close(),
 *   },
 * );
 * node.markedDead; // 0
 * ```
 *
 * @module
 */
import type { Clock } from "../router/core/clock.ts";
import type { Ctx } from "../router/core/ctx.ts";
import type { Node, Status } from "../router/core/service.ts";
import { ConnectFailed, FailedFast, findSwitchyardError } from "../router/core/errors.ts";

/** Finagle's `FailFastFactory.defaultBackoffs`: exponential from 1 s, five steps, then 32 s. */
export const FAIL_FAST_BACKOFFS_MS: readonly number[] = [1000, 2000, 4000, 8000, 16000];
/** The backoff once {@link FAIL_FAST_BACKOFFS_MS} is used up (Finagle's `Backoff.const(32.s)`). */
export const FAIL_FAST_STEADY_MS = 32_000;

/** Options of {@link failFast}. */
export interface FailFastOptions {
  /** Timers and the jitter's random source. */
  readonly clock: Clock;
  /** Open a connection to the endpoint and close it: resolves when it could be made. */
  readonly connect: () => Promise<void>;
  /** Called when the endpoint is marked dead (`failfast/marked_dead`). */
  readonly onMarkedDead?: ((node: FailFastNode) => void) | undefined;
  /** Called when it is marked available again (`failfast/marked_available`). */
  readonly onMarkedAvailable?: ((node: FailFastNode) => void) | undefined;
}

/** A Node with fail fast. */
export interface FailFastNode extends Node {
  /** Whether the endpoint is marked dead (`failfast/is_marked_dead`). */
  readonly markedDown: boolean;
  /** Times it was marked dead. */
  readonly markedDead: number;
  /** Times it was marked available again. */
  readonly markedAvailable: number;
  /** Background connection attempts that failed since it was marked dead. */
  readonly tries: number;
  /** Milliseconds since it was marked dead, 0 when it is not (`failfast/unhealthy_for_ms`). */
  unhealthyForMs(): number;
  /** The wrapped node. */
  readonly inner: Node;
}

class FailFast implements FailFastNode {
  readonly inner: Node;
  readonly id: string;
  readonly weight: number;
  markedDown = false;
  markedDead = 0;
  markedAvailable = 0;
  tries = 0;
  #since = 0;
  #step = 0;
  #cancel: (() => void) | null = null;
  #closed = false;
  readonly #opts: FailFastOptions;

  constructor(inner: Node, opts: FailFastOptions) {
    this.inner = inner;
    this.id = inner.id;
    this.weight = inner.weight;
    this.#opts = opts;
  }

  readonly call = (req: Request, ctx: Ctx): Promise<Response> => {
    if (this.markedDown) return Promise.reject(new FailedFast(this.id));
    let p: Promise<Response>;
    try {
      p = this.inner.call(req, ctx);
    } catch (e: unknown) {
      p = Promise.reject(e);
    }
    return p.then(this.#succeeded, this.#failed);
  };

  readonly #succeeded = (rsp: Response): Response => {
    if (this.markedDown) this.#available(); // an attempt made before the mark got through
    return rsp;
  };

  readonly #failed = (e: unknown): never => {
    if (findSwitchyardError(e) instanceof ConnectFailed) this.#dead();
    throw e;
  };

  #dead(): void {
    if (this.markedDown || this.#closed) return;
    this.markedDown = true;
    this.markedDead++;
    this.tries = 0;
    this.#step = 0;
    this.#since = this.#opts.clock.mono();
    this.#schedule();
    this.#opts.onMarkedDead?.(this);
  }

  #available(): void {
    this.#cancel?.();
    this.#cancel = null;
    this.markedDown = false;
    this.markedAvailable++;
    this.#opts.onMarkedAvailable?.(this);
  }

  /** The next background attempt, after the next backoff with up to 10% jitter. */
  #schedule(): void {
    const base = this.#step < FAIL_FAST_BACKOFFS_MS.length
      ? FAIL_FAST_BACKOFFS_MS[this.#step]!
      : FAIL_FAST_STEADY_MS;
    this.#step++;
    const ms = Math.floor(base + base * 0.1 * this.#opts.clock.random());
    this.#cancel = this.#opts.clock.setTimer(ms, () => {
      this.#cancel = null;
      this.#opts.connect().then(() => {
        if (this.markedDown && !this.#closed) this.#available();
      }, () => {
        if (!this.markedDown || this.#closed) return;
        this.tries++;
        this.#schedule();
      });
    });
  }

  status(): Status {
    return this.markedDown && !this.#closed ? "busy" : this.inner.status();
  }

  load(): number {
    return this.inner.load();
  }

  unhealthyForMs(): number {
    return this.markedDown ? Math.max(0, this.#opts.clock.mono() - this.#since) : 0;
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#cancel?.();
    this.#cancel = null;
    this.markedDown = false;
    return this.inner.close();
  }
}

/**
 * Wrap `node` with fail fast.
 *
 * @param node the endpoint (its failure accrual node, when accrual is on)
 * @param opts timers, the background connect and the stat hooks
 * @returns the wrapped node
 */
export function failFast(node: Node, opts: FailFastOptions): FailFastNode {
  return new FailFast(node, opts);
}
