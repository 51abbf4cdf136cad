/**
 * gRPC response classifiers of `protocol: h2` routers (Linkerd's `io.l5d.h2.grpc.*`, L1
 * `linkerd/docs/response_classifier.md`, `GrpcClassifier.scala`). They read `grpc-status` from
 * the response head (a "trailers-only" reply) or from its trailers (the h2 client waits up to
 * `classificationTimeoutMs` for them), and `successStatusCodes` (default `[0]`) are successes:
 *
 * | kind | retryable failures |
 * | --- | --- |
 * | `io.l5d.h2.grpc.default` | status 14 (UNAVAILABLE) |
 * | `io.l5d.h2.grpc.compliant` | 14; HTTP 429, 502, 503, 504; a stream the server refused |
 * | `io.l5d.h2.grpc.alwaysRetryable` | every failed status |
 * | `io.l5d.h2.grpc.neverRetryable` | none |
 * | `io.l5d.h2.grpc.retryableStatusCodes` | the listed `retryableStatusCodes` |
 *
 * Without a `grpc-status`, an HTTP 4xx/5xx is a failure (retryable per the kind's HTTP rule);
 * a stream that ended without any status is a failure, as Linkerd's stream classifier says; a
 * stream still running when it is classified is a success (its status is not known yet).
 * Errors (no response) are failures, retryable only under `compliant` for a request that was
 * never delivered.
 *
 * @example
 * ```ts
 * import { grpcClassifier } from "./grpc_classifiers.ts";
 * const c = grpcClassifier({ kind: "io.l5d.h2.grpc.default" });
 * const rsp = new Response(null, { headers: { "grpc-status": "14" } });
 * console.log(c.response(new Request("http://x/", { method: "POST" }), rsp)); // retryable failure
 * ```
 *
 * @module
 */
import {
  FAILURE,
  type ResponseClass,
  type ResponseClassifier,
  RETRYABLE_FAILURE,
  SUCCESS,
} from "./classifier.ts";
import { trailer, trailersOf } from "../router/core/trailers.ts";
import { findSwitchyardError } from "../router/core/errors.ts";

/** A gRPC classifier's config. */
export interface GrpcClassifierConfig {
  readonly kind: string;
  readonly successStatusCodes?: readonly number[] | undefined;
  readonly retryableStatusCodes?: readonly number[] | undefined;
}

/** The gRPC classifier kinds. */
export const GRPC_CLASSIFIER_KINDS: readonly string[] = [
  "io.l5d.h2.grpc.default",
  "io.l5d.h2.grpc.compliant",
  "io.l5d.h2.grpc.alwaysRetryable",
  "io.l5d.h2.grpc.neverRetryable",
  "io.l5d.h2.grpc.retryableStatusCodes",
];

const COMPLIANT_HTTP = new Set([429, 502, 503, 504]);

/**
 * The gRPC status of a response: from its head, else its trailers; undefined when neither has
 * one (yet). A head `grpc-status` that is not a number is UNKNOWN (2), as Linkerd's
 * `GrpcStatus.tryFromHeaders` reads it ("bad status code"); such a trailer is no status at all
 * (`GrpcStatus.unapply(Frame)`).
 */
export function grpcStatus(rsp: Response): number | undefined {
  const head = rsp.headers.get("grpc-status");
  const v = head ?? trailer(trailersOf(rsp), "grpc-status");
  if (v === null) return undefined;
  const n = Number(v.trim());
  return Number.isInteger(n) && v.trim() !== "" ? n : head !== null ? 2 : undefined;
}

/**
 * Build a gRPC classifier.
 *
 * @throws Error for a kind that is not a gRPC classifier
 */
export function grpcClassifier(config: GrpcClassifierConfig): ResponseClassifier {
  const success = new Set(config.successStatusCodes ?? [0]);
  const kind = config.kind;
  let retryableCode: (code: number) => boolean;
  let retryableHttp: (status: number) => boolean = () => false;
  let retryableError = false;
  switch (kind) {
    case "io.l5d.h2.grpc.default":
      retryableCode = (c) => c === 14;
      break;
    case "io.l5d.h2.grpc.compliant":
      retryableCode = (c) => c === 14;
      retryableHttp = (s) => COMPLIANT_HTTP.has(s);
      retryableError = true;
      break;
    case "io.l5d.h2.grpc.alwaysRetryable":
      retryableCode = () => true;
      break;
    case "io.l5d.h2.grpc.neverRetryable":
      retryableCode = () => false;
      break;
    case "io.l5d.h2.grpc.retryableStatusCodes": {
      const codes = new Set(config.retryableStatusCodes ?? []);
      retryableCode = (c) => codes.has(c);
      break;
    }
    default:
      throw new Error(`not a gRPC responseClassifier kind: ${kind}`);
  }
  return {
    kind,
    response(_req, rsp): ResponseClass {
      const code = grpcStatus(rsp);
      if (code !== undefined) {
        return success.has(code) ? SUCCESS : retryableCode(code) ? RETRYABLE_FAILURE : FAILURE;
      }
      if (rsp.status >= 400) return retryableHttp(rsp.status) ? RETRYABLE_FAILURE : FAILURE;
      // No status: a finished stream without one failed; an unfinished one is not known yet.
      return trailersOf(rsp)?.ended ? FAILURE : SUCCESS;
    },
    error(_req, err): ResponseClass {
      return retryableError && findSwitchyardError(err)?.retryable ? RETRYABLE_FAILURE : FAILURE;
    },
  };
}
