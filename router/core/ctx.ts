/**
 * Per-request context, passed explicitly as the second argument of every Service and Filter.
 * Broadcast fields cross hops (decoded once by the server, encoded once per upstream attempt);
 * local fields never leave the process.
 *
 * @module
 */
import type { Dtab, Path } from "../dtab/types.ts";
import type { Bound } from "../../discovery/types.ts";

/** Fields every Ctx is built from. */
export interface CtxInit {
  /** The request target after http_proxy rewriting: Host is the authority. */
  readonly url: URL;
  /** Router label (`outgoing`, `incoming`, ...). */
  readonly router: string;
  /** Aborts when the client goes away. */
  readonly signal: AbortSignal;
  /** Epoch ms the request arrived. */
  readonly startMs: number;
  /** Remote peer ip, when known. */
  readonly remoteAddr?: string;
  /** Effective Host: the absolute-form authority, else the Host header, as sent. */
  readonly host: string;
  /** Origin-form target to forward (`/path?query`). */
  readonly target: string;
}

/**
 * The empty local dtab every request starts with, shared: a new `[]` per request was, under load
 * over 1000 names, allocated straight into V8's old generation (its allocation site got
 * pretenured, likely while the first requests to each name were slow to bind), ~1/3 of the old
 * generation's garbage in a heap-sampling profile (issue 6).
 */
const NO_DTAB: Dtab = Object.freeze([]);

/** One per request, fixed shape. */
export class Ctx {
  readonly url: URL;
  readonly router: string;
  readonly signal: AbortSignal;
  readonly startMs: number;
  readonly remoteAddr: string;
  /**
   * Local: the port of the peer (`remoteAddr`), 0 when unknown. Set by the listener, with
   * {@linkcode Ctx.serverIp}/{@linkcode Ctx.serverPort}: the listener's bound address.
   */
  remotePort = 0;
  /** Local: the listener's bound ip (`""` when not served by a listener). */
  serverIp = "";
  /** Local: the listener's bound port (0 when not served by a listener). */
  serverPort = 0;
  /**
   * Local: the narrowest cancellation signal in force for the upstream call. Timeout filters
   * narrow it (resilience/upstream_signal.ts); the transport passes it to its client.
   */
  upstreamSignal: AbortSignal;
  /**
   * Local: the inbound headers as a list, read once by the server (its size check) and reused by
   * the transport to build the upstream head. Undefined when a filter replaced the request.
   */
  headerList: readonly (readonly [string, string])[] | undefined = undefined;
  /** Local: the request `headerList` was read from (a filter that replaces it invalidates it). */
  headerSource: Request | undefined = undefined;
  /** Local: effective Host, forwarded upstream (rewritten only for a consul `setHost` name). */
  host: string;
  /** Local: origin-form target to forward; identifiers with `consume` change it. */
  target: string;
  /** Broadcast: epoch-ms deadline, Infinity = none (⇄ `l5d-ctx-deadline`). Only ever shrinks. */
  deadline = Infinity;
  /** What set `deadline` when it was not this hop's `totalTimeoutMs`, for the error text. */
  deadlineBy = "";
  /**
   * Local: the inbound `l5d-ctx-deadline` values combined (Finagle `Deadline.combined`), in exact
   * epoch ns: sent on as they came while `deadline` is theirs, and their timestamp kept beside a
   * stricter local deadline.
   */
  inboundDeadline: { readonly timestampNs: bigint; readonly deadlineNs: bigint } | undefined =
    undefined;
  /** Broadcast: the local dtab (`l5d-ctx-dtab` ++ `l5d-dtab`), appended to the base dtab. */
  dtabLocal: Dtab = NO_DTAB;
  /** Broadcast: the request id / trace id (⇄ `l5d-reqid`, trace headers). */
  traceId = "";
  /** Broadcast: the span id of this hop's server span. */
  spanId = "";
  /** Broadcast: the parent span id of the inbound request, if any. */
  parentSpanId = "";
  /** Broadcast: sampled flag. */
  sampled = false;
  /**
   * Broadcast: no hop decided sampling yet and this one records nothing (no tracer), so the trace
   * goes on with the decision deferred (Finagle's `_sampled` unset: L1 `TraceInitializerTest`).
   */
  sampleDeferred = false;
  /** Broadcast: the trace is a debug trace (Finagle `Flags.Debug`, B3 `x-b3-flags: 1`/`d`). */
  traceDebug = false;
  /**
   * Broadcast, without a tracer only: the span the upstream `l5d-ctx-trace` names, a child of
   * `spanId` (of the trace's root when `spanId` is empty), as Finagle's client
   * TraceInitializerFilter makes one for every request; `""` with a tracer (its client span is
   * `spanId`).
   */
  l5dSpanId = "";
  /** Local: the router's `tracePropagator` is `io.l5d.zipkin` (B3 written as Linkerd's). */
  zipkinPropagator = false;
  /** Local: the logical name the identifier produced, e.g. `/svc/hello`. */
  dst: Path | undefined = undefined;
  /** Local: `showPath(dst)`. */
  dstStr = "";
  /**
   * Local: what the router's shared path stack reads of this request's logical name, set by the
   * name's path service as the request enters it (router/stacks.ts). Typed loosely: core imports
   * nothing.
   */
  pathState: unknown = undefined;
  /**
   * Local: what the router's shared client stack reads of the client this request is sent to,
   * set by that client's service as the router calls it (router/stacks.ts). Typed loosely.
   */
  clientState: unknown = undefined;
  /** Local: the bound (client) name chosen for this request. */
  bound: Bound | undefined = undefined;
  /**
   * Local: Linkerd's "No hosts are available for …, Dtab.base=[…], Dtab.local=[…]" text of this
   * request's name and dtab (set by the router with `bound`), for a client with no endpoints.
   */
  noHosts = "";
  /** Local: the endpoint (`host:port`) of the latest attempt. */
  endpoint = "";
  /**
   * Local: what a client's shared endpoint stack needs of the endpoint an attempt goes to (its
   * stats and upstream), set by that endpoint's node just before it calls the stack, which reads
   * it on the way down (router/stacks.ts). Typed loosely: core imports nothing.
   */
  ep: unknown = undefined;
  /**
   * Local: the client × service stats of this request's name on the client it is sent to, set by
   * the router as it calls that client (which reads them instead of looking them up by name:
   * router/stacks.ts); undefined: the client looks them up. Typed loosely: core imports nothing.
   */
  clientService: unknown = undefined;
  /** Local: attempt number, 0 for the first try; bumped by retries. */
  attempt = 0;
  /** Local: retries spent on this request. */
  retries = 0;
  /**
   * Local: when each retry began (epoch ms), for the server span's `finagle.retry` annotations
   * (Linkerd's ClassifiedRetries records one per retry); null until the first retry.
   */
  retryTimes: number[] | null = null;
  /** Local: classification of the final response (`success`, `failure`, ...), set by the classifier. */
  classification = "";
  /**
   * Local: the response classifier of the service the request was identified as (set by the path
   * stack, read by the client and endpoint levels). Typed loosely: core imports nothing.
   */
  classifier: unknown = undefined;
  /**
   * Local (h2 routers): the service's `classificationTimeoutMs` and
   * `retryBufferSize.responseBytes`, set by the path stack for the h2 client (Linkerd's
   * ClassifiedRetryFilter params, per service); -1: the client's defaults (100 ms, 16383 bytes).
   */
  classificationTimeoutMs = -1;
  /** Local: see {@linkcode Ctx.classificationTimeoutMs}. */
  responseBufferBytes = -1;
  /**
   * Local (h2 routers): the service's `ClassificationHold` for the h2 client (early
   * classification of a response head, the hold's counters). Typed loosely: core imports nothing.
   */
  classificationHold: unknown = undefined;
  /** Local: extra upstream request headers set by route-level overrides. */
  extra: Record<string, unknown> | undefined = undefined;
  /**
   * Local: request headers the server adds upstream, appended after the inbound ones on every
   * attempt (`addForwardedHeader`, `timestampHeader`: router/http/forwarded.ts). Undefined when the
   * listener sets neither.
   */
  addHeaders: readonly (readonly [string, string])[] | undefined = undefined;
  /**
   * Local: the client's TLS certificate as an `x-forwarded-client-cert` value, on listeners that
   * require one (`requireClientAuth`); sent upstream by clients with `forwardClientCert`.
   */
  clientCert: string | undefined = undefined;
  /**
   * Local: monotonic ms (the metrics registry's clock) at which the listener received the
   * request; NaN when the listener does not share its reading. The path stack's stats start
   * there instead of reading the clock again (issue 6).
   */
  startMono = NaN;
  /**
   * Local: the response (or error) a stats level last timed, and its monotonic end time. Each
   * level above sees the same object a few microtasks later and reuses the reading: one clock
   * read per request end instead of one per level (issue 6).
   */
  endedWith: unknown = undefined;
  /** Local: see {@linkcode Ctx.endedWith}. */
  endedAt = 0;
  /**
   * Local: a one-entry cache of the last response classification (response, classifier,
   * result): the stats levels, retries, failure accrual and `l5d-success-class` all classify
   * the same response with the same classifier. Typed loosely: core imports nothing.
   */
  classifiedRsp: Response | undefined = undefined;
  /** Local: see {@linkcode Ctx.classifiedRsp}. */
  classifiedBy: unknown = undefined;
  /** Local: see {@linkcode Ctx.classifiedRsp}. */
  classified: unknown = undefined;

  constructor(init: CtxInit) {
    this.url = init.url;
    this.router = init.router;
    this.signal = init.signal;
    this.upstreamSignal = init.signal;
    this.startMs = init.startMs;
    this.remoteAddr = init.remoteAddr ?? "";
    this.host = init.host;
    this.target = init.target;
  }
}
