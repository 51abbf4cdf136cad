/**
 * Per-endpoint failure accrual (`client.failureAccrual`), a request-driven circuit breaker with
 * Finagle's `FailureAccrualFactory` state machine, wrapping one endpoint `Node`:
 *
 * ```
 * Alive ──policy says dead──▶ Dead ──backoff elapsed──▶ ProbeOpen ──next request──▶ ProbeClosed
 *   ▲                                                                                   │
 *   └──────────────── probe succeeded ◀──────────────────────────────────────────────────┤
 *                     probe failed ──▶ Dead again, for the next backoff step ◀──────────┘
 * ```
 *
 * - `status()` is `busy` while Dead or ProbeClosed, so balancers avoid the node (and fall back
 *   to it only in panic mode); ProbeOpen reports the inner status, so live traffic picks it and
 *   exactly one request becomes the probe.
 * - Outcomes are labelled by the service's classifier (`classifierOf(ctx)`, else `classifier`,
 *   default `nonRetryable5XX`: 5XX and errors are failures). Not the endpoint's fault, hence ignored: cancellations from above
 *   (the upstream signal seen on entry aborted: client gone, total timeout), `Overloaded`
 *   (shed locally) and `DeadlineExceeded`. An ignored probe reopens probing, as Finagle's
 *   `Ignorable`.
 * - Successes while Dead only feed the policy; revival needs a probe (an in-flight success
 *   must not undo a fresh ejection).
 *
 * Stack position (endpoint): **the outermost endpoint layer**, a `Node` wrapper directly under
 * the balancer (it must own `status()`), **above requestTimeout** (so attempt timeouts count
 * as failures) and the transport. Counters: `markedDead` (removals), `revivals`, `probes`,
 * current `state`.
 *
 * @example
 * ```ts
 * import { failureAccrual } from "./failure_accrual.ts";
 * import { consecutiveFailures, defaultAccrualBackoff } from "./accrual_policy.ts";
 * import { endpointNode } from "./balancer/node.ts";
 * import { systemClock } from "../router/core/clock.ts";
 * const node = failureAccrual(
 *   endpointNode({ id: "10.0.0.1:8080", call: () => Promise.resolve(new Response("ok")) }),
 *   { policy: consecutiveFailures(5, defaultAccrualBackoff(Math.random)), clock: systemClock },
 * );
 * node.state; // "alive"
 * ```
 *
 * @module
 */
import type { Clock } from "../router/core/clock.ts";
import type { Ctx } from "../router/core/ctx.ts";
import type { Node, Status } from "../router/core/service.ts";
import {
  BadRequest,
  DeadlineExceeded,
  findSwitchyardError,
  Overloaded,
} from "../router/core/errors.ts";
import type { AccrualPolicy, AccrualPolicyFactory } from "./accrual_policy.ts";
import { classifyResponse, type ResponseClassifier } from "./classifier.ts";
import { nonRetryable5XX } from "./classifiers.ts";
import { upstreamSignal } from "./upstream_signal.ts";

/** Finagle's accrual states. */
export type AccrualState = "alive" | "dead" | "probeOpen" | "probeClosed";

/** A Node with failure accrual. */
export interface AccrualNode extends Node {
  /** Current state. */
  readonly state: AccrualState;
  /** Times the node went from alive to dead (`failure_accrual/removals`). */
  readonly markedDead: number;
  /** Successful probes (`failure_accrual/revivals`). */
  readonly revivals: number;
  /** Probe requests sent (`failure_accrual/probes`). */
  readonly probes: number;
  /** The wrapped node. */
  readonly inner: Node;
}

/** Options of {@link failureAccrual}. */
export interface FailureAccrualOptions {
  /** A fresh policy for this endpoint. */
  readonly policy: AccrualPolicy;
  /** Timers for the dead period. */
  readonly clock: Clock;
  /** Labels outcomes (default `io.l5d.http.nonRetryable5XX`). */
  readonly classifier?: ResponseClassifier | undefined;
  /**
   * The classifier of the service a request belongs to (the path stack knows it), taking
   * precedence over `classifier` when it returns one.
   */
  readonly classifierOf?: ((ctx: Ctx) => ResponseClassifier | undefined) | undefined;
  /**
   * Called when the node is marked dead, with the dead period; `removal` is false when a failed
   * probe put it back (Finagle counts `removals` only from alive, `removed_for_ms` every time).
   */
  readonly onMarkedDead?: ((node: AccrualNode, ms: number, removal: boolean) => void) | undefined;
  /** Called when a probe revives the node. */
  readonly onRevived?: ((node: AccrualNode) => void) | undefined;
  /** Called when a request goes out as the dead node's probe (`failure_accrual/probes`). */
  readonly onProbe?: ((node: AccrualNode) => void) | undefined;
}

/** What failure accrual uses of a counting endpoint node (balancer/node.ts `EndpointNode`). */
interface Unsettled {
  callUnsettled(req: Request, ctx: Ctx): Promise<Response>;
  settled(): void;
}

/**
 * What a client's accrual nodes share: {@link FailureAccrualOptions} but the policy, resolved
 * once (see {@link accrualSpec}).
 */
export interface AccrualSpec {
  readonly clock: Clock;
  readonly classifier: ResponseClassifier;
  readonly classifierOf: FailureAccrualOptions["classifierOf"];
  readonly onMarkedDead: FailureAccrualOptions["onMarkedDead"];
  readonly onRevived: FailureAccrualOptions["onRevived"];
  readonly onProbe: FailureAccrualOptions["onProbe"];
}

/**
 * Resolves the options a client's accrual nodes share, once, for {@link failureAccrualWith}.
 *
 * @param opts clock, classifier and hooks (the policy, per node, is not read)
 * @returns the shared settings
 */
export function accrualSpec(opts: Omit<FailureAccrualOptions, "policy">): AccrualSpec {
  return {
    clock: opts.clock,
    classifier: opts.classifier ?? nonRetryable5XX,
    classifierOf: opts.classifierOf,
    onMarkedDead: opts.onMarkedDead,
    onRevived: opts.onRevived,
    onProbe: opts.onProbe,
  };
}

/**
 * One endpoint's accrual: its state and counters, its policy, and the client's shared settings
 * (one object: with 1000 services × 10 endpoints, six fields of settings per node were ~0.5 MB;
 * issue 6).
 */
class Accrual implements AccrualNode {
  readonly inner: Node;
  state: AccrualState = "alive";
  markedDead = 0;
  revivals = 0;
  probes = 0;
  /** The policy, or its `untilFailure` factory until the first failure. */
  #policy: AccrualPolicy | AccrualPolicyFactory;
  readonly #spec: AccrualSpec;
  #cancelTimer: (() => void) | undefined;

  constructor(inner: Node, policy: AccrualPolicy | AccrualPolicyFactory, spec: AccrualSpec) {
    this.inner = inner;
    this.#policy = policy;
    this.#spec = spec;
  }

  get id(): string {
    return this.inner.id;
  }

  get weight(): number {
    return this.inner.weight;
  }

  status(): Status {
    const s = this.inner.status();
    if (s === "closed") return s;
    return this.state === "dead" || this.state === "probeClosed" ? "busy" : s;
  }

  load(): number {
    return this.inner.load();
  }

  close(): Promise<void> {
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    return this.inner.close();
  }

  /** Send one request (a method, not a per-node closure: call it on the node). */
  call(req: Request, ctx: Ctx): Promise<Response> {
    if (this.state === "probeOpen") {
      this.state = "probeClosed";
      this.probes++;
      this.#spec.onProbe?.(this);
    }
    const signal = upstreamSignal(ctx);
    const spec = this.#spec;
    const classifier = spec.classifierOf?.(ctx) ?? spec.classifier;
    // Over a counting endpoint node (`EndpointNode`), count the request out in this reaction
    // (one, not two).
    const inner = this.inner as Node & Partial<Unsettled>;
    const counted = typeof inner.callUnsettled === "function" ? inner as Unsettled : undefined;
    const p = counted !== undefined ? counted.callUnsettled(req, ctx) : inner.call(req, ctx);
    return p.then(
      (res) => {
        counted?.settled();
        if (signal.aborted) this.#ignored();
        else if (classifyResponse(classifier, req, res, ctx).success) this.#succeeded();
        else this.#failed();
        return res;
      },
      (e: unknown) => {
        counted?.settled();
        if (signal.aborted || isLocal(e)) this.#ignored();
        else if (classifier.error(req, e).success) this.#succeeded();
        else this.#failed();
        throw e;
      },
    );
  }

  #succeeded(): void {
    const policy = this.#policy;
    // No policy yet: nothing failed, and a fresh one's success changes nothing (`untilFailure`).
    if (typeof policy === "function") return;
    if (this.state === "probeClosed") {
      this.revivals++;
      policy.revived();
      this.state = "alive";
      this.#spec.onRevived?.(this);
    }
    policy.recordSuccess();
  }

  #failed(): void {
    if (this.state !== "alive" && this.state !== "probeClosed") return;
    let policy = this.#policy;
    if (typeof policy === "function") this.#policy = policy = policy();
    const ms = policy.markDeadOnFailure();
    if (ms !== undefined) this.#markDead(ms);
    else if (this.state === "probeClosed") this.state = "probeOpen";
  }

  #ignored(): void {
    if (this.state === "probeClosed") this.state = "probeOpen";
  }

  #markDead(ms: number): void {
    const removal = this.state === "alive";
    if (removal) this.markedDead++;
    this.state = "dead";
    this.#cancelTimer?.();
    this.#cancelTimer = this.#spec.clock.setTimer(ms, () => {
      this.#cancelTimer = undefined;
      this.state = "probeOpen";
    });
    this.#spec.onMarkedDead?.(this, ms, removal);
  }
}

function isLocal(e: unknown): boolean {
  const err = findSwitchyardError(e);
  // Shed or out of time here, or the request itself was bad: not the endpoint's doing.
  return err instanceof Overloaded || err instanceof DeadlineExceeded || err instanceof BadRequest;
}

/**
 * Wrap an endpoint node with failure accrual.
 *
 * @param node the endpoint
 * @param opts policy (fresh per node), clock, classifier and hooks
 * @returns the wrapped node; its `status()` reflects accrual
 *
 * @example
 * ```ts
 * import { failureAccrual } from "./failure_accrual.ts";
 * import { accrualPolicyFactory } from "./accrual_policy.ts";
 * import { endpointNode } from "./balancer/node.ts";
 * import { systemClock as clock } from "../router/core/clock.ts";
 * const newPolicy = accrualPolicyFactory(undefined, clock)!;
 * const node = failureAccrual(
 *   endpointNode({ id: "10.0.0.1:80", call: () => Promise.resolve(new Response()) }),
 *   { policy: newPolicy(), clock },
 * );
 * ```
 */
export function failureAccrual(node: Node, opts: FailureAccrualOptions): AccrualNode {
  return new Accrual(node, opts.policy, accrualSpec(opts));
}

/**
 * {@link failureAccrual} with settings a client's nodes share ({@link accrualSpec}).
 *
 * @param node the endpoint
 * @param policy its policy (fresh per node), or the factory of one: an `untilFailure` factory
 *   makes the node's policy on its first failure, any other at once
 * @param spec the client's settings
 * @returns the wrapped node
 *
 * @example
 * ```ts
 * import { accrualSpec, failureAccrualWith } from "./failure_accrual.ts";
 * import { accrualPolicyFactory } from "./accrual_policy.ts";
 * import { endpointNode } from "./balancer/node.ts";
 * import { systemClock as clock } from "../router/core/clock.ts";
 * const newPolicy = accrualPolicyFactory(undefined, clock)!;
 * const spec = accrualSpec({ clock });
 * const nodes = ["10.0.0.1:80", "10.0.0.2:80"].map((id) =>
 *   failureAccrualWith(
 *     endpointNode({ id, call: () => Promise.resolve(new Response()) }),
 *     newPolicy, // the factory: each node makes its policy on its first failure
 *     spec,
 *   )
 * );
 * ```
 */
export function failureAccrualWith(
  node: Node,
  policy: AccrualPolicy | AccrualPolicyFactory,
  spec: AccrualSpec,
): AccrualNode {
  const p = typeof policy === "function" && policy.untilFailure !== true ? policy() : policy;
  return new Accrual(node, p, spec);
}
