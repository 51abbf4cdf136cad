/**
 * Typed errors the router itself raises. Filters throw these; exactly one place
 * (`router/http/rescue.ts`) turns them into a status + `l5d-err` response.
 * Statuses follow Linkerd 1.x's ErrorResponder: 400 unknown destination / bad dtab / loop,
 * 502 no hosts / connect failure, 503 timeouts and shedding.
 *
 * @module
 */

/** Base of every router-made error. */
export class SwitchyardError extends Error {
  /** HTTP status the client receives. */
  readonly status: number;
  /** True when the request was certainly not delivered, so a caller may retry (`l5d-retryable`). */
  readonly retryable: boolean;
  constructor(message: string, status: number, retryable = false, options?: ErrorOptions) {
    super(message, options);
    this.name = "SwitchyardError";
    this.status = status;
    this.retryable = retryable;
  }
}

/** No identifier could name the request (400). */
export class UnknownDestination extends SwitchyardError {
  /** Why: the identifier's reason, without "Unknown destination: " (Linkerd's `UnknownDst.reason`). */
  readonly reason: string;
  constructor(message: string, reason?: string) {
    super(message, 400);
    this.name = "UnknownDestination";
    this.reason = reason ?? message.replace(/^Unknown destination: /, "");
  }
}

/** A malformed dtab in config or in an `l5d-dtab`/`l5d-ctx-dtab` header (400). */
export class BadDtab extends SwitchyardError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, 400, false, options);
    this.name = "BadDtab";
  }
}

/** Other malformed request input (400). */
export class BadRequest extends SwitchyardError {
  constructor(message: string, status = 400) {
    super(message, status);
    this.name = "BadRequest";
  }
}

/**
 * More `Via` hops than `maxCallDepth`: a proxy loop (400). The message is Linkerd's
 * (MaxCallDepthFilter.MaxCallDepthExceeded), which names the limit, not the depth seen.
 */
export class MaxCallDepth extends SwitchyardError {
  constructor(max: number) {
    super(
      `Maximum number of calls (${max}) has been exceeded. Please check for proxy loops.`,
      400,
    );
    this.name = "MaxCallDepth";
  }
}

/** Nothing bound for the name (502), in Linkerd's familiar wording. */
export class NoHostsAvailable extends SwitchyardError {
  constructor(message: string) {
    super(message, 502);
    this.name = "NoHostsAvailable";
  }
}

/** The dtab bound the name to `!` or `/$/fail` (502). */
export class BindFailed extends SwitchyardError {
  constructor(message: string) {
    super(message, 502);
    this.name = "BindFailed";
  }
}

/** Could not connect to (or write the request to) an endpoint; never delivered, so retryable (502). */
export class ConnectFailed extends SwitchyardError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, 502, true, options);
    this.name = "ConnectFailed";
  }
}

/**
 * `client.failFast`: the endpoint is marked down after a failed connection and a background
 * reconnect has not succeeded yet, so nothing was sent (502, retryable: the requeues filter sends
 * it to another endpoint). The message is Finagle's `FailedFastException`'s.
 */
export class FailedFast extends SwitchyardError {
  /** The endpoint, `host:port`. */
  readonly endpoint: string;
  constructor(endpoint: string) {
    super(
      "Endpoint is marked down. For more details see: " +
        "https://twitter.github.io/finagle/guide/FAQ.html" +
        "#why-do-clients-see-com-twitter-finagle-failedfastexception-s",
      502,
      true,
    );
    this.name = "FailedFast";
    this.endpoint = endpoint;
  }
}

/** The upstream broke the exchange after the request was (maybe) delivered (502). */
export class UpstreamError extends SwitchyardError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, 502, false, options);
    this.name = "UpstreamError";
  }
}

/**
 * The HTTP/2 upstream reset the stream (RST_STREAM `code`; a lost connection is `CANCEL`). An h2
 * router passes the reset on to its client with the same code instead of answering, as Linkerd's
 * h2 dispatchers do (`Netty4ServerDispatcher` resets with the `Reset` the service failed with).
 * 502 where no stream can be reset.
 */
export class StreamReset extends UpstreamError {
  /** The HTTP/2 error code to reset the client's stream with. */
  readonly code: number;
  constructor(message: string, code: number) {
    super(message);
    this.name = "StreamReset";
    this.code = code;
  }
}

/** The total timeout or the propagated deadline passed (503). */
export class DeadlineExceeded extends SwitchyardError {
  constructor(message: string) {
    super(message, 503);
    this.name = "DeadlineExceeded";
  }
}

/** One attempt exceeded `requestAttemptTimeoutMs` (503; retryable by the classifier's rules). */
export class RequestTimeout extends SwitchyardError {
  constructor(message: string) {
    super(message, 503, false);
    this.name = "RequestTimeout";
  }
}

/** A concurrency limit shed the request (503). */
export class Overloaded extends SwitchyardError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, 503, true, options);
    this.name = "Overloaded";
  }
}

/**
 * A connect failed for a limit of this process or host, not of the endpoint: out of file
 * descriptors (`EMFILE`, `ENFILE`), of ephemeral ports (`EADDRNOTAVAIL`) or of socket memory
 * (`ENOBUFS`, `ENOMEM`). Like {@link Overloaded} (503, retryable), failure accrual does not count
 * it: a proxy out of descriptors under a connection surge would otherwise mark every endpoint
 * dead and answer 502 to everything until the probes, long after the surge (measured: 1500 client
 * connections at a 1024-descriptor limit turned all 155k answers of a 4 s load into 502s and left
 * the endpoint dead after it). Counted under the connection failure's `failures/` names.
 */
export class LocalResourceExhausted extends Overloaded {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "LocalResourceExhausted";
  }
}

/** `errno` names of a local resource limit (see {@link LocalResourceExhausted}). */
const LOCAL_LIMIT_CODES = new Set(["EMFILE", "ENFILE", "EADDRNOTAVAIL", "ENOBUFS", "ENOMEM"]);

/**
 * Whether a connect error is a local resource limit: Deno's errors carry the `errno` name in
 * `code` (`"EMFILE"`); the OS error number in the message is the fallback.
 *
 * @example
 * ```ts
 * import { isLocalResourceLimit } from "./errors.ts";
 * isLocalResourceLimit(Object.assign(new Error("Too many open files (os error 24)"), { code: "EMFILE" })); // true
 * isLocalResourceLimit(new Error("Connection refused (os error 111)")); // false
 * ```
 */
export function isLocalResourceLimit(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  const code = (e as { code?: unknown }).code;
  if (typeof code === "string") return LOCAL_LIMIT_CODES.has(code);
  return /\(os error (?:24|23|99|105|12)\)/.test(e.message);
}

/**
 * The HTTP/2 upstream refused the stream (`REFUSED_STREAM`): not processed, so requeued like
 * {@link Overloaded}; when the requeues run out, an h2 router resets its client's stream with
 * `REFUSED_STREAM` too (Linkerd passes `Reset.Refused` on).
 */
export class StreamRefused extends Overloaded {
  /** The HTTP/2 error code to reset the client's stream with (`REFUSED_STREAM`). */
  readonly code = 7;
  constructor(message: string) {
    super(message);
    this.name = "StreamRefused";
  }
}

/** The HTTP/2 error code of an upstream reset in an error's `cause` chain, if there is one. */
export function resetCodeOf(e: unknown): number | undefined {
  const typed = findSwitchyardError(e);
  return typed instanceof StreamReset || typed instanceof StreamRefused ? typed.code : undefined;
}

/** Find the first typed error in an error's `cause` chain. */
export function findSwitchyardError(e: unknown): SwitchyardError | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 8 && cur; i++) {
    if (cur instanceof SwitchyardError) return cur;
    cur = cur instanceof Error ? cur.cause : undefined;
  }
  return undefined;
}
