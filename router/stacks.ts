/**
 * The canonical stacks, top to bottom, with the reason for each position:
 *
 * path (per logical name `/svc/x` + local dtab):
 *   service stats     above timeout and retries, so a timeout counts as one failed request
 *                     (times from the request's arrival: the listener calls it synchronously)
 *   total timeout     above retries, so it bounds every attempt; also enforces l5d-ctx-deadline
 *   retries           classifier + per-service budget + backoff; sets `l5d-success-class` on
 *                     the final response
 *   → bind (leaf, in router.ts): dtab + namers → bound client name
 * client (per bound name `/#/io.l5d.fs/x`):
 *   client stats      what the client saw, requeues included
 *   requeues          connection failures (never written) go to another endpoint, own budget
 *   → balancer (leaf) over endpoint nodes kept in sync with the namer's Addr
 * endpoint (per host:port), as a Node built on its first request (lazyNode; its metrics appear
 * then, as Finagle's endpoint stacks do):
 *   failure accrual   above the request timeout, so timeouts mark an endpoint dead
 *   outstanding count the balancer's load
 *   endpoint stats    per instance of the service (beyond Linkerd)
 *   request timeout   `requestAttemptTimeoutMs`, one attempt
 *   connection limit  `hostConnectionPool.maxSize/maxWaiters`
 *   → transport (h1 client)
 *
 * Each stack is composed once per router (the endpoint one once per client): what belongs to a
 * logical name, a client or an endpoint (its stats, budget, retry or requeue policy, binding,
 * balancer, address) is an object the request carries on `ctx` (`pathState`, `clientState`,
 * `ep`), set by that name's, client's or endpoint's entry as the request enters the stack (issue
 * 6: per-name closures were ~2 KiB each with 1000 names). A Filter reads it from there.
 *
 * @module
 */
import { diagnosticTracer } from "./http/diagnostic_tracer.ts";
import type { Node, Service } from "./core/service.ts";
import { H, VIA_VALUE, VIA_VALUE_H2 } from "./http/headers.ts";
import { stack } from "./core/service.ts";
import type { Clock } from "./core/clock.ts";
import type { Ctx } from "./core/ctx.ts";
import type { Path } from "./dtab/types.ts";
import type { Address, Bound } from "../discovery/types.ts";
import type { ClientConfig, ServiceConfig } from "./config/mod.ts";
import type { ClientParams } from "./config/client_schema.ts";
import { resolveClientParams, resolveServiceParams } from "./config/prefix_params.ts";
import {
  type ClassificationHold,
  createH1Client,
  type H1Client,
  type ResponseHeadLimits,
} from "./http/h1/mod.ts";
import { type ClientTls, readClientTls, tlsDial } from "./http/tls_dial.ts";
import { trailersOf, whenEnded } from "./core/trailers.ts";
import { forward, type ForwardOptions, forwardTo } from "./http/forward.ts";
import { fixedStatusOf, fixedStatusResponse } from "../discovery/http_status.ts";
import { rewriteHost } from "./http/rewrite_host.ts";
import { setField } from "./http/response_fields.ts";
import {
  accrualPolicyFactory,
  accrualSpec,
  backoffFromConfig,
  classificationLabel,
  classifierFor,
  classifyResponse,
  concurrencyLimit,
  constantBackoff,
  DEFAULT_MAX_RETRIES_PER_REQUEST,
  failureAccrualWith,
  hostConnectionPool,
  requestTimeout,
  type RequeuePolicy,
  requeuePolicy,
  requeuesBy,
  type ResponseClass,
  type ResponseClassifier,
  retriesBy,
  RetryBudget,
  type RetryPolicy,
  retryPolicy,
  successClassValue,
  totalTimeoutBy,
  totalTimeoutLimit,
} from "../resilience/mod.ts";
import {
  type Balancer,
  balancerService,
  CountingNode,
  createBalancer,
  type EndpointNodeOptions,
  EP_SELF,
  type LazyNode,
  lazyNode,
} from "../resilience/balancer/mod.ts";
import {
  clientScope,
  clientServiceScope,
  computedGauges,
  type Counter,
  endpointScope,
  type GaugeSource,
  type Histogram,
  type MetricsRegistry,
  type RequestStats,
  scopeStats,
  serviceScope,
} from "../telemetry/metrics/mod.ts";
import { statsFilter, type SuccessOf } from "../telemetry/stats_filter.ts";
import type { Scope } from "../telemetry/metrics/scope.ts";
import { failFast } from "../resilience/fail_fast.ts";
import { probeConnect } from "./http/probe_connect.ts";
import type { Logger } from "../telemetry/log.ts";
import type { ClassifyAttempt, Tracing } from "../telemetry/tracing/mod.ts"; // issue 4

/** A built client: its service, whether any endpoint is usable, and its shutdown. */
export interface ClientStack {
  readonly service: Service;
  usable(): boolean;
  /**
   * Close the client; a transport of its own (h2, TLS) waits up to `graceMs` (default 30 s) for
   * the requests in flight on it.
   */
  close(graceMs?: number): Promise<void>;
  /**
   * The client × service stats of the logical name `dstStr` on this client (made on first ask),
   * for the caller to put on `ctx.clientService` as it sends a request of that name: the client
   * then records them without looking them up by name (issue 6).
   */
  serviceStats?(dstStr: string): unknown;
  /**
   * Drop the client's metrics (its own, its endpoints', its per-service ones): it left the
   * router's cache for good (evicted past `bindingCache.clients`, or idle), as Linkerd's
   * MetricsPruningModule prunes a client's stats. Not on a reload: the next router's client of
   * the same name writes the same metrics.
   */
  forget?(): void;
}

/** Builds path and client stacks for one router. */
export interface StackFactory {
  path(router: string, dst: Path, dstStr: string, leaf: Service): Service;
  client(router: string, bound: Bound): ClientStack;
  /**
   * A logical name's path stacks left the router's cache (past `bindingCache.paths`, or idle for
   * `idleTtlSecs`): drop its metrics, `rt/<r>/service/<name>/…` and every client's
   * `client/<id>/service/<name>/…`, so that names seen once (a client sending random `Host`s)
   * cost nothing once forgotten. Its next request starts them afresh.
   */
  forgetPath?(router: string, dstStr: string): void;
}

/** What stacks are built from. */
export interface StackDeps {
  readonly registry: MetricsRegistry;
  readonly clock: Clock;
  readonly transport: H1Client;
  /**
   * The transport of a client without TLS, given its resolved params (an h2 router's: one per
   * set of client SETTINGS, shared); default: `transport`.
   */
  readonly transportFor?: ((params: ClientParams) => H1Client) | undefined;
  /**
   * The transport of a client with `client.tls` (released with the client); default: the
   * HTTP/1.1 client dialling TLS. An h2 router gives its h2 client over TLS, with the SETTINGS of
   * the client's params.
   */
  readonly tlsTransport?: ((tls: ClientTls, params: ClientParams) => H1Client) | undefined;
  readonly service: ServiceConfig;
  readonly client: ClientConfig;
  /**
   * Largest request body kept for a retry when the service sets no `retryBufferSize` (h2
   * routers: Linkerd's 16383); the retries filter's own default (64 KiB) when absent.
   */
  readonly retryBufferBytes?: number | undefined;
  /**
   * h2 routers: the h2 client holds responses for classification per service (Linkerd's h2
   * ClassifiedRetryFilter), with its `retries/{request_stream_too_long,response_stream_too_long,
   * classification_timeout}` counters.
   */
  readonly classifiedRetries?: boolean | undefined;
  /** An h2 router (Linkerd's H2DiagnosticTracer wording). */
  readonly h2?: boolean | undefined;
  /**
   * HTTP/1.1 routers with streaming on: requests with a body past `streamAfterContentLengthKB`
   * (or no `Content-Length`) are "chunked" and never retried (Linkerd's NonRetryableChunked).
   */
  readonly chunkedAfterBytes?: number | undefined;
  /**
   * HTTP/1.1 routers: a response whose status line or header section is over the router's
   * `maxInitialLineKB`/`maxHeadersKB` fails (a 502), as a Finagle client with the router's
   * params refuses it.
   */
  readonly responseHeadLimits?: ResponseHeadLimits | undefined;
  /** HTTP/1.1 routers with `streamingEnabled: false`: bodies are read whole before they go on. */
  readonly bufferBodies?: boolean | undefined;
  readonly log: Logger;
  /** Issue 4: span filters (client span at the top of each endpoint stack); none when null. */
  readonly tracing?: Tracing | null;
  /**
   * The delegation of a request's name to its client, for diagnostic tracing (`TRACE` with
   * `l5d-add-context`); no dtab resolution lines when absent.
   */
  readonly delegation?: ((ctx: Ctx) => readonly string[]) | undefined;
}

function addrKey(a: Address): string {
  return a.host.includes(":") ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/** What a client's shared endpoint stack reads of the endpoint an attempt goes to (`ctx.ep`). */
interface EndpointTarget {
  readonly stats: RequestStats;
  /** Its address (the namer's). */
  readonly address: Address;
  /** Its fixed answer, for a `/$/io.buoyant.http.status/<code>` address; else the upstream. */
  readonly fixed: Service | undefined;
}

/**
 * What the router's shared path stack reads of the logical name a request goes to
 * (`ctx.pathState`, set by the name's path service): its stats, classifier, timeout, retry
 * policy and counters, and its binding (the stack's leaf).
 */
interface PathState {
  readonly stats: RequestStats;
  readonly classifier: ResponseClassifier;
  /** `totalTimeoutMs` (see `totalTimeoutLimit`). */
  readonly limit: number | undefined;
  readonly retry: RetryPolicy;
  readonly waitMs: number;
  readonly rspBytes: number;
  readonly holdFor: ((c: ResponseClassifier) => ClassificationHold) | undefined;
  readonly retryTotal: Counter;
  readonly exhausted: Counter;
  readonly requestLimit: Counter;
  readonly perRequest: Histogram;
  readonly reqTooLong: Counter | undefined;
  /** The name's binding: dtab, namers, its client (router.ts). */
  readonly leaf: Service;
}

/**
 * What the router's shared client stack reads of the client a request goes to
 * (`ctx.clientState`, set by the client's service): its stats, requeue policy and counters, and
 * its balancer (the stack's leaf).
 */
interface ClientState {
  readonly stats: RequestStats;
  /** The client × service stats of a logical name (made on first ask). */
  readonly statsOf: (dstStr: string) => RequestStats;
  readonly balancer: Balancer;
  readonly requeue: RequeuePolicy;
  readonly requeueCount: Counter;
  readonly requeueExhausted: Counter;
  readonly requeueLimit: Counter;
  readonly leaf: Service;
}

/** An endpoint's gauges without failure accrual or ewma, by {@link EndpointGauges} index. */
const GAUGES: readonly string[] = ["outstanding", "connections"];
/** With failure accrual (the default). */
const GAUGES_ACCRUAL: readonly string[] = [...GAUGES, "failure_accrual/dead"];
/** With an `ewma` balancer. */
const GAUGES_EWMA: readonly string[] = [...GAUGES, "ewma_ms"];
/** With both. */
const GAUGES_EWMA_ACCRUAL: readonly string[] = [...GAUGES_EWMA, "failure_accrual/dead"];

/**
 * An endpoint's node (it counts the requests in flight), its gauges, read when rendered, and
 * what the client's shared endpoint stack reads of it ({@link EndpointTarget}): one object per
 * endpoint, where a gauge handle and a closure each were ~0.3 KiB per endpoint, and the node and
 * the target two objects more (issue 6). Its gauge index `i` is the gauge named `i` in the list it
 * was registered with ({@link GAUGES} and its variants).
 */
class EndpointGauges extends CountingNode implements GaugeSource, EndpointTarget {
  /** Set once failure accrual wraps the node. */
  accrual: Node | undefined = undefined;
  constructor(
    node: EndpointNodeOptions,
    readonly stats: RequestStats,
    readonly fixed: Service | undefined,
    readonly transport: H1Client,
    readonly address: Address,
    /** The client's balancer, with an `ewma` one. */
    readonly ewma: Balancer | undefined,
  ) {
    super(node);
  }

  gaugeValue(i: number): number {
    switch (i) {
      case 0: // outstanding
        return this.outstanding;
      case 1: // connections
        return this.transport.connectionsTo(this.address.host, this.address.port);
      default:
        break;
    }
    if (this.ewma !== undefined && i === 2) {
      const n = this.ewma.nodes.find((x) => x.id === this.id) as
        | { ewmaMs?: () => number }
        | undefined;
      return n?.ewmaMs?.() ?? 0;
    }
    // failure_accrual/dead: marked by failure accrual ("busy"); a closed node (its client
    // closed) is not.
    return this.accrual?.status() === "busy" ? 1 : 0;
  }
}

/**
 * A client's gauges, by index of its gauge source (see `client()`): Finagle's balancer gauges,
 * its `connections`, and its requeue budget's balance.
 */
const CLIENT_GAUGES: readonly string[] = [
  "loadbalancer/panic",
  "loadbalancer/size",
  "loadbalancer/available",
  "loadbalancer/busy",
  "loadbalancer/closed",
  "loadbalancer/load",
  "loadbalancer/meanweight",
  "loadbalancer/panic_mode",
  "connections",
  "retries/budget",
];

/** The stats of the attempt's endpoint, read as the attempt enters the stack. */
const targetStats = (ctx: Ctx): RequestStats => (ctx.ep as EndpointTarget).stats;

/**
 * Make the stack factory of one router.
 *
 * @example
 * ```ts ignore
 * const stacks = createStacks({ registry, clock, transport, service, client, log });
 * ```
 */
export function createStacks(deps: StackDeps): StackFactory {
  const { registry, clock } = deps;
  // The classifier of the service a request was identified as, for client/endpoint levels.
  const defaultClassifier = classifierFor();
  const ctxClassifier = (ctx: Ctx) =>
    (ctx.classifier as ResponseClassifier | undefined) ?? defaultClassifier;
  // issue 4: the client span's classification label
  const classifyAttempt: ClassifyAttempt = (req, ctx, rsp, err) =>
    classificationLabel(
      rsp ? ctxClassifier(ctx).response(req, rsp) : ctxClassifier(ctx).error(req, err),
    );
  const successByCtx: SuccessOf = (req, ctx, rsp, err) => {
    const c = ctxClassifier(ctx);
    return rsp ? classifyResponse(c, req, rsp, ctx).success : c.error(req, err).success;
  };
  // The registry's clock times every stats level (ctx.startMono / ctx.endedAt are its readings).
  const mono = () => registry.clock.mono();
  const random = () => clock.random();
  /** Drop a scope whose metrics are all registered at it (constant time where supported). */
  const drop = (scope: Scope) =>
    registry.removeScope ? registry.removeScope(scope) : registry.remove(scope);
  /** Each open client's hook that drops its per-service stats of a forgotten name. */
  const forgetters = new Set<(dstStr: string) => void>();

  // The path stack, one for the router's logical names: the name a request goes to is
  // `ctx.pathState`, set by its path service as it calls the stack (issue 6: built per name, the
  // filters' closures and contexts were ~2 KiB per name, and with 1000 names in rotation each
  // level's call went to one of 1000 closures, which the JIT would not inline).
  const pathOf = (ctx: Ctx) => ctx.pathState as PathState;
  // Set by the retries filter, which classifies the final response anyway: tell the caller (an
  // upstream Linkerd or Switchyard) how this hop classified it: its classifier trusts
  // `l5d-success-class` ahead of its own 5XX rule.
  const successClass = (rsp: Response, cls: ResponseClass, req: Request, ctx: Ctx) => {
    const box = trailersOf(rsp);
    const c = (ctx.classifier as ResponseClassifier | undefined) ?? pathOf(ctx).classifier;
    if (box !== undefined && !classifiedOnHead(c, rsp) && (!box.ended || rsp.body !== null)) {
      // A head its classifier does not decide on, of a stream still flowing (h2) or with a
      // body: the class goes out in its trailers, as Linkerd's h2 ClassifierFilter does (a
      // head it decides on gets it in its headers, the stream flowing or not: `classifyEarly`).
      whenEnded(box, () => {
        // Classified first: an upstream hop's own trailer is what its class is read from.
        const value = successClassValue(c.response(req, rsp));
        // Set, not added: this hop's class replaces the upstream hop's (Linkerd's h2
        // ClassifierFilter `frame.set`), so a chain of routers sends one value.
        const fields = (box.fields ??= []);
        for (let i = fields.length - 1; i >= 0; i--) {
          if (fields[i]![0] === H.successClass) fields.splice(i, 1);
        }
        fields.push([H.successClass, value]);
      });
      return;
    }
    try {
      setField(rsp, H.successClass, successClassValue(cls));
    } catch {
      // immutable headers: leave the response as it is
    }
  };
  // The retry policy's hooks, the same for every name: each counts into the request's name.
  const onRetry = (ctx: Ctx) => pathOf(ctx).retryTotal.incr();
  const onBudgetExhausted = (ctx: Ctx) => pathOf(ctx).exhausted.incr();
  const onRequestLimit = (ctx: Ctx) => pathOf(ctx).requestLimit.incr();
  const onRequestTooLong = (ctx: Ctx) => pathOf(ctx).reqTooLong?.incr();
  // Finagle's RetryFilter stat: retries spent by each request (0 for most).
  const onFinal = (ctx: Ctx) => pathOf(ctx).perRequest.add(ctx.retries, ctx.startMono);
  const sharedPath = stack([
    // The service's classifier, unless the request's route set its own (route_overrides.ts).
    function markClassifier(req: Request, ctx: Ctx, next: Service) {
      const p = pathOf(ctx);
      if (ctx.classifier === undefined) ctx.classifier = p.classifier;
      ctx.classificationTimeoutMs = p.waitMs;
      ctx.responseBufferBytes = p.rspBytes;
      if (p.holdFor) ctx.classificationHold = p.holdFor(ctx.classifier as ResponseClassifier);
      return next(req, ctx);
    },
    // markClassifier set it
    statsFilter((ctx) => pathOf(ctx).stats, successByCtx, {
      mono,
      fromArrival: true,
      level: "service",
    }),
    totalTimeoutBy((ctx) => pathOf(ctx).limit, clock),
    retriesBy((ctx) => pathOf(ctx).retry),
  ], function bindPath(req, ctx) {
    return pathOf(ctx).leaf(req, ctx);
  });

  function path(router: string, _dst: Path, dstStr: string, leaf: Service): Service {
    const params = resolveServiceParams(deps.service, dstStr);
    const classifier = classifierFor(params.responseClassifier);
    const replayBytes = params.retryBufferSize?.requestBytes ?? deps.retryBufferBytes;
    const scope = serviceScope(router, dstStr);
    const stats = scopeStats(registry, scope);
    const budget = new RetryBudget(params.retries.budget, clock);
    const retryTotal = registry.counter(scope, "retries/total");
    const exhausted = registry.counter(scope, "retries/budget_exhausted");
    const requestLimit = registry.counter(scope, "retries/request_limit");
    const perRequest = registry.histogram(scope, "retries/per_request");
    registry.gauge(scope, "retries/budget", () => budget.balance());
    // Linkerd's h2 ClassifiedRetryFilter counters, and its early classification of a head (per
    // classifier: a route's own classifier gets a hold of its own, made once).
    let holdFor: ((c: ResponseClassifier) => ClassificationHold) | undefined;
    let reqTooLong: Counter | undefined;
    if (deps.classifiedRetries) {
      const timeouts = registry.counter(scope, "retries/classification_timeout");
      const rspTooLong = registry.counter(scope, "retries/response_stream_too_long");
      reqTooLong = registry.counter(scope, "retries/request_stream_too_long");
      const holds = new Map<string, ClassificationHold>();
      holdFor = (c) => {
        let hold = holds.get(c.kind);
        if (hold === undefined) {
          hold = classificationHold(c.kind, () => timeouts.incr(), () => rspTooLong.incr());
          holds.set(c.kind, hold);
        }
        return hold;
      };
    }
    const state: PathState = {
      stats,
      classifier,
      limit: totalTimeoutLimit(params.totalTimeoutMs),
      retry: retryPolicy({
        classifier,
        budget,
        ...(replayBytes !== undefined ? { maxReplayBytes: replayBytes } : {}),
        chunkedAfterBytes: deps.chunkedAfterBytes,
        backoff: backoffFromConfig(params.retries.backoff, random, constantBackoff(0)),
        clock,
        onRetry,
        onBudgetExhausted,
        maxRetries: DEFAULT_MAX_RETRIES_PER_REQUEST,
        onRequestLimit,
        onRequestTooLong: deps.classifiedRetries ? onRequestTooLong : undefined,
        onFinal,
        onResponse: successClass,
      }),
      // h2: the service's classification wait and response buffer, for the h2 client (Linkerd's
      // ClassifiedRetryFilter takes them from the path stack's params: per service).
      waitMs: params.classificationTimeoutMs ?? -1,
      rspBytes: params.retryBufferSize?.responseBytes ?? -1,
      holdFor,
      retryTotal,
      exhausted,
      requestLimit,
      perRequest,
      reqTooLong,
      leaf,
    };
    return function enterPath(req, ctx) {
      ctx.pathState = state;
      return sharedPath(req, ctx);
    };
  }

  // The client stack, one for the router's clients: the client a request goes to is
  // `ctx.clientState`, set by its service as the router calls it (issue 6, as the path stack).
  const clientOf = (ctx: Ctx) => ctx.clientState as ClientState;
  const canRequeue = (ctx: Ctx) => clientOf(ctx).balancer.available > 0;
  const onRequeue = (ctx: Ctx) => clientOf(ctx).requeueCount.incr();
  const onRequeueExhausted = (ctx: Ctx) => clientOf(ctx).requeueExhausted.incr();
  const onRequeueLimit = (ctx: Ctx) => clientOf(ctx).requeueLimit.incr();
  const sharedClient = stack([
    // Per client × service stats (beyond Linkerd), recorded with the same timing: the router
    // holds them per name and hands them over on `ctx` (no lookup per request).
    statsFilter((ctx) => clientOf(ctx).stats, successByCtx, {
      mono,
      also: (ctx) =>
        (ctx.clientService as RequestStats | undefined) ?? clientOf(ctx).statsOf(ctx.dstStr),
    }),
    requeuesBy((ctx) => clientOf(ctx).requeue),
  ], function balance(req, ctx) {
    return clientOf(ctx).leaf(req, ctx);
  });

  function client(router: string, bound: Bound): ClientStack {
    const id = bound.idStr;
    const params = resolveClientParams(deps.client, id);
    // TLS origination (`client.tls`): a transport of its own that dials TLS with the
    // configured commonName as SNI; released with the client (in-flight bodies get 30 s).
    const tls = params.tls && params.tls.enabled !== false ? params.tls : undefined;
    const transport = tls
      ? (deps.tlsTransport ?? ((t: ClientTls) => createH1Client({ dial: tlsDial(t) })))(
        readClientTls(tls),
        params,
      )
      : deps.transportFor?.(params) ?? deps.transport;
    const lb = params.loadBalancer;
    const probation = lb.enableProbation === true;
    const balancer = createBalancer(lb.kind, lb as Record<string, unknown>, clock);
    const scope = clientScope(router, id);
    const stats = scopeStats(registry, scope);
    const removals = registry.counter(scope, "failure_accrual/removals");
    const revivals = registry.counter(scope, "failure_accrual/revivals");
    const probes = registry.counter(scope, "failure_accrual/probes");
    const removedForMs = registry.counter(scope, "failure_accrual/removed_for_ms");
    // Finagle's client `connects`: connections this client's requests opened (the pool is shared
    // per endpoint; a connection counts for the client whose request dialled it).
    const connects = registry.counter(scope, "connects");
    const countConnect = () => connects.incr();
    // How the client's endpoints send (one object for all of them).
    const forwardOptions: ForwardOptions = {
      forwardClientCert: params.forwardClientCert === true,
      onConnect: countConnect,
      headLimits: deps.responseHeadLimits,
      bufferBodies: deps.bufferBodies,
    };
    // A client closed by a hot reload (or the idle sweep) keeps its metric handles for the next
    // client of the same name, which a reload creates on its first request: until then its
    // gauges read as that fresh client would (every endpoint available, none dead), not as the
    // closed nodes (issue 4/5: a reload made every client read `panic_mode 1`, endpoints `dead`).
    let closed = false;
    // Finagle Balancer's `adds`/`removes` counters (endpoints the namer added and removed; a
    // weight change is both, as Finagle moves the endpoint to another weight class).
    const adds = registry.counter(scope, "loadbalancer/adds");
    const removes = registry.counter(scope, "loadbalancer/removes");
    const accrual = accrualPolicyFactory(params.failureAccrual, clock);
    const attemptTimeout = requestTimeout({ ms: params.requestAttemptTimeoutMs ?? 0, clock });
    const pool = params.hostConnectionPool;
    const requeueBudget = new RetryBudget(params.requeueBudget, clock);
    // Finagle's Retries module stats, scoped `retries/` under the client (Linkerd's
    // RetriesEndToEndTest reads `client/<id>/retries/{requeues,request_limit,budget}`).
    const requeueCount = registry.counter(scope, "retries/requeues");
    const requeueExhausted = registry.counter(scope, "retries/budget_exhausted");
    const requeueLimit = registry.counter(scope, "retries/request_limit");
    /** The client's endpoints in `status` (Finagle Balancer's `busy` and `closed` gauges). */
    const countStatus = (status: string) => {
      let n = 0;
      for (const node of balancer.nodes) if (node.status() === status) n++;
      return n;
    };
    // The client's gauges (CLIENT_GAUGES), read when rendered: one object, where a handle and a
    // closure each were ~1 KiB per client (issue 6).
    const gauges: GaugeSource = {
      gaugeValue(i: number): number {
        switch (i) {
          case 0: // loadbalancer/panic
            return balancer.panicCount;
          case 1: // loadbalancer/size
            return balancer.size;
          case 2: // loadbalancer/available
            return closed ? balancer.size : balancer.available;
          case 3: // loadbalancer/busy: Finagle Balancer's (a dead endpoint is busy until probed)
            return closed ? 0 : countStatus("busy");
          case 4: // loadbalancer/closed
            return closed ? 0 : countStatus("closed");
          case 5: { // loadbalancer/load: requests in flight over its nodes (Finagle Balancer's)
            let n = 0;
            if (!closed) { for (const node of balancer.nodes) n += node.load(); }
            return n;
          }
          case 6: { // loadbalancer/meanweight
            const all = balancer.nodes;
            let w = 0;
            for (const node of all) w += node.weight;
            return all.length === 0 ? 0 : w / all.length;
          }
          case 7: // loadbalancer/panic_mode
            return !closed && balancer.size > 0 && balancer.available === 0 ? 1 : 0;
          case 8: { // connections: Finagle's, open connections to this client's endpoints (the
            // pool is per endpoint, shared by every client that binds to it)
            let n = 0;
            for (const a of current) n += transport.connectionsTo(a.host, a.port);
            return n;
          }
          default: // retries/budget
            return requeueBudget.balance();
        }
      },
    };
    computedGauges(registry, scope, gauges, CLIENT_GAUGES);

    // Shared by the client's endpoints (one closure per client, not per endpoint).
    // Finagle's FailureAccrualFactory: `removals` from alive only (a failed probe is not one),
    // `removed_for_ms` the dead periods, `probes` the requests sent to probe a dead endpoint.
    const onMarkedDead = (n: Node, ms: number, removal: boolean) => {
      if (removal) removals.incr();
      removedForMs.incr(Math.round(ms));
      deps.log.info("endpoint marked dead", { client: id, endpoint: n.id, forMs: Math.round(ms) });
    };
    const onProbe = () => probes.incr();
    // Finagle's FailFast module, and its stats, only where `failFast: true`.
    const failFastDead = params.failFast ? registry.counter(scope, "failfast/marked_dead") : null;
    const failFastAvailable = params.failFast
      ? registry.counter(scope, "failfast/marked_available")
      : null;
    const onRevived = (n: Node) => {
      revivals.incr();
      deps.log.info("endpoint revived", { client: id, endpoint: n.id });
    };
    const accrualShared = accrual
      ? accrualSpec({
        clock,
        classifier: defaultClassifier,
        classifierOf: ctxClassifier,
        onMarkedDead,
        onRevived,
        onProbe,
      })
      : undefined;
    // Linkerd's DiagnosticTracer, at the endpoint level: one filter for the client's endpoints,
    // which names the endpoint the balancer picked for the attempt (`ctx.endpoint`; issue 6: a
    // filter, a closure and an info object per endpoint were ~0.2 KiB each).
    const diag = diagnosticTracer({
      router,
      addresses: () => current.map(addrKey),
      delegation: deps.delegation ?? (() => []),
      h2: deps.h2,
    });
    // The shared endpoint stack's leaf: the attempt's endpoint (its node set `ctx.ep`).
    const targetLeaf: Service = (req, ctx) => {
      const t = ctx.ep as EndpointTarget;
      if (t.fixed !== undefined) return t.fixed(req, ctx);
      return forward(transport, t.address.host, t.address.port, forwardOptions, req, ctx);
    };
    // The endpoint stack, one for the client's endpoints: the endpoint an attempt goes to is
    // `ctx.ep`, set by its node as it calls the stack (issue 6: built per endpoint, its closures
    // were ~0.5 KiB of each endpoint's ~5 KiB with 1000 services × 10 endpoints). An endpoint
    // with a filter of its own (a client span, a `hostConnectionPool` limit, a Host rewrite)
    // gets a stack of its own instead, in the same order.
    const sharedEndpointStack = stack(
      [statsFilter(targetStats, successByCtx, { mono }), attemptTimeout, diag],
      targetLeaf,
    );
    // The endpoints, in the namer's order: `current[i]` is `nodes[i]`'s address. No map keyed by
    // `host:port` is kept: a node's id string is made only when it is used (issue 6).
    let nodes: LazyNode[] = [];
    let current: Address[] = [];
    /**
     * The `host:port` of the endpoints whose stacks (and metrics) were built, once the client is
     * closed (its nodes go); until then its nodes say (`LazyNode.built`): a set of them per
     * client was ~0.4 KiB (issue 6).
     */
    let closedBuilt: string[] = [];
    const lazySpec = { idOf: addrKey, make: buildNode };
    // An endpoint's stack, metrics and accrual are built on its first request (issue 6: with
    // 10 endpoints per service, most are never picked by a client that serves a few requests).
    function makeNode(a: Address): LazyNode {
      return lazyNode(a, a.weight, lazySpec);
    }
    // The endpoint's leaf: the upstream, or, for a `/$/io.buoyant.http.status/<code>` address,
    // a fixed answer of that status with an empty body (L1 io/buoyant/http/status.scala).
    function leafOf(a: Address): Service {
      return fixedLeafOf(a) ?? forwardTo(transport, a.host, a.port, forwardOptions);
    }
    function fixedLeafOf(a: Address): Service | undefined {
      const fixed = fixedStatusOf(a);
      if (fixed === undefined) return undefined;
      // With this hop's Via, as Linkerd's path-stack ViaHeaderAppenderFilter adds to it.
      const headers = { [H.via]: deps.h2 ? VIA_VALUE_H2 : VIA_VALUE };
      return () => Promise.resolve(fixedStatusResponse(fixed, headers));
    }
    function buildNode(key: string, a: Address): Node {
      const epScope = endpointScope(router, id, key);
      const epStats = scopeStats(registry, epScope);
      // Linkerd's clientSession.idleTimeMs: this client's connections close once idle that long.
      const idleMs = params.clientSession?.idleTimeMs;
      if (idleMs) transport.setIdleTimeout?.(a.host, a.port, idleMs);
      // clientSession.lifeTimeMs: connections close once that old, after the exchange in flight.
      const lifeMs = params.clientSession?.lifeTimeMs;
      if (lifeMs) transport.setLifeTime?.(a.host, a.port, lifeMs);
      // socketOptions.keepAlive: SO_KEEPALIVE on this endpoint's connections (HTTP/1.1 clients)
      if (params.socketOptions?.keepAlive) transport.setKeepAlive?.(a.host, a.port);
      // hostConnectionPool.idleTimeMs: idle connections beyond `minSize` are cached that long
      // (routers.md; h2's single connection per endpoint is not affected, as in Linkerd).
      if (pool.idleTimeMs !== undefined) {
        transport.setPoolIdleTime?.(a.host, a.port, pool.idleTimeMs, pool.minSize ?? 0);
      }
      const poolLimit = hostConnectionPool(pool, key);
      const limiter = poolLimit ? concurrencyLimit(poolLimit) : null;
      const span = deps.tracing?.clientFilter({ // issue 4: one client span per attempt
        router,
        client: id,
        host: a.host,
        port: a.port,
        classify: classifyAttempt,
      }) ?? null;
      // io.l5d.consul `setHost`: the address carries the Host to send (RewriteHostHeader).
      const authority = a.meta?.authority;
      const hostRewrite = typeof authority === "string" ? rewriteHost(authority) : null;
      const own = span !== null || limiter !== null || hostRewrite !== null;
      const call = own
        ? stack(
          [
            span,
            statsFilter(epStats, successByCtx, { mono }),
            attemptTimeout,
            limiter,
            diag,
            hostRewrite,
          ],
          leafOf(a),
        )
        : sharedEndpointStack;
      const ewma = lb.kind === "ewma";
      // With a stack of its own, the endpoint is not a target of the shared one (no `fixed`).
      // The node counting the endpoint's requests is also its gauges' source and what the
      // shared endpoint stack reads of it (`ctx.ep`): one object per endpoint.
      const gauges = new EndpointGauges(
        { id: key, weight: a.weight, call, ep: own ? undefined : EP_SELF },
        epStats,
        own ? undefined : fixedLeafOf(a),
        transport,
        a,
        ewma ? balancer : undefined,
      );
      if (!accrual) {
        computedGauges(registry, epScope, gauges, ewma ? GAUGES_EWMA : GAUGES);
        return withFailFast(gauges, a, epScope);
      }
      // The factory: a consecutive-failures policy is made on the endpoint's first failure.
      const node = failureAccrualWith(gauges, accrual, accrualShared!);
      gauges.accrual = node;
      computedGauges(registry, epScope, gauges, ewma ? GAUGES_EWMA_ACCRUAL : GAUGES_ACCRUAL);
      return withFailFast(node, a, epScope);
    }

    /**
     * `failFast: true`: Finagle's FailFastFactory over the endpoint (below the balancer, above
     * failure accrual). Counters under the client's `failfast/` (Finagle's endpoint stacks share
     * their client's stats), the endpoint's own state under its scope.
     */
    function withFailFast(node: Node, a: Address, epScope: Scope): Node {
      if (params.failFast !== true || fixedStatusOf(a) !== undefined) return node;
      const ff = failFast(node, {
        clock,
        connect: () => probeConnect(a.host, a.port),
        onMarkedDead: (n) => {
          failFastDead?.incr();
          deps.log.info("endpoint marked down (failFast)", { client: id, endpoint: n.id });
        },
        onMarkedAvailable: (n) => {
          failFastAvailable?.incr();
          deps.log.info("endpoint marked available (failFast)", { client: id, endpoint: n.id });
        },
      });
      registry.gauge(epScope, "failfast/is_marked_dead", () => ff.markedDown ? 1 : 0);
      registry.gauge(epScope, "failfast/unhealthy_for_ms", () => Math.round(ff.unhealthyForMs()));
      registry.gauge(epScope, "failfast/unhealthy_num_tries", () => ff.tries);
      return ff;
    }

    function sync(): void {
      const addr = bound.addr.get();
      if (addr.type !== "bound" && addr.type !== "neg") return; // pending/failed: keep last good
      const want = new Map<string, Address>();
      if (addr.type === "bound") { for (const a of addr.addrs) want.set(addrKey(a), a); }
      const have = new Map<string, LazyNode>();
      for (let i = 0; i < current.length; i++) have.set(addrKey(current[i]!), nodes[i]!);
      const was = probation ? new Map(current.map((a, i) => [nodes[i]!, a])) : undefined;
      const next = new Array<LazyNode>(want.size); // exact length: `push` leaves spare slots
      let changed = have.size !== want.size;
      let i = 0;
      for (const [k, a] of want) {
        const old = have.get(k);
        have.delete(k);
        if (old && old.weight === a.weight) {
          next[i++] = old;
          continue;
        }
        if (old) {
          old.close();
          removes.incr();
        }
        next[i++] = makeNode(a);
        adds.incr();
        changed = true;
      }
      // `enableProbation` (L1 load_balancer.md; Finagle's TrafficDistributor without eager
      // eviction): an endpoint gone from the namer stays in the pool while it is healthy
      // (`open`), and is dropped at a later update once it is not.
      const kept: LazyNode[] = [];
      const keptAt: Address[] = [];
      for (const [k, n] of have) { // gone from the namer
        if (was !== undefined && n.status() === "open") {
          kept.push(n);
          keptAt.push(was.get(n)!);
          continue;
        }
        n.close();
        removes.incr();
        registry.remove(endpointScope(router, id, k));
        changed = true;
      }
      current = kept.length === 0 ? [...want.values()] : [...want.values(), ...keptAt];
      nodes = kept.length === 0 ? next : next.concat(kept);
      if (changed || balancer.size !== nodes.length) balancer.update(nodes);
    }
    sync();
    const unsubscribe = bound.addr.subscribe(sync);

    const leaf = balancerService(balancer);
    // Per client × service stats (beyond Linkerd): which logical names use this client, and how
    // each fares on it. Handles are resolved once per name; recorded by the client's own stats
    // filter with the same timing.
    const perService = new Map<string, RequestStats>();
    const forget = (dstStr: string) => {
      if (perService.delete(dstStr)) drop(clientServiceScope(router, id, dstStr));
    };
    forgetters.add(forget);
    const statsOf = (dstStr: string): RequestStats => {
      let s = perService.get(dstStr);
      if (!s) {
        s = scopeStats(registry, clientServiceScope(router, id, dstStr));
        perService.set(dstStr, s);
      }
      return s;
    };
    const state: ClientState = {
      stats,
      statsOf,
      balancer,
      requeue: requeuePolicy({
        budget: requeueBudget,
        canRequeue,
        onRequeue,
        onBudgetExhausted: onRequeueExhausted,
        onRequestLimit: onRequeueLimit,
      }),
      requeueCount,
      requeueExhausted,
      requeueLimit,
      leaf,
    };
    const service: Service = function enterClient(req, ctx) {
      ctx.clientState = state;
      return sharedClient(req, ctx);
    };
    return {
      service,
      serviceStats: statsOf,
      usable: () => balancer.available > 0,
      async close(graceMs = 30_000) {
        unsubscribe();
        closed = true;
        forgetters.delete(forget);
        const all = nodes;
        nodes = []; // `current` stays: the `connections` gauge still counts the pooled ones
        closedBuilt = all.filter((n) => n.built !== undefined).map((n) => n.id);
        await Promise.allSettled(all.map((n) => n.close()));
        if (tls) await transport.close(graceMs); // its own; the others are shared
        // The scope's metrics stay: after a hot reload the new snapshot's client writes to the
        // same handles (`forget` drops them when the client leaves the cache for good).
      },
      forget() {
        drop(scope);
        const built = [...closedBuilt];
        for (const n of nodes) if (n.built !== undefined) built.push(n.id);
        for (const key of built) drop(endpointScope(router, id, key));
        closedBuilt = [];
        for (const dstStr of [...perService.keys()]) forget(dstStr);
      },
    };
  }

  function forgetPath(router: string, dstStr: string): void {
    drop(serviceScope(router, dstStr));
    for (const f of forgetters) f(dstStr);
  }

  return { path, client, forgetPath };
}

/**
 * Whether Linkerd's h2 classifier filter classifies `rsp` on its head (its classifier's
 * `responseClassifier` is defined there), so `l5d-success-class` goes in the response headers;
 * otherwise a response with a body gets it in its trailers. The status classifiers decide on a
 * 5XX head (`allSuccessful` never does); the gRPC ones on a 4XX/5XX head or a `grpc-status` in it.
 */
function classifiedOnHead(c: ResponseClassifier, rsp: Response): boolean {
  return headClassifies(c.kind, rsp.status, rsp.headers.has("grpc-status"));
}

/** {@link classifiedOnHead} of a head: its classifier's kind, status, and `grpc-status`. */
function headClassifies(kind: string, status: number, grpcStatus: boolean): boolean {
  if (kind.startsWith("io.l5d.h2.grpc.")) return status >= 400 || grpcStatus;
  return status >= 500 && !kind.endsWith("allSuccessful");
}

/** The h2 client's hold of a service's responses (see `ClassificationHold`). */
function classificationHold(
  kind: string,
  onTimeout: () => void,
  onTooLong: () => void,
): ClassificationHold {
  return {
    classifiesHead: (status, fields) =>
      headClassifies(kind, status, fields.some(([name]) => name === "grpc-status")),
    onTimeout,
    onTooLong,
  };
}
