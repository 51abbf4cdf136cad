/**
 * The `failures/<exception>` stat names, as Linkerd's Finagle StatsFilter records them: the class
 * of the exception a stack level saw (`failures/com.twitter.finagle.IndividualRequestTimeoutException`),
 * one more level per cause (`failures/a/b`, counted in `failures/a` too), and for a response the
 * classifier called a failure, Finagle's
 * `failures/com.twitter.finagle.service.ResponseClassificationSyntheticException`
 * (Finagle `doc/src/sphinx/metrics/Public.rst` "StatsFilter"; L1
 * `router/core/src/test/.../PerDstPathStatsFilterTest.scala`).
 *
 * Switchyard's own errors are named by the exception Linkerd 1.7 raises in the same place, which
 * differs between the service (path stack) and the client level: a connection failure is
 * `RichConnectionFailedException` in a client and `RichConnectionFailedExceptionWithPath` in the
 * service (L1 `router/core/.../naming/buoyant/RichConnectionFailedModule.scala`); an unbound or
 * empty name is Finagle's `NoBrokersAvailableException` in a client and
 * `RichNoBrokersAvailableException` in the service (L1 `DstBindingFactory.scala`). Other errors keep
 * their JavaScript `name`, with their `cause` chain.
 *
 * @module
 */

/** The stack level whose stats filter saw the error. */
export type FailureLevel = "service" | "client";

/** What Finagle records for a response its classifier called a failure. */
export const SYNTHETIC_FAILURE =
  "com.twitter.finagle.service.ResponseClassificationSyntheticException";

const NB = "com.twitter.finagle.naming.buoyant.";
const H2 = "com.twitter.finagle.buoyant.h2.";

/** Switchyard error name → [service level, client level] exception path. */
const BY_NAME: Record<string, readonly [string, string]> = {
  NoHostsAvailable: [
    NB + "RichNoBrokersAvailableException",
    "com.twitter.finagle.NoBrokersAvailableException",
  ],
  BindFailed: [
    NB + "RichNoBrokersAvailableException",
    "com.twitter.finagle.NoBrokersAvailableException",
  ],
  ConnectFailed: [
    NB + "RichConnectionFailedExceptionWithPath",
    NB + "RichConnectionFailedException",
  ],
  // A connect refused by a limit of this process (file descriptors, ephemeral ports): in Finagle
  // the same connection failure, which accrual here does not count.
  LocalResourceExhausted: [
    NB + "RichConnectionFailedExceptionWithPath",
    NB + "RichConnectionFailedException",
  ],
  // Finagle's FailFastFactory (`client.failFast`)
  FailedFast: [
    "com.twitter.finagle.FailedFastException",
    "com.twitter.finagle.FailedFastException",
  ],
  // Linkerd's TotalTimeout module (L1 router/core/.../buoyant/TotalTimeout.scala)
  DeadlineExceeded: [
    "com.twitter.finagle.GlobalRequestTimeoutException",
    "com.twitter.finagle.GlobalRequestTimeoutException",
  ],
  // Finagle's TimeoutFilter of `requestAttemptTimeoutMs` / a server's `timeoutMs`
  RequestTimeout: [
    "com.twitter.finagle.IndividualRequestTimeoutException",
    "com.twitter.finagle.IndividualRequestTimeoutException",
  ],
  // Finagle's WatermarkPool past `maxWaiters`
  Overloaded: [
    "com.twitter.finagle.TooManyWaitersException",
    "com.twitter.finagle.TooManyWaitersException",
  ],
  UpstreamError: [
    "com.twitter.finagle.ChannelClosedException",
    "com.twitter.finagle.ChannelClosedException",
  ],
};

/** HTTP/2 error code → Linkerd's `Reset` object (L1 `finagle/h2/.../h2/Error.scala`). */
const RESETS: Record<number, string> = {
  0: "NoError",
  1: "ProtocolError",
  2: "InternalError",
  7: "Refused",
  8: "Cancel",
  11: "EnhanceYourCalm",
};

/**
 * The `failures/…` paths (without `failures/`) an error counts in at a level, the outermost
 * first: `["a", "a/b"]` for an error `a` caused by `b`.
 *
 * @example
 * ```ts
 * import { failurePaths } from "./failure_names.ts";
 * import { ConnectFailed } from "../router/core/errors.ts";
 * failurePaths(new ConnectFailed("connect to 127.0.0.1:1 failed"), "client");
 * // ["com.twitter.finagle.naming.buoyant.RichConnectionFailedException"]
 * ```
 */
export function failurePaths(e: unknown, level: FailureLevel): string[] {
  const first = e instanceof Error ? e.name : "";
  if (first === "DeadlineExceeded" && e instanceof Error && e.message.startsWith("binding ")) {
    // the binding timeout: DstBindingFactory's RequestTimeoutException("binding /svc/x")
    return ["com.twitter.finagle.RequestTimeoutException"];
  }
  if (first === "StreamReset" || first === "StreamRefused") {
    const code = (e as { code?: number }).code ?? 2;
    const remote = H2 + "StreamError$Remote";
    return [remote, `${remote}/${H2}Reset$${RESETS[code] ?? "InternalError"}$`];
  }
  const mapped = BY_NAME[first];
  if (mapped !== undefined) return [mapped[level === "service" ? 0 : 1]];
  const out: string[] = [];
  let path = "";
  let cur: unknown = e;
  for (let i = 0; i < 4 && cur !== undefined && cur !== null; i++) {
    const name = cur instanceof Error ? (cur.name || "Error") : "unknown";
    path = path ? `${path}/${name.replaceAll("/", "_")}` : name.replaceAll("/", "_");
    out.push(path);
    cur = cur instanceof Error ? cur.cause : undefined;
  }
  return out.length > 0 ? out : ["unknown"];
}
